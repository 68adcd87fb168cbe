"""Declarations of the platform family's settings: scenario-file tables and model keywords.

Every setting of a platform scenario file is a field of :class:`PlatformDocument`
(one model per table) and every keyword of
:class:`~platform_abm.platform.model.PlatformModel` a field of :class:`PlatformParams`;
both use the same declared types (:data:`ROUNDS`, :data:`EPSILON`, ...) and the
same rules (:func:`uniform_bounds`, :data:`LEVELS`), so a file, the Python API
and a sweep accept exactly the same values. The ``[learner]`` table comes from
the learners' own declarations (:func:`platform_abm.common.learners.learner_from_table`),
``[[collectives]]`` from :mod:`platform_abm.platform.collective.schema` and ``[sweep]``
from :mod:`platform_abm.batch.spec`. ``docs/scenarios.md`` is generated from
these declarations by ``scripts/scenario_reference.py``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from platform_abm.common.data import Population
from platform_abm.common.learners import (
    LEARNERS,
    Learner,
    LearnerTable,
    learner_names,
    learner_table,
    parameters_model,
)
from platform_abm.common.validation import (
    MAX_SEED,
    PATH,
    ROUNDS,
    SCENARIO_NAME,
    SEED,
    Allowed,
    StrictModel,
    boolean,
    choice,
    explained,
    instance_of,
    integer,
    number,
    refuse,
    sequence,
    table_of,
    text,
    variants,
)

POPULATION_SOURCES = ("credit", "synthetic-credit", "csv", "gaussian")
EPSILON_DISTRIBUTIONS = ("lognormal", "uniform")
MIXTURES = ("agents", "expected")

MAX_LEVEL = 10
"""Deepest reasoning level."""
SUM_TOLERANCE = 1e-9
"""How far the level fractions may sum from 1."""
MAX_USERS = 50_000_000
"""Largest population (and agent sample)."""
MAX_FEATURES = 10_000
"""Most features of a Gaussian population, and most listed columns."""
MAX_EPSILON = 1e6
"""Largest manipulation budget ε (typical values are 0.01 to 10)."""
MAX_SIGMA = 10.0
"""Largest log-scale spread of a lognormal ε: every ε_i stays far inside float range.

With at most 5·10⁷ users the largest |z| of the standard normal draws is below
8.5 (short of probability 10⁻⁹), so ε_i ≤ MAX_EPSILON · e^85 ≈ 10⁴³ and the
responses and their squares stay finite."""

USERS = integer(ge=2, le=MAX_USERS)
FEATURE_COUNT = integer(ge=1, le=MAX_FEATURES)
EPSILON = number(gt=0, le=MAX_EPSILON)
EPSILON_BOUND = number(ge=0, le=MAX_EPSILON)
SIGMA = number(ge=0, le=MAX_SIGMA)
FRACTION = number(ge=0, le=1)
TOLERANCE = number(ge=0)
DIVERGENCE_BOUND = number(gt=0)
AGENT_SAMPLE = integer(ge=0, le=MAX_USERS)
FEATURE = explained(text(min_length=1) | integer(ge=0), "a feature name or a column index >= 0")
STRATEGIC_FEATURES = sequence(FEATURE, min_length=1, max_length=MAX_FEATURES)
COLUMNS = sequence(text(min_length=1), min_length=1, max_length=MAX_FEATURES)


def _levels_as_list(value: Any) -> Any:
    """A table ``{level = fraction}`` as the list of fractions by level."""
    if not isinstance(value, Mapping):
        return value
    pairs = []
    for key, fraction in value.items():
        level = key if isinstance(key, int) and not isinstance(key, bool) else None
        if isinstance(key, str) and key.isdigit():
            level = int(key)
        if level is None or not 0 <= level <= MAX_LEVEL:
            raise refuse(f"a level 0..{MAX_LEVEL}", key=str(key), value=key)
        pairs.append((level, fraction))
    _LEVEL_TABLE.validate_python({str(level): fraction for level, fraction in pairs})
    if not pairs:
        raise refuse(f"fractions for levels 0..{MAX_LEVEL}")
    fractions: list[Any] = [0.0] * (max(level for level, _ in pairs) + 1)
    for level, fraction in pairs:
        fractions[level] = fraction
    return fractions


_LEVEL_TABLE = TypeAdapter(dict[str, FRACTION])


def _sum_to_one(fractions: list[float]) -> tuple[float, ...]:
    total = sum(fractions)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise refuse(f"fractions summing to 1 (they sum to {total:g})", value=fractions)
    return tuple(fractions)


LEVELS = Annotated[
    sequence(FRACTION, min_length=1, max_length=MAX_LEVEL + 1),
    BeforeValidator(_levels_as_list),
    Allowed(
        f"a table {{level = fraction}} (levels 0..{MAX_LEVEL}) or a list of fractions by level, "
        "each in [0, 1], summing to 1"
    ),
]
"""Fractions of users per reasoning level (validated further by :func:`check_levels`)."""


def check_levels(fractions: list[float]) -> tuple[float, ...]:
    """The level fractions as a tuple, refused unless they sum to 1.

    Args:
        fractions: Validated fractions.

    Returns:
        The fractions.
    """
    return _sum_to_one(list(fractions))


def uniform_bounds(low: float, high: float, low_key: str, high_key: str) -> None:
    """Refuse a uniform ε unless 0 < low < high.

    Args:
        low: Lower bound.
        high: Upper bound.
        low_key: How the caller calls the lower bound.
        high_key: How the caller calls the upper bound.
    """
    if not low > 0:
        raise refuse("a finite number > 0", key=low_key, value=low)
    if not high > low:
        raise refuse(f"a finite number > low = {low:g}", key=high_key, value=high)


# --------------------------------------------------------------------------- scenario file


class ScenarioTable(StrictModel):
    """``[scenario]``: what the run is called and how long it may run."""

    name: SCENARIO_NAME = Field("default", description="names the results folder results/<name>")
    family: choice(
        "platform", allowed="'platform' (a 'curation' scenario is read by the curation family)"
    ) = Field("platform", description="model family ('curation' selects the curation family)")
    seed: SEED = Field(0, description="seed of the model's random generator")
    rounds: ROUNDS = Field(25, description="round limit")
    description: text() = Field("", description="free text")


class PopulationTable(StrictModel):
    """``[population]``: the users' features and labels."""

    source: choice(*POPULATION_SOURCES) = Field(
        "synthetic-credit",
        description="the embedded synthetic credit data, the real Kaggle file, your CSV, "
        "or Gaussian features",
    )
    n: USERS | None = Field(
        None, description="size of a synthetic-credit (18357) or gaussian (10000) population"
    )
    d: FEATURE_COUNT = Field(5, description="features of a gaussian population (bias excluded)")
    path: PATH | None = Field(
        None, description="the CSV (source csv) or a copy of the Kaggle file (source credit)"
    )
    label: text(min_length=1) | None = Field(None, description="label column of a CSV (0/1)")
    features: COLUMNS | None = Field(None, description="feature columns of a CSV (default: all)")
    strategic_features: STRATEGIC_FEATURES = Field(
        [
            "RevolvingUtilizationOfUnsecuredLines",
            "NumberOfOpenCreditLinesAndLoans",
            "NumberRealEstateLoansOrLines",
        ],
        description="features users may change, by name or column index (not the bias)",
    )

    @model_validator(mode="after")
    def _keys_of_source(self) -> PopulationTable:
        given = self.model_fields_set
        takes = {
            "credit": {"path"},
            "synthetic-credit": {"n"},
            "csv": {"path", "label", "features"},
            "gaussian": {"n", "d"},
        }[self.source]
        for key in ("n", "d", "path", "label", "features"):
            if key in given and key not in takes:
                raise refuse(
                    f"no {key} for source {self.source!r} (it takes {', '.join(sorted(takes))})",
                    key=key,
                    value=getattr(self, key),
                )
        if self.source == "csv":
            for key in ("path", "label"):
                if getattr(self, key) is None:
                    raise refuse("a value: source 'csv' needs path and label", key=key, value=None)
        return self


class LognormalEpsilon(StrictModel):
    """``users.epsilon`` drawn once per user: median·e^(σ·z), z standard normal."""

    distribution: Literal["lognormal"] = "lognormal"
    median: EPSILON = Field(description="median ε")
    sigma: SIGMA = Field(0.0, description="log-scale spread σ")


class UniformEpsilon(StrictModel):
    """``users.epsilon`` drawn once per user, uniformly in [low, high]."""

    distribution: Literal["uniform"] = "uniform"
    low: EPSILON = Field(description="smallest ε (> 0)")
    high: EPSILON = Field(description="largest ε (> low)")

    @model_validator(mode="after")
    def _ordered(self) -> UniformEpsilon:
        uniform_bounds(self.low, self.high, "low", "high")
        return self


EPSILON_SPEC = variants(
    "distribution",
    {"lognormal": LognormalEpsilon, "uniform": UniformEpsilon},
    scalar=EPSILON,
)


class UsersTable(StrictModel):
    """``[users]``: how far users may move and how deeply they reason."""

    epsilon: EPSILON_SPEC = Field(
        default_factory=lambda: LognormalEpsilon(median=0.5, sigma=0.5),
        description="manipulation budget ε: one value for everybody, or a distribution",
    )
    levels: LEVELS = Field(
        [0.0, 0.5, 0.5], description="fraction of users per reasoning level (0: non-strategic)"
    )

    @field_validator("levels", mode="after")
    @classmethod
    def _levels_sum(cls, value: list[float]) -> list[float]:
        check_levels(value)
        return value


class RunTable(StrictModel):
    """``[run]``: when a run has converged or diverged."""

    tolerance: TOLERANCE = Field(
        1e-12, description="converged once ||θ_{t+1} − θ_t|| < tolerance (0: never)"
    )
    divergence_bound: DIVERGENCE_BOUND = Field(
        1e6, description="diverged once the drift or ||θ|| exceeds it"
    )


class OutputTable(StrictModel):
    """``[output]``: where results go and what is recorded."""

    dir: PATH | None = Field(None, description="results folder (default: results/<name>)")
    agent_sample: AGENT_SAMPLE = Field(
        0, description="users whose per-agent values are recorded each round (0: none)"
    )


def collective_tables(value: Any) -> list[Any]:
    """Validated ``[[collectives]]`` tables (the declarations are imported only when needed).

    Args:
        value: The list of tables.

    Returns:
        One :class:`~platform_abm.platform.collective.schema.CollectiveTable` per table.
    """
    if isinstance(value, list | tuple) and not value:
        return []
    from platform_abm.platform.collective.schema import COLLECTIVES

    return TypeAdapter(COLLECTIVES).validate_python(value)


def _collectives(value: Any) -> Any:
    """Validate ``[[collectives]]`` and keep the tables as written (for the summary)."""
    collective_tables(value)
    return value


def _sweep(value: Any) -> Any:
    """Validate ``[sweep]`` through its declaration (imported on use)."""
    from platform_abm.batch.spec import SweepTable

    SweepTable.model_validate(value)
    return value


COLLECTIVE_TABLES = Annotated[
    list[dict[str, Any]],
    BeforeValidator(_collectives),
    Allowed("an array of tables [[collectives]] (see the collectives tables)"),
]
SWEEP_TABLE = Annotated[
    dict[str, Any], BeforeValidator(_sweep), Allowed("a table (see the [sweep] table)")
]


class PlatformDocument(StrictModel):
    """A platform scenario file: its tables (every one optional)."""

    scenario: ScenarioTable = Field(default_factory=ScenarioTable)
    population: PopulationTable = Field(default_factory=PopulationTable)
    users: UsersTable = Field(default_factory=UsersTable)
    learner: LearnerTable = Field(
        default_factory=lambda: learner_table("exact")(),
        description="the platform's learner: its name and that learner's parameters",
    )
    run: RunTable = Field(default_factory=RunTable)
    output: OutputTable = Field(default_factory=OutputTable)
    collectives: COLLECTIVE_TABLES = Field(
        default_factory=list, description="collectives of users committed to one strategy"
    )
    sweep: SWEEP_TABLE | None = Field(None, description="a sweep over this scenario")


# --------------------------------------------------------------------------- PlatformModel


LEARNER = explained(
    choice(*learner_names()) | instance_of(Learner, "a Learner"),
    "one of " + ", ".join(repr(name) for name in learner_names()) + ", or a Learner instance",
)
POPULATION = explained(
    choice(*POPULATION_SOURCES) | instance_of(Population, "a Population"),
    "one of " + ", ".join(repr(s) for s in POPULATION_SOURCES) + ", or a Population",
)
RNG_ALLOWED = "a seed (integer >= 0), None, or a numpy Generator, BitGenerator or SeedSequence"


def _rng(value: Any) -> Any:
    if value is None:
        return value
    if isinstance(value, np.random.Generator | np.random.BitGenerator | np.random.SeedSequence):
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        if 0 <= value <= MAX_SEED:
            return value
    raise refuse(RNG_ALLOWED)


class PlatformParams(StrictModel):
    """The keywords of :class:`~platform_abm.platform.model.PlatformModel` (see its docstring).

    Every field is given by the model (its own defaults live in its signature).
    """

    population: POPULATION
    n_users: USERS | None
    n_features: FEATURE_COUNT
    data_path: (
        explained(text(min_length=1) | instance_of(os.PathLike, "a path"), "a file path") | None
    )
    label: text(min_length=1) | None
    features: COLUMNS | None
    strategic_features: STRATEGIC_FEATURES
    epsilon: EPSILON
    epsilon_distribution: choice("constant", *EPSILON_DISTRIBUTIONS)
    epsilon_sigma: SIGMA
    epsilon_low: EPSILON_BOUND
    epsilon_high: EPSILON_BOUND
    levels: LEVELS
    learner: LEARNER
    learner_params: table_of(Any, allowed="a table of the learner's parameters") | None
    max_rounds: ROUNDS
    tolerance: TOLERANCE
    divergence_bound: DIVERGENCE_BOUND
    collectives: Annotated[
        Any,
        BeforeValidator(collective_tables),
        Allowed("a list of collective tables (as [[collectives]] in a file)"),
    ]
    theta0: Any
    mixture: choice(*MIXTURES)
    vectorised: boolean()
    agent_sample: AGENT_SAMPLE
    agent_reporters: instance_of(Mapping, "a mapping of reporter names") | None
    rng: Annotated[Any, BeforeValidator(_rng), Allowed(RNG_ALLOWED)]

    @field_validator("levels", mode="after")
    @classmethod
    def _levels_sum(cls, value: list[float]) -> list[float]:
        check_levels(value)
        return value

    @field_validator("learner_params", mode="after")
    @classmethod
    def _learner_params(cls, value: dict[str, Any] | None, info: ValidationInfo) -> Any:
        learner = info.data.get("learner")
        if not value or learner is None:
            return value
        if not isinstance(learner, str):
            raise refuse("no learner_params with a Learner instance (set them on the instance)")
        params = parameters_model(LEARNERS[learner]).model_validate(value)
        return {key: getattr(params, key) for key in params.model_fields_set}

    @model_validator(mode="after")
    def _consistent(self) -> PlatformParams:
        if self.epsilon_distribution == "uniform":
            uniform_bounds(self.epsilon_low, self.epsilon_high, "epsilon_low", "epsilon_high")
        if self.mixture == "expected" and self.collectives:
            raise refuse("'agents' when collectives are present", key="mixture", value="expected")
        if self.agent_reporters is not None and self.agent_sample == 0:
            raise refuse("at least 1 when agent_reporters are given", key="agent_sample", value=0)
        return self


#: How the scenario file calls each PlatformModel keyword (used in error messages).
SCENARIO_FIELDS = {
    "population": "population.source",
    "n_users": "population.n",
    "n_features": "population.d",
    "data_path": "population.path",
    "label": "population.label",
    "features": "population.features",
    "strategic_features": "population.strategic_features",
    "epsilon": "users.epsilon",
    "epsilon_distribution": "users.epsilon.distribution",
    "epsilon_sigma": "users.epsilon.sigma",
    "epsilon_low": "users.epsilon.low",
    "epsilon_high": "users.epsilon.high",
    "levels": "users.levels",
    "learner": "learner.name",
    "learner_params": "learner",
    "max_rounds": "scenario.rounds",
    "tolerance": "run.tolerance",
    "divergence_bound": "run.divergence_bound",
    "collectives": "collectives",
    "agent_sample": "output.agent_sample",
    "rng": "scenario.seed",
}
