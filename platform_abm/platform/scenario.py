"""Scenario files: TOML read and validated into one typed :class:`Scenario`.

Every invalid value raises :class:`~platform_abm.common.errors.InputError` naming the
dotted field, the value received and what is allowed. A scenario file looks
like ``scenarios/default.toml``::

    [scenario]
    name = "default"
    seed = 0
    rounds = 25

    [population]
    source = "synthetic-credit"     # credit | synthetic-credit | csv | gaussian
    strategic_features = ["RevolvingUtilizationOfUnsecuredLines", 5, 7]

    [users]
    epsilon = 0.5                   # or {distribution = "lognormal", median = 0.5, sigma = 0.5}
    levels = {1 = 0.5, 2 = 0.5}     # fractions per reasoning level, summing to 1

    [learner]
    name = "exact"                  # exact | gd | least-squares | sklearn-lbfgs
                                    # and that learner's parameters (e.g. max_iter = 50)

    [run]
    tolerance = 1e-12

Every key is declared in :mod:`platform_abm.platform.schema` (the reference,
``docs/scenarios.md``, is generated from it), including the
``[[collectives]]`` and ``[sweep]`` tables, so a file is checked completely
before anything runs. An empty file, or one whose top level is not a table of
tables, is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

from pydantic import create_model

from platform_abm.common.errors import InputError
from platform_abm.common.scenario_file import read_toml
from platform_abm.common.validation import StrictModel, validate
from platform_abm.platform import schema

# Kept importable from here (older code and the viz read them from this module).
POPULATION_SOURCES = schema.POPULATION_SOURCES
EPSILON_DISTRIBUTIONS = schema.EPSILON_DISTRIBUTIONS
MAX_LEVEL = schema.MAX_LEVEL
SUM_TOLERANCE = schema.SUM_TOLERANCE


@dataclass(frozen=True)
class EpsilonSpec:
    """Users' manipulation budget ε: one value, or a distribution drawn per user.

    Attributes:
        value: The common ε (``distribution == "constant"``), or the median of
            the lognormal distribution.
        distribution: ``constant``, ``lognormal`` or ``uniform``.
        sigma: Log-scale standard deviation of the lognormal distribution.
        low: Lower bound of the uniform distribution.
        high: Upper bound of the uniform distribution.
    """

    value: float = 0.5
    distribution: str = "constant"
    sigma: float = 0.0
    low: float = 0.0
    high: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """A validated platform scenario (see the module docstring for the file format).

    Attributes:
        name: Scenario name, used for the output folder.
        seed: Seed of the model's random generator.
        rounds: Maximum number of retraining rounds.
        source: Population source.
        n: Population size for synthetic sources (None: the source's default).
        d: Number of features (without bias) for the Gaussian source.
        path: Data file for ``csv`` (and an explicit copy for ``credit``).
        label: Label column for ``csv``.
        features: Feature columns for ``csv`` (None: every other column).
        strategic_features: Strategic features by name or index.
        epsilon: Users' manipulation budget.
        levels: Fraction of users per reasoning level (index = level).
        learner: Learner name.
        learner_params: Extra learner constructor parameters.
        tolerance: Drift below which the run has converged.
        divergence_bound: Drift (or parameter norm) beyond which it diverged.
        collectives: Raw ``[[collectives]]`` tables, validated by the model.
        sweep: Raw ``[sweep]`` table, validated by the batch runner.
        output_dir: Where ``platform-abm run`` writes results.
        agent_sample: Number of users whose per-agent values are recorded every
            round (0: model-level aggregates only).
    """

    name: str = "default"
    seed: int = 0
    rounds: int = 25
    source: str = "synthetic-credit"
    n: int | None = None
    d: int = 5
    path: str | None = None
    label: str | None = None
    features: tuple[str, ...] | None = None
    strategic_features: tuple[str | int, ...] = (
        "RevolvingUtilizationOfUnsecuredLines",
        "NumberOfOpenCreditLinesAndLoans",
        "NumberRealEstateLoansOrLines",
    )
    epsilon: EpsilonSpec = field(
        default_factory=lambda: EpsilonSpec(value=0.5, distribution="lognormal", sigma=0.5)
    )
    levels: tuple[float, ...] = (0.0, 0.5, 0.5)
    learner: str = "exact"
    learner_params: dict[str, Any] = field(default_factory=dict)
    tolerance: float = 1e-12
    divergence_bound: float = 1e6
    collectives: tuple[dict[str, Any], ...] = ()
    sweep: dict[str, Any] | None = None
    output_dir: str | None = None
    agent_sample: int = 0

    def with_overrides(self, **changes: Any) -> Scenario:
        """Return a copy with some fields changed, each validated by its declaration.

        Args:
            **changes: Scenario attributes among :data:`OVERRIDABLE` (``rounds``,
                ``seed``, ``source``, ``path`` ...) and their new values (None
                values are ignored).

        Returns:
            The validated copy.

        Raises:
            InputError: Naming the scenario field (``scenario.rounds``) of a
                value that is not allowed.
        """
        changes = {key: value for key, value in changes.items() if value is not None}
        unknown = sorted(set(changes) - set(OVERRIDABLE))
        if unknown:
            raise InputError(unknown[0], changes[unknown[0]], f"one of {sorted(OVERRIDABLE)}")
        validate(_overrides_model(), changes, names=OVERRIDABLE)
        updated = replace(self, **changes)
        if updated.source == "csv":
            for attribute in ("path", "label"):
                if getattr(updated, attribute) is None:
                    raise InputError(
                        OVERRIDABLE[attribute], None, "a value: source 'csv' needs path and label"
                    )
        return updated

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :class:`~.model.PlatformModel` for this scenario (seed included).

        Error messages of the model name the scenario file's fields
        (``field_names``), e.g. ``scenario.rounds`` for ``max_rounds``.
        """
        return {
            "population": self.source,
            "n_users": self.n,
            "n_features": self.d,
            "data_path": self.path,
            "label": self.label,
            "features": self.features,
            "strategic_features": self.strategic_features,
            "epsilon": self.epsilon.value,
            "epsilon_distribution": self.epsilon.distribution,
            "epsilon_sigma": self.epsilon.sigma,
            "epsilon_low": self.epsilon.low,
            "epsilon_high": self.epsilon.high,
            "levels": self.levels,
            "learner": self.learner,
            "learner_params": self.learner_params,
            "max_rounds": self.rounds,
            "tolerance": self.tolerance,
            "divergence_bound": self.divergence_bound,
            "collectives": self.collectives,
            "agent_sample": self.agent_sample,
            "rng": self.seed,
            "field_names": schema.SCENARIO_FIELDS,
        }


#: Scenario attributes that :meth:`Scenario.with_overrides` may change, and their file fields.
OVERRIDABLE = {
    "name": "scenario.name",
    "seed": "scenario.seed",
    "rounds": "scenario.rounds",
    "source": "population.source",
    "n": "population.n",
    "d": "population.d",
    "path": "population.path",
    "label": "population.label",
    "tolerance": "run.tolerance",
    "divergence_bound": "run.divergence_bound",
    "output_dir": "output.dir",
    "agent_sample": "output.agent_sample",
}


def _overrides_model() -> type[StrictModel]:
    """Optional fields typed as the scenario file declares them (for :meth:`with_overrides`)."""
    tables = {
        "scenario": schema.ScenarioTable,
        "population": schema.PopulationTable,
        "run": schema.RunTable,
        "output": schema.OutputTable,
    }
    fields_: dict[str, Any] = {}
    for attribute, path in OVERRIDABLE.items():
        table, key = path.split(".")
        info = tables[table].model_fields[key]
        tp = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        fields_[attribute] = (tp, None)
    return create_model("ScenarioOverrides", __base__=StrictModel, **fields_)


def _epsilon(value: Any) -> EpsilonSpec:
    if isinstance(value, schema.LognormalEpsilon):
        return EpsilonSpec(value=value.median, distribution="lognormal", sigma=value.sigma)
    if isinstance(value, schema.UniformEpsilon):
        return EpsilonSpec(
            value=(value.low + value.high) / 2,
            distribution="uniform",
            low=value.low,
            high=value.high,
        )
    return EpsilonSpec(value=float(value))


def _levels(fractions: list[float]) -> tuple[float, ...]:
    """The fractions by level, without trailing levels of no users."""
    levels = list(fractions)
    while len(levels) > 1 and levels[-1] == 0.0:
        levels.pop()
    return tuple(levels)


def scenario_from_dict(data: Mapping[str, Any], base_dir: Path | None = None) -> Scenario:
    """Validate a parsed scenario (a dict as read from TOML) completely.

    Every table is checked against its declaration in :mod:`platform_abm.platform.schema`:
    types (strict), ranges, keys the chosen source or learner takes, the
    ``[[collectives]]`` and ``[sweep]`` tables. What needs the population
    (feature names, class counts, members) is checked when the model loads it.

    Args:
        data: The parsed document.
        base_dir: Directory against which relative data paths are resolved.

    Returns:
        The validated scenario.

    Raises:
        InputError: For the first invalid value found (named by its TOML path);
            a scenario of another family is refused by its ``scenario.family``
            before any of its tables is read.
    """
    meta = data.get("scenario")
    if isinstance(meta, Mapping) and "family" in meta:
        validate(schema.PlatformDocument, {"scenario": {"family": meta["family"]}})
    doc = validate(schema.PlatformDocument, data)
    meta, pop, users, learner = doc.scenario, doc.population, doc.users, doc.learner
    path = pop.path
    if path is not None:
        path = str((base_dir or Path.cwd()) / Path(path).expanduser())
    return Scenario(
        name=meta.name,
        seed=meta.seed,
        rounds=meta.rounds,
        source=pop.source,
        n=pop.n,
        d=pop.d,
        path=path,
        label=pop.label,
        features=tuple(pop.features) if pop.features is not None else None,
        strategic_features=tuple(pop.strategic_features),
        epsilon=_epsilon(users.epsilon),
        levels=_levels(users.levels),
        learner=learner.name,
        learner_params={
            key: getattr(learner, key) for key in learner.model_fields_set if key != "name"
        },
        tolerance=doc.run.tolerance,
        divergence_bound=doc.run.divergence_bound,
        collectives=tuple(doc.collectives),
        sweep=doc.sweep,
        output_dir=doc.output.dir,
        agent_sample=doc.output.agent_sample,
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a platform scenario file.

    Args:
        path: The TOML file.

    Returns:
        The validated scenario; relative data paths resolve against the file's folder.
    """
    return scenario_from_dict(read_toml(path), base_dir=Path(path).resolve().parent)
