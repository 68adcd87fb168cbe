"""The visualization page: Mesa's SolaraViz over a per-session :class:`PageModel`.

Every browser session renders its own :func:`PlatformPage`, which builds its
own model and its own sidebar state, so two sessions never share a model.
Step, Play and Reset are Mesa's own controls. Reset calls :class:`PageModel`
with the sidebar's values; values the model cannot run come back as a
:class:`RejectedParameters`, and :class:`ModelSlot` then keeps the current
model and shows the message in the sidebar.

Each sidebar control's value is a per-session reactive variable handed to
Mesa's control widgets (Mesa binds a Solara input to it and reports changes
to its own parameter store), so the page can show the pending values (the
renormalised level mix, the seed) before Reset is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import solara
import solara.lab
from mesa.visualization import SolaraViz

from platform_abm.errors import PlatformABMError
from platform_abm.scenario import Scenario
from platform_abm.viz.components import COMPONENTS, ParametersCard
from platform_abm.viz.model import VizPlatformModel
from platform_abm.viz.params import scenario_from_environment, user_params


@dataclass(frozen=True)
class RejectedParameters:
    """What calling :class:`PageModel` returns for values the model cannot run.

    Attributes:
        message: One line naming the control, the value and what is allowed.
        params: The keywords that were rejected.
    """

    message: str
    params: dict[str, Any]


def unwrap(value: Any) -> Any:
    """The current value of a reactive variable, or the value itself."""
    return value.value if isinstance(value, solara.Reactive) else value


class _RejectingConstructor(type):
    """Metaclass whose call reads reactive arguments and returns a rejection instead of raising.

    Only the package's own errors (bad input, missing data) become a
    :class:`RejectedParameters`; any other exception is a bug and propagates.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        values = {key: unwrap(value) for key, value in kwargs.items()}
        try:
            return super().__call__(*(unwrap(a) for a in args), **values)
        except PlatformABMError as exc:
            return RejectedParameters(message=str(exc), params=values)


class PageModel(VizPlatformModel, metaclass=_RejectingConstructor):
    """:class:`VizPlatformModel` as the page builds it.

    ``PageModel(**controls)`` accepts reactive variables as values and returns
    either a model or a :class:`RejectedParameters`; it never raises for bad input.
    """


class ModelSlot(solara.Reactive):
    """The session's reactive model, which refuses a :class:`RejectedParameters`.

    Mesa's Reset assigns ``slot.value = PageModel(**sidebar_values)``. A model
    replaces the current one and clears the notice; a rejection leaves the
    current model in place and puts its message in ``notice``.

    Args:
        storage: The reactive variable holding the model.
        notice: The reactive variable holding the last rejection message.
    """

    def __init__(self, storage: solara.Reactive, notice: solara.Reactive) -> None:
        super().__init__(storage)
        self.notice = notice

    def set(self, value: Any) -> None:
        """Replace the model, or record why the new parameters were rejected."""
        if isinstance(value, RejectedParameters):
            self.notice.set(value.message)
            return
        self.notice.set(None)
        super().set(value)


@solara.component
def PlatformPage(scenario: Scenario, model_class: type[PageModel] = PageModel) -> None:
    """Mesa's SolaraViz page over a platform model built from ``scenario`` for this session.

    Args:
        scenario: The scenario the sidebar starts from.
        model_class: :class:`PageModel` or a subclass; Reset builds the new
            model with the class of the current one.
    """
    initial = solara.use_memo(lambda: model_class(base=scenario), dependencies=[scenario])
    rejected = isinstance(initial, RejectedParameters)
    notice = solara.use_reactive(None)
    storage = solara.use_reactive(None if rejected else initial)
    slot = solara.use_memo(lambda: ModelSlot(storage, notice), dependencies=[storage, notice])
    specs = solara.use_memo(lambda: user_params(scenario), dependencies=[scenario])
    starts = solara.use_memo(
        lambda: {name: spec["value"] for name, spec in specs.items()}, dependencies=[specs]
    )
    # The controls' values for this session, one reactive field per control.
    pending = solara.use_reactive(starts)
    fields = solara.use_memo(
        lambda: {name: solara.lab.Ref(pending.fields[name]) for name in specs},
        dependencies=[pending, specs],
    )
    if rejected:
        solara.Error(f"The scenario {scenario.name!r} cannot be shown: {initial.message}")
        return
    with solara.Sidebar():
        ParametersCard(slot.value, notice.value, scenario, pending.value)
    model_params: dict[str, Any] = {"base": scenario}
    for name, spec in specs.items():
        model_params[name] = {**spec, "value": fields[name]}
    SolaraViz(
        slot,
        components=list(COMPONENTS),
        model_params=model_params,
        name=f"platform_abm · {scenario.name}",
    )


def _load_scenario_or_error() -> tuple[Scenario, str | None]:
    try:
        return scenario_from_environment(), None
    except PlatformABMError as exc:
        return Scenario(), f"platform-abm viz: {exc}"


@solara.component
def Page() -> None:
    """The page served by ``solara run``: the scenario from the environment, or the default."""
    scenario, error = solara.use_memo(_load_scenario_or_error, dependencies=[])
    if error is not None:
        solara.Error(error)
        return
    PlatformPage(scenario)
