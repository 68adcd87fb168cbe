"""Sidebar controls of the platform page, and their translation into model parameters.

The page shows a handful of controls (population, ε, one weight per reasoning
level 0–3, collective size α and its utility λ, learner regularisation, round
limit, seed). :func:`model_kwargs` turns their values, on top of a base
:class:`~platform_abm.platform.scenario.Scenario`, into the keyword parameters of
:class:`~platform_abm.platform.model.PlatformModel`. Which values are allowed
is decided by the model (by the declarations of
:mod:`platform_abm.platform.schema`); :data:`SIDEBAR` renames its errors after
the control. This module is pure Python: it knows nothing about Solara.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from platform_abm.common import data
from platform_abm.common.errors import InputError
from platform_abm.platform.scenario import Scenario
from platform_abm.viz.sidebar import Sidebar
from platform_abm.viz.values import choice_reader, number_reader, parse_seed

LEVEL_SLIDERS = 4
"""Number of level-weight sliders (levels 0, 1, 2 and 3)."""

REG_DEFAULT = "1/n (default)"
"""Label of the learner's default regularisation (λ = 1/n)."""

REG_CHOICES = (REG_DEFAULT, "0", "1e-4", "1e-3", "1e-2", "1e-1")
"""Regularisation strengths offered by the sidebar."""

DEFAULT_COLLECTIVE_NAME = "collective"
"""Name of the collective the page creates when the scenario has none."""

DEFAULT_COLLECTIVE_UTILITY = "loss-alignment"
"""Utility kind of the collective the page creates when the scenario has none."""

DEFAULT_SIZES = {"synthetic-credit": data.CREDIT_SIZE, "gaussian": 10_000}
"""Population size used by the size slider when the scenario does not fix one."""


def population_choices(scenario: Scenario) -> list[str]:
    """Population sources the sidebar offers for a scenario.

    The embedded synthetic credit population and the Gaussian population are
    always offered; the real credit data only when its file is installed; a CSV
    population only when the scenario itself reads one.

    Args:
        scenario: The scenario the page was started with.

    Returns:
        The source names, the scenario's own source first.
    """
    choices = ["synthetic-credit", "gaussian"]
    if data.find_credit_file(scenario.path if scenario.source == "credit" else None) is not None:
        choices.append("credit")
    if scenario.source == "csv":
        choices.append("csv")
    if scenario.source in choices:
        choices.remove(scenario.source)
    return [scenario.source, *choices]


def parse_reg(value: Any) -> float | None:
    """The learner's regularisation strength chosen in the sidebar.

    Which strengths are allowed is the learner's decision (its ``reg`` parameter).

    Args:
        value: :data:`REG_DEFAULT` (or None) for the learner's default 1/n, or a
            number (possibly as text).

    Returns:
        None for the default, otherwise the strength.

    Raises:
        InputError: When the value is neither the default nor a number.
    """
    if value is None or value == REG_DEFAULT:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(CONTROL_LABELS["reg"], value, f"a number or {REG_DEFAULT!r}") from None


def reg_label(reg: float | None) -> str:
    """The sidebar label of a regularisation strength (inverse of :func:`parse_reg`)."""
    if reg is None:
        return REG_DEFAULT
    for label in REG_CHOICES[1:]:
        if float(label) == reg:
            return label
    return repr(float(reg))


def renormalise_levels(weights: Sequence[float]) -> tuple[float, ...]:
    """Turn one weight per reasoning level into fractions that sum to 1.

    Args:
        weights: A non-negative weight per level (index = level).

    Returns:
        The fractions, without trailing zero levels (at least one entry).

    Raises:
        InputError: When a weight is negative or not finite, or all are zero.
    """
    values = [float(w) for w in weights]
    if not values or any(not math.isfinite(w) or w < 0 for w in values):
        raise InputError("level mix", tuple(weights), "finite weights >= 0, one per level")
    total = math.fsum(values)
    if total <= 0:
        raise InputError("level mix", tuple(weights), "at least one level weight above 0")
    fractions = [w / total for w in values]
    while len(fractions) > 1 and fractions[-1] == 0.0:
        fractions.pop()
    return tuple(fractions)


def format_mix(fractions: Sequence[float]) -> str:
    """A level mix as text, e.g. ``L0 0% · L1 50% · L2 50%``."""
    return " · ".join(f"L{level} {fraction:.0%}" for level, fraction in enumerate(fractions))


@dataclass(frozen=True)
class PlatformControls:
    """Values of the sidebar controls, keyed (as the page passes them to the model) by keyword.

    Attributes:
        population: Population source name.
        n_users: Size of a synthetic population (ignored by ``credit`` and ``csv``).
        epsilon: ε of a constant budget, the median of a lognormal one, or the
            midpoint of a uniform one (its bounds are scaled with it).
        level_0: Weight of reasoning level 0 (the weights are renormalised).
        level_1: Weight of reasoning level 1.
        level_2: Weight of reasoning level 2.
        level_3: Weight of reasoning level 3.
        alpha: Collective size, as a fraction of the users (0: no collective).
        collective_lambda: λ of the collective's utility.
        reg: Learner regularisation (None: the learner's default 1/n).
        max_rounds: Round limit.
        seed: Seed of the model's generator.
    """

    population: str
    n_users: int
    epsilon: float
    level_0: float
    level_1: float
    level_2: float
    level_3: float
    alpha: float
    collective_lambda: float
    reg: float | None
    max_rounds: int
    seed: int

    @property
    def level_weights(self) -> tuple[float, ...]:
        """The weights of levels 0 to 3."""
        return tuple(getattr(self, f"level_{level}") for level in range(LEVEL_SLIDERS))


CONTROL_LABELS = {
    "population": "population",
    "n_users": "users",
    "epsilon": "ε",
    **{f"level_{level}": f"level {level} weight" for level in range(LEVEL_SLIDERS)},
    "alpha": "collective α",
    "collective_lambda": "collective λ",
    "reg": "learner regularisation",
    "max_rounds": "round limit",
    "seed": "seed",
}
"""Name of each control in messages, keyed by its keyword, in display order."""

MODEL_FIELDS = {
    "population.source": "population",
    "population.n": "n_users",
    "users.epsilon": "epsilon",
    "users.epsilon.low": "epsilon",
    "users.epsilon.high": "epsilon",
    "learner.reg": "reg",
    "scenario.rounds": "max_rounds",
    "scenario.seed": "seed",
    "collectives[0].members": "alpha",
    "collectives[0].members.fraction": "alpha",
    "collectives[0].utility.lambda": "collective_lambda",
}
"""The control setting each field the model's errors name (the scenario file's names)."""


def _first_collective(scenario: Scenario) -> dict[str, Any]:
    return scenario.collectives[0] if scenario.collectives else {}


def initial_controls(scenario: Scenario) -> PlatformControls:
    """The control values that reproduce a scenario as closely as the sidebar can.

    Args:
        scenario: The scenario the page starts with.

    Returns:
        The initial control values.
    """
    weights = [0.0] * LEVEL_SLIDERS
    for level, fraction in enumerate(scenario.levels[:LEVEL_SLIDERS]):
        weights[level] = float(fraction)
    first = _first_collective(scenario)
    members = first.get("members", {})
    utility = first.get("utility", {})
    alpha = members.get("fraction", 0.0) if isinstance(members, dict) else 0.0
    lam = utility.get("lambda", 0.5) if isinstance(utility, dict) else 0.5
    return PlatformControls(
        population=scenario.source,
        n_users=int(scenario.n or DEFAULT_SIZES.get(scenario.source, data.CREDIT_SIZE)),
        epsilon=float(scenario.epsilon.value),
        **{f"level_{level}": weight for level, weight in enumerate(weights)},
        alpha=float(alpha) if isinstance(alpha, int | float) else 0.0,
        collective_lambda=float(lam) if isinstance(lam, int | float) else 0.5,
        reg=scenario.learner_params.get("reg"),
        max_rounds=int(scenario.rounds),
        seed=int(scenario.seed),
    )


def readers(scenario: Scenario) -> dict[str, Callable[[Any], Any]]:
    """How each control's value is read, for the page of a scenario.

    Args:
        scenario: The base scenario (it decides which populations are offered).

    Returns:
        The reader of each control, keyed by keyword.
    """
    kinds = dict.fromkeys(CONTROL_LABELS, float) | {"n_users": int, "max_rounds": int}
    read = {key: number_reader(CONTROL_LABELS[key], kind) for key, kind in kinds.items()}
    read.update(
        population=choice_reader(CONTROL_LABELS["population"], population_choices(scenario)),
        reg=parse_reg,
        seed=parse_seed,
    )
    return read


def _strategic_features(scenario: Scenario, population: str) -> tuple[str | int, ...]:
    """Strategic features that exist in the chosen population."""
    if population == scenario.source:
        return scenario.strategic_features
    if population in ("credit", "synthetic-credit"):
        names = scenario.strategic_features
        if all(isinstance(f, str) and f in data.CREDIT_FEATURES for f in names):
            return names
        return Scenario().strategic_features
    # Gaussian features are x0 … x{d-1}: the first (up to) three are strategic.
    return tuple(range(min(3, scenario.d)))


def _collective_tables(
    scenario: Scenario, controls: PlatformControls
) -> tuple[dict[str, Any], ...]:
    """The scenario's collectives with the first one resized to α and its λ set.

    α = 0 removes that collective; when the scenario has none, α > 0 adds a
    loss-aligned collective of that size.
    """
    others = tuple(copy.deepcopy(t) for t in scenario.collectives[1:])
    alpha = controls.alpha
    if alpha == 0:
        return others
    if scenario.collectives:
        table = copy.deepcopy(scenario.collectives[0])
        members = table.get("members")
        members = dict(members) if isinstance(members, dict) else {}
        members.pop("count", None)
        members["fraction"] = alpha
        table["members"] = members
        utility = table.get("utility")
        utility = dict(utility) if isinstance(utility, dict) else {}
        utility["lambda"] = controls.collective_lambda
        table["utility"] = utility
    else:
        table = default_collective(
            alpha,
            controls.collective_lambda,
            _strategic_features(scenario, controls.population),
            controls.epsilon,
        )
    return (table, *others)


def default_collective(
    alpha: float, lam: float, features: Sequence[str | int], budget: float
) -> dict[str, Any]:
    """The collective the page adds when the scenario has none.

    A random fraction α of the users shifts the strategic features together
    (one shared η, at most ``budget``, the users' ε) to maximise the alignment
    utility ℓ − λ·||θ||² through the platform's response (docs/model.md §4).

    Args:
        alpha: Fraction of the users in the collective.
        lam: λ of the alignment utility.
        features: The strategic features.
        budget: Largest shift of a feature.

    Returns:
        A ``[[collectives]]`` table.
    """
    return {
        "name": DEFAULT_COLLECTIVE_NAME,
        "members": {"fraction": alpha},
        "strategy": {
            "family": "shift",
            "features": list(features),
            "direction": "ones",
            "shared": True,
            "budget": budget,
        },
        "utility": {"kind": DEFAULT_COLLECTIVE_UTILITY, "lambda": lam},
    }


def model_kwargs(scenario: Scenario, controls: PlatformControls) -> dict[str, Any]:
    """Keyword parameters of :class:`~platform_abm.platform.model.PlatformModel` for the controls.

    The values are not checked here: the model checks them (an empty
    collective, say) by its declarations.

    Args:
        scenario: The base scenario (everything the sidebar does not show).
        controls: The sidebar's values.

    Returns:
        The model's keyword parameters.

    Raises:
        InputError: For level weights that give no level mix (all zero).
    """
    fractions = renormalise_levels((*controls.level_weights, *scenario.levels[LEVEL_SLIDERS:]))
    spec = scenario.epsilon
    scale = controls.epsilon / spec.value if spec.value > 0 else 1.0
    learner_params = dict(scenario.learner_params)
    learner_params.pop("reg", None)
    if controls.reg is not None:
        learner_params["reg"] = controls.reg
    synthetic = controls.population in ("synthetic-credit", "gaussian")
    return scenario.model_kwargs() | {
        "agent_sample": 0,  # the page shows no per-agent table
        "population": controls.population,
        "n_users": controls.n_users if synthetic else scenario.n,
        "strategic_features": _strategic_features(scenario, controls.population),
        "epsilon": controls.epsilon,
        "epsilon_low": spec.low * scale,
        "epsilon_high": spec.high * scale,
        "levels": fractions,
        "learner_params": learner_params,
        "max_rounds": controls.max_rounds,
        "collectives": _collective_tables(scenario, controls),
        "rng": controls.seed,
    }


def user_params(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """The platform page's controls (see :attr:`~platform_abm.viz.sidebar.Sidebar.user_params`).

    Population, users and ε first, one weight slider per level 0–3, then the
    collective's α and λ, the regularisation, the round limit and the seed.
    """
    start = initial_controls(scenario)
    reg_values = list(REG_CHOICES)
    if reg_label(start.reg) not in reg_values:
        reg_values.append(reg_label(start.reg))
    controls: dict[str, dict[str, Any]] = {
        "population": {
            "type": "Select",
            "label": "Population",
            "value": start.population,
            "values": population_choices(scenario),
        },
        "n_users": {
            "type": "SliderInt",
            "label": "Users (synthetic populations)",
            "value": min(max(start.n_users, 500), 50_000),
            "min": 500,
            "max": 50_000,
            "step": 500,
        },
        "epsilon": {
            "type": "SliderFloat",
            "label": "ε (manipulation budget)",
            "value": start.epsilon,
            "min": 0.05,
            "max": max(3.0, start.epsilon),
            "step": 0.05,
        },
    }
    for level in range(LEVEL_SLIDERS):
        controls[f"level_{level}"] = {
            "type": "SliderFloat",
            "label": f"Level {level} weight",
            "value": start.level_weights[level],
            "min": 0.0,
            "max": 1.0,
            "step": 0.05,
        }
    controls.update(
        {
            "alpha": {
                "type": "SliderFloat",
                "label": "Collective size α",
                "value": start.alpha,
                "min": 0.0,
                "max": max(0.5, start.alpha),
                "step": 0.01,
            },
            "collective_lambda": {
                "type": "SliderFloat",
                "label": "Collective utility λ",
                "value": start.collective_lambda,
                "min": 0.0,
                "max": 1.0,
                "step": 0.05,
            },
            "reg": {
                "type": "Select",
                "label": "Learner regularisation",
                "value": reg_label(start.reg),
                "values": reg_values,
            },
            "max_rounds": {
                "type": "SliderInt",
                "label": "Round limit",
                "value": min(max(start.max_rounds, 1), 500),
                "min": 1,
                "max": 500,
                "step": 1,
            },
            "seed": {"type": "InputText", "label": "Seed", "value": str(start.seed)},
        }
    )
    return controls


def describe(scenario: Scenario, controls: PlatformControls) -> str:
    """The control values as one line of text, with the level mix they give.

    Args:
        scenario: The base scenario (its levels beyond the sliders count in the mix).
        controls: The control values.

    Returns:
        The text.

    Raises:
        InputError: For level weights that give no level mix (all zero).
    """
    fractions = model_kwargs(scenario, controls)["levels"]
    reg = "1/n" if controls.reg is None else f"{controls.reg:g}"
    return (
        f"ε {controls.epsilon:g} · level mix {format_mix(fractions)} · "
        f"α {controls.alpha:g} · λ {controls.collective_lambda:g} · reg {reg} · "
        f"rounds {controls.max_rounds} · seed {controls.seed}"
    )


SIDEBAR = Sidebar(
    controls=PlatformControls,
    labels=CONTROL_LABELS,
    initial=initial_controls,
    readers=readers,
    model_kwargs=model_kwargs,
    fields=MODEL_FIELDS,
    describe=describe,
    user_params=user_params,
)
"""The platform page's sidebar."""
