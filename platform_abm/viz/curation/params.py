"""Sidebar controls of the curation page, and their translation into model parameters.

The page shows the controls of the alignment game a user is most likely to
vary: fidelity (exact grid dynamics or the paper's sampled loop), the order of
the curators, the owner's pool K and temperature τ, the public's pool M,
temperature τ and disc centre x (which sets the regime: perfect, partial or
disjoint alignment), the mix fraction, the round limit and the seed. The public
controls set the scenario's first faction; everything else comes from the
base :class:`~platform_abm.curation.scenario.CurationScenario`.

:data:`SIDEBAR` reads the controls' values (refusing text where a number is
expected, naming the control); which numbers are allowed is decided by
:class:`~platform_abm.curation.model.CurationModel` itself, whose
:class:`~platform_abm.common.errors.InputError` the sidebar renames after the
control. This module is pure Python: it knows nothing about Solara.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from platform_abm.curation.scenario import FIDELITIES, ORDERS, CurationScenario
from platform_abm.viz.sidebar import Sidebar
from platform_abm.viz.values import choice_reader, number_reader, parse_seed

POOL_MAX = 50
"""Largest pool size K or M offered by the sliders (more if the scenario uses more)."""

TEMPERATURE_RANGE = (0.05, 3.0)
"""Range of the temperature sliders (widened to the scenario's own values)."""

ROUNDS_MAX = 500
"""Largest round limit offered by the slider (more if the scenario uses more)."""


@dataclass(frozen=True)
class CurationControls:
    """Values of the curation page's sidebar controls, keyed by keyword.

    Attributes:
        fidelity: ``"grid"`` or ``"sampled"``.
        order: ``"owner-first"`` or ``"public-first"``.
        owner_pool: The owner's pool size K.
        owner_temperature: The owner's temperature τ.
        public_pool: The public's pool size M (first faction).
        public_temperature: The public's temperature τ (first faction).
        public_centre_x: x of the public's disc centre (first faction).
        mix: Fraction of original data mixed into each round's output.
        max_rounds: Round limit.
        seed: Seed of the model's generator.
    """

    fidelity: str
    order: str
    owner_pool: int
    owner_temperature: float
    public_pool: int
    public_temperature: float
    public_centre_x: float
    mix: float
    max_rounds: int
    seed: int


CONTROL_LABELS = {
    "fidelity": "fidelity",
    "order": "order",
    "owner_pool": "owner pool K",
    "owner_temperature": "owner τ",
    "public_pool": "public pool M",
    "public_temperature": "public τ",
    "public_centre_x": "public centre x",
    "mix": "mix fraction",
    "max_rounds": "round limit",
    "seed": "seed",
}
"""Name of each control in messages, keyed by its keyword, in display order."""


def control_label(key: str) -> str:
    """The sidebar label of a control (its name, capitalised)."""
    name = CONTROL_LABELS[key]
    return name[:1].upper() + name[1:]


MODEL_FIELDS = {
    "fidelity": "fidelity",
    "order": "order",
    "owner_pool": "owner_pool",
    "owner_temperature": "owner_temperature",
    "factions[0].pool": "public_pool",
    "factions[0].temperature": "public_temperature",
    "factions[0].centre": "public_centre_x",
    "mix": "mix",
    "max_rounds": "max_rounds",
}
"""The control setting each field the model's errors name."""


def initial_controls(scenario: CurationScenario) -> CurationControls:
    """The control values of a scenario.

    Args:
        scenario: The scenario the page starts with.

    Returns:
        The initial control values.
    """
    public = scenario.factions[0]
    return CurationControls(
        fidelity=scenario.fidelity,
        order=scenario.order,
        owner_pool=scenario.owner.pool,
        owner_temperature=scenario.owner.temperature,
        public_pool=public.pool,
        public_temperature=public.temperature,
        public_centre_x=public.centre[0],
        mix=scenario.mix,
        max_rounds=scenario.rounds,
        seed=scenario.seed,
    )


_NUMBERS = {
    "owner_pool": int,
    "owner_temperature": float,
    "public_pool": int,
    "public_temperature": float,
    "public_centre_x": float,
    "mix": float,
    "max_rounds": int,
}
"""The number controls and their kind."""


def readers(scenario: CurationScenario) -> dict[str, Callable[[Any], Any]]:
    """How each control's value is read (the same for every scenario).

    Args:
        scenario: The base scenario.

    Returns:
        The reader of each control, keyed by keyword.
    """
    del scenario  # the choices and kinds do not depend on it
    return {
        "fidelity": choice_reader(CONTROL_LABELS["fidelity"], FIDELITIES),
        "order": choice_reader(CONTROL_LABELS["order"], ORDERS),
        **{key: number_reader(CONTROL_LABELS[key], kind) for key, kind in _NUMBERS.items()},
        "seed": parse_seed,
    }


def model_kwargs(scenario: CurationScenario, controls: CurationControls) -> dict[str, Any]:
    """Keyword parameters of :class:`~platform_abm.curation.model.CurationModel` for the controls.

    Args:
        scenario: The base scenario (everything the sidebar does not show).
        controls: The sidebar's values.

    Returns:
        The model's keyword parameters (with ``rng`` the seed).
    """
    kwargs = scenario.model_kwargs()
    factions = [dict(faction) for faction in kwargs["factions"]]
    public = factions[0]
    public.update(
        pool=controls.public_pool,
        temperature=controls.public_temperature,
        centre=[controls.public_centre_x, public["centre"][1]],
    )
    kwargs.update(
        fidelity=controls.fidelity,
        order=controls.order,
        owner_pool=controls.owner_pool,
        owner_temperature=controls.owner_temperature,
        factions=tuple(factions),
        mix=controls.mix,
        max_rounds=controls.max_rounds,
        rng=controls.seed,
    )
    return kwargs


def _slider(kind: str, label: str, value: float, low: float, high: float, step: float) -> dict:
    """A slider spec whose range also covers the starting value."""
    return {
        "type": kind,
        "label": label,
        "value": value,
        "min": min(low, value),
        "max": max(high, value),
        "step": step,
    }


def user_params(scenario: CurationScenario) -> dict[str, dict[str, Any]]:
    """The curation page's controls (see :attr:`~platform_abm.viz.sidebar.Sidebar.user_params`).

    The sliders' ranges are widened to cover the scenario's own values; with
    several factions the public controls are labelled with the first one's name.
    """
    start = initial_controls(scenario)
    labels = {key: control_label(key) for key in CONTROL_LABELS}
    if len(scenario.factions) > 1:  # the public controls set the first faction only
        name = scenario.factions[0].name
        for key in ("public_pool", "public_temperature", "public_centre_x"):
            labels[key] = f"{labels[key]} ({name})"
    tau_low, tau_high = TEMPERATURE_RANGE
    sliders = {  # keyword: (type, low, high, step)
        "owner_pool": ("SliderInt", 1, POOL_MAX, 1),
        "owner_temperature": ("SliderFloat", tau_low, tau_high, 0.05),
        "public_pool": ("SliderInt", 1, POOL_MAX, 1),
        "public_temperature": ("SliderFloat", tau_low, tau_high, 0.05),
        "public_centre_x": ("SliderFloat", scenario.grid.low, scenario.grid.high, 0.25),
        "mix": ("SliderFloat", 0.0, 1.0, 0.01),
        "max_rounds": ("SliderInt", 1, ROUNDS_MAX, 1),
    }
    controls: dict[str, dict[str, Any]] = {
        key: {"type": "Select", "label": labels[key], "value": value, "values": list(values)}
        for key, value, values in (
            ("fidelity", start.fidelity, FIDELITIES),
            ("order", start.order, ORDERS),
        )
    }
    for key, (kind, low, high, step) in sliders.items():
        controls[key] = _slider(kind, labels[key], getattr(start, key), low, high, step)
    controls["seed"] = {"type": "InputText", "label": labels["seed"], "value": str(start.seed)}
    return controls


def describe(scenario: CurationScenario, controls: CurationControls) -> str:
    """The control values as one line of text.

    Args:
        scenario: The base scenario (not needed: every value is a control's).
        controls: The control values.

    Returns:
        The text.
    """
    del scenario
    return (
        f"{controls.fidelity} · {controls.order} · K {controls.owner_pool} · "
        f"owner τ {controls.owner_temperature:g} · M {controls.public_pool} · "
        f"public τ {controls.public_temperature:g} · "
        f"public centre x {controls.public_centre_x:g} · mix {controls.mix:g} · "
        f"rounds {controls.max_rounds} · seed {controls.seed}"
    )


SIDEBAR = Sidebar(
    controls=CurationControls,
    labels=CONTROL_LABELS,
    initial=initial_controls,
    readers=readers,
    model_kwargs=model_kwargs,
    fields=MODEL_FIELDS,
    describe=describe,
    user_params=user_params,
)
"""The curation page's sidebar."""
