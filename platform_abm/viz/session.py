"""One browser session's model, rebuilt by Mesa's Reset, which refuses values it cannot run.

Every page (platform or curation) is Mesa's ``SolaraViz`` wrapped by
:func:`SessionPage`: each browser session builds its own model and keeps its
own sidebar state, so two sessions never share a model. Step, Play and Reset
are Mesa's own controls. Reset calls the model's class with the sidebar's
values; a class built with the :class:`RejectingConstructor` metaclass returns
a :class:`RejectedParameters` for values the model cannot run, and
:class:`ModelSlot` then keeps the current model and shows the message in the
sidebar's :func:`ResetCard`.

Each sidebar control's value is a per-session reactive variable handed to
Mesa's control widgets (Mesa binds a Solara input to it and reports changes to
its own parameter store), so the page can show the pending values before Reset
is pressed.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import solara
import solara.lab
from mesa.visualization import SolaraViz

from platform_abm.common.errors import PlatformABMError
from platform_abm.viz.widgets import html_block

if TYPE_CHECKING:
    from platform_abm.viz.sidebar import SidebarModel


@dataclass(frozen=True)
class RejectedParameters:
    """What calling a page's model class returns for values the model cannot run.

    Attributes:
        message: One line naming the control, the value and what is allowed.
        params: The keywords that were rejected.
    """

    message: str
    params: dict[str, Any]


def unwrap(value: Any) -> Any:
    """The current value of a reactive variable, or the value itself."""
    return value.value if isinstance(value, solara.Reactive) else value


class RejectingConstructor(type):
    """Metaclass whose call reads reactive arguments and returns a rejection instead of raising.

    ``Page(**controls)`` for a model class ``Page`` built with this metaclass
    accepts reactive variables as values and returns either a model or a
    :class:`RejectedParameters`. Only the package's own errors (bad input,
    missing data) become a rejection; any other exception is a bug and propagates.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        """Build the model, or return a :class:`RejectedParameters` for values it cannot run."""
        values = {key: unwrap(value) for key, value in kwargs.items()}
        try:
            return super().__call__(*(unwrap(a) for a in args), **values)
        except PlatformABMError as exc:
            return RejectedParameters(message=str(exc), params=values)


class ModelSlot(solara.Reactive):
    """The session's reactive model, which refuses a :class:`RejectedParameters`.

    Mesa's Reset assigns ``slot.value = ModelClass(**sidebar_values)``. A model
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
def ResetCard(notice: str | None, on_reset: Callable[[], str], in_use: str) -> None:
    """Sidebar card: what Reset will apply, why the last Reset was refused, the model in use.

    Args:
        notice: Message of the last refused Reset (None: the last Reset worked).
        on_reset: Describes the values Reset would apply; raises the package's
            error (shown as a warning) when Reset would be refused.
        in_use: Description of the model in use.
    """
    with solara.Card("Parameters", classes=["pabm-parameters"]):
        if notice:
            with solara.Div(classes=["pabm-notice"]):
                solara.Error(f"Reset refused, the previous model is kept: {notice}")
        try:
            pending = on_reset()
        except PlatformABMError as exc:
            with solara.Div(classes=["pabm-pending-error"]):
                solara.Warning(f"Reset would be refused: {exc}")
        else:
            html_block(f"<b>On Reset:</b> {html.escape(pending)}", "pabm-pending")
        html_block(f"<b>In use:</b> {html.escape(in_use)}", "pabm-in-use")


@solara.component
def SessionPage(
    model_class: type[SidebarModel],
    scenario: Any,
    components: Sequence[Callable[[Any], Any]],
    in_use_text: Callable[[Any], str],
) -> None:
    """Mesa's SolaraViz page over a model of ``model_class`` built for this session.

    Args:
        model_class: The page's model class (a
            :class:`~platform_abm.viz.sidebar.SidebarModel` built with
            :class:`RejectingConstructor`); Reset builds the new model with the
            class of the current one.
        scenario: The base scenario: the first model is ``model_class(base=scenario)``,
            and the sidebar (``model_class.sidebar``) starts from its values.
        components: The main components, each called with the model.
        in_use_text: ``model -> text``: the model in use, for the sidebar's card.
    """
    sidebar = model_class.sidebar
    controls = solara.use_memo(lambda: sidebar.user_params(scenario), dependencies=[scenario])
    initial = solara.use_memo(
        lambda: model_class(base=scenario), dependencies=[model_class, scenario]
    )
    rejected = isinstance(initial, RejectedParameters)
    notice = solara.use_reactive(None)
    storage = solara.use_reactive(None if rejected else initial)
    slot = solara.use_memo(lambda: ModelSlot(storage, notice), dependencies=[storage, notice])
    starts = solara.use_memo(
        lambda: {key: spec["value"] for key, spec in controls.items()}, dependencies=[controls]
    )
    # The controls' values for this session, one reactive field per control.
    pending = solara.use_reactive(starts)
    fields = solara.use_memo(
        lambda: {key: solara.lab.Ref(pending.fields[key]) for key in controls},
        dependencies=[pending, controls],
    )
    if rejected:
        solara.Error(f"The scenario {scenario.name!r} cannot be shown: {initial.message}")
        return
    with solara.Sidebar():
        ResetCard(
            notice.value,
            lambda: sidebar.describe(scenario, sidebar.parse_controls(scenario, pending.value)),
            in_use_text(slot.value),
        )
    model_params: dict[str, Any] = {"base": scenario}
    for key, spec in controls.items():
        model_params[key] = {**spec, "value": fields[key]}
    SolaraViz(
        slot,
        components=list(components),
        model_params=model_params,
        name=f"platform_abm · {scenario.name}",
    )
