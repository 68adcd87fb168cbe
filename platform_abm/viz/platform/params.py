"""Sidebar controls of the platform page, and their translation into model parameters.

The page shows a handful of controls (population, ε, one weight per reasoning
level 0–3, collective size α and its utility λ, learner regularisation, round
limit, seed). :func:`model_kwargs` turns their values, on top of a base
:class:`~platform_abm.platform.scenario.Scenario`, into the keyword parameters of
:class:`~platform_abm.platform.model.PlatformModel`; every value the controls can
produce but the model cannot use raises :class:`~platform_abm.common.errors.InputError`
naming the control. This module is pure Python: it knows nothing about Solara.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from platform_abm.common import data
from platform_abm.common.errors import InputError
from platform_abm.platform.scenario import Scenario
from platform_abm.viz.values import given_controls, parse_number, parse_seed

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


def collectives_available() -> bool:
    """Whether this installation has the collective code the model needs for collectives."""
    try:
        from platform_abm.platform.collective import (  # noqa: F401
            CollectiveSpec,
            plan_collective,
            select_members,
        )
    except ImportError:
        return False
    return True


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

    Args:
        value: :data:`REG_DEFAULT` (or None) for the learner's default 1/n, or a
            non-negative number (possibly as text).

    Returns:
        None for the default, otherwise the strength.

    Raises:
        InputError: When the value is not a finite non-negative number.
    """
    if value is None or value == REG_DEFAULT:
        return None
    try:
        reg = float(value)
    except (TypeError, ValueError):
        raise InputError("learner regularisation", value, "a number >= 0") from None
    if not math.isfinite(reg) or reg < 0:
        raise InputError("learner regularisation", value, "a finite number >= 0")
    return reg


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
class Controls:
    """Values of the sidebar controls, as the page passes them to the model.

    Attributes:
        population: Population source name.
        n_users: Size of a synthetic population (ignored by ``credit`` and ``csv``).
        epsilon: ε of a constant budget, the median of a lognormal one, or the
            midpoint of a uniform one (its bounds are scaled with it).
        level_weights: One weight per reasoning level 0–3, renormalised.
        alpha: Collective size, as a fraction of the users (0: no collective).
        collective_lambda: λ of the collective's utility.
        reg: Learner regularisation (None: the learner's default 1/n).
        max_rounds: Round limit.
        seed: Seed of the model's generator.
    """

    population: str
    n_users: int
    epsilon: float
    level_weights: tuple[float, ...]
    alpha: float
    collective_lambda: float
    reg: float | None
    max_rounds: int
    seed: int


def _first_collective(scenario: Scenario) -> dict[str, Any]:
    return scenario.collectives[0] if scenario.collectives else {}


def initial_controls(scenario: Scenario) -> Controls:
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
    return Controls(
        population=scenario.source,
        n_users=int(scenario.n or DEFAULT_SIZES.get(scenario.source, data.CREDIT_SIZE)),
        epsilon=float(scenario.epsilon.value),
        level_weights=tuple(weights),
        alpha=float(alpha) if isinstance(alpha, int | float) else 0.0,
        collective_lambda=float(lam) if isinstance(lam, int | float) else 0.5,
        reg=scenario.learner_params.get("reg"),
        max_rounds=int(scenario.rounds),
        seed=int(scenario.seed),
    )


CONTROL_NAMES = (
    "population",
    "n_users",
    "epsilon",
    *(f"level_{level}" for level in range(LEVEL_SLIDERS)),
    "alpha",
    "collective_lambda",
    "reg",
    "max_rounds",
    "seed",
)
"""Keywords of the sidebar controls, in display order."""


def parse_controls(scenario: Scenario, values: dict[str, Any]) -> Controls:
    """Read the sidebar's values (any subset of :data:`CONTROL_NAMES`) over a scenario.

    Args:
        scenario: The base scenario, which gives every value not in ``values``
            (or given as None).
        values: Control values keyed by control name.

    Returns:
        The parsed controls.

    Raises:
        InputError: For an unknown control or a value of the wrong kind (a
            seed that is not a whole number, say).
    """
    start = initial_controls(scenario)
    given = given_controls(values, CONTROL_NAMES)
    weights = tuple(
        parse_number(given[f"level_{level}"], f"level {level} weight", float)
        if f"level_{level}" in given
        else default
        for level, default in enumerate(start.level_weights)
    )
    population = given.get("population", start.population)
    if not isinstance(population, str):
        raise InputError("population", population, "a population source name")
    return Controls(
        population=population,
        n_users=parse_number(given.get("n_users", start.n_users), "users", int),
        epsilon=parse_number(given.get("epsilon", start.epsilon), "ε", float),
        level_weights=weights,
        alpha=parse_number(given.get("alpha", start.alpha), "collective α", float),
        collective_lambda=parse_number(
            given.get("collective_lambda", start.collective_lambda), "collective λ", float
        ),
        reg=parse_reg(given["reg"]) if "reg" in given else start.reg,
        max_rounds=parse_number(given.get("max_rounds", start.max_rounds), "round limit", int),
        seed=parse_seed(given["seed"]) if "seed" in given else start.seed,
    )


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


def _population_size(scenario: Scenario, controls: Controls) -> int | None:
    """Number of users the model will have, when known before loading the data."""
    if controls.population in ("synthetic-credit", "gaussian"):
        return controls.n_users
    if controls.population == "credit":
        return data.CREDIT_SIZE
    return None


def _collective_tables(scenario: Scenario, controls: Controls) -> tuple[dict[str, Any], ...]:
    """The scenario's collectives with the first one resized to α and its λ set.

    α = 0 removes that collective; when the scenario has none, α > 0 adds a
    loss-aligned collective of that size.
    """
    others = tuple(copy.deepcopy(t) for t in scenario.collectives[1:])
    alpha = controls.alpha
    if not math.isfinite(alpha) or not 0 <= alpha < 1:
        raise InputError("collective α", alpha, "a fraction of the users in [0, 1)")
    if alpha == 0:
        return others
    n = _population_size(scenario, controls)
    if n is not None and math.floor(alpha * n + 0.5) < 1:
        raise InputError(
            "collective α",
            alpha,
            f"a fraction giving at least one member among {n} users (the collective is empty)",
        )
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


def model_kwargs(scenario: Scenario, controls: Controls) -> dict[str, Any]:
    """Keyword parameters of :class:`~platform_abm.platform.model.PlatformModel` for the controls.

    Args:
        scenario: The base scenario (everything the sidebar does not show).
        controls: The sidebar's values.

    Returns:
        The model's keyword parameters.

    Raises:
        InputError: For a combination the model cannot run (an empty level mix,
            an empty collective, a bad ε or seed, collectives requested while
            this installation has no collective module).
    """
    if not math.isfinite(controls.epsilon) or controls.epsilon <= 0:
        raise InputError("ε", controls.epsilon, "a finite number > 0")
    if controls.population not in (*population_choices(scenario), "credit"):
        raise InputError("population", controls.population, ", ".join(population_choices(scenario)))
    extra_levels = tuple(scenario.levels[LEVEL_SLIDERS:])
    fractions = renormalise_levels((*controls.level_weights, *extra_levels))
    collectives = _collective_tables(scenario, controls)
    if collectives and not collectives_available():
        raise InputError(
            "collective α",
            controls.alpha,
            "0: this installation has no collective module (platform_abm.platform.collective) yet",
        )
    params = scenario.model_params() | {"agent_sample": 0}  # the page shows no per-agent table
    spec = scenario.epsilon
    scale = controls.epsilon / spec.value if spec.value > 0 else 1.0
    learner_params = dict(scenario.learner_params)
    learner_params.pop("reg", None)
    if controls.reg is not None:
        learner_params["reg"] = controls.reg
    n_users: int | None = controls.n_users
    if controls.population not in ("synthetic-credit", "gaussian"):
        n_users = scenario.n
    elif n_users < 2:
        raise InputError("users", n_users, "at least 2 users")
    if controls.max_rounds < 1:
        raise InputError("round limit", controls.max_rounds, "at least 1 round")
    params.update(
        population=controls.population,
        n_users=n_users,
        strategic_features=_strategic_features(scenario, controls.population),
        epsilon=controls.epsilon,
        epsilon_low=spec.low * scale,
        epsilon_high=spec.high * scale,
        levels=fractions,
        learner_params=learner_params,
        max_rounds=controls.max_rounds,
        collectives=collectives,
        rng=controls.seed,
    )
    return params


def user_params(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """The sidebar controls in Mesa's ``model_params`` format, initialised from a scenario.

    Args:
        scenario: The scenario the page starts with.

    Returns:
        One entry per control (``SliderInt``, ``SliderFloat``, ``Select``,
        ``InputText``), keyed by the keyword of
        :class:`~platform_abm.viz.platform.model.VizPlatformModel` it sets.
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
