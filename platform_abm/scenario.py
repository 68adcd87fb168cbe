"""Scenario files: TOML read and validated into one typed :class:`Scenario`.

Every invalid value raises :class:`~platform_abm.errors.InputError` naming the
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
    name = "exact"                  # exact | sklearn-lbfgs | gd

    [run]
    tolerance = 1e-12

Tables ``[[collectives]]`` (see :mod:`platform_abm.collective`) and ``[sweep]``
(see :mod:`platform_abm.batch`) are validated by their own modules.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from platform_abm.errors import InputError
from platform_abm.validation import check_float, check_int, check_keys

POPULATION_SOURCES = ("credit", "synthetic-credit", "csv", "gaussian")
EPSILON_DISTRIBUTIONS = ("lognormal", "uniform")
LEARNER_NAMES = ("exact", "sklearn-lbfgs", "gd")
MAX_LEVEL = 10
SUM_TOLERANCE = 1e-9


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

    @property
    def homogeneous(self) -> bool:
        """Whether every user has the same ε."""
        return self.distribution == "constant" or (
            self.distribution == "lognormal" and self.sigma == 0.0
        )


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
        """Return a copy with some fields changed and validated again.

        Args:
            **changes: Field names and their new values (None values are ignored).

        Returns:
            The validated copy.
        """
        changes = {key: value for key, value in changes.items() if value is not None}
        updated = replace(self, **changes)
        _check_scalars(updated)
        return updated

    def model_params(self) -> dict[str, Any]:
        """Keyword parameters of :class:`~platform_abm.model.PlatformModel` for this scenario."""
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
        }


def _table(data: dict[str, Any], key: str, allowed: set[str]) -> dict[str, Any]:
    return dict(check_keys(data.get(key, {}), sorted(allowed), key))


def _levels(value: Any) -> tuple[float, ...]:
    if isinstance(value, list):
        pairs = list(enumerate(value))
    elif isinstance(value, dict):
        pairs = []
        for key, fraction in value.items():
            if not str(key).isdigit() or int(key) > MAX_LEVEL:
                raise InputError(f"users.levels.{key}", key, f"a level 0..{MAX_LEVEL}")
            pairs.append((int(key), fraction))
    else:
        raise InputError("users.levels", value, "a table {level = fraction} or a list of fractions")
    if not pairs or len(pairs) > MAX_LEVEL + 1:
        raise InputError("users.levels", value, f"fractions for levels 0..{MAX_LEVEL}")
    fractions = [0.0] * (max(level for level, _ in pairs) + 1)
    for level, fraction in pairs:
        fractions[level] = check_float(fraction, f"users.levels.{level}", 0.0, 1.0)
    total = sum(fractions)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise InputError("users.levels", value, f"fractions summing to 1 (they sum to {total:g})")
    while len(fractions) > 1 and fractions[-1] == 0.0:
        fractions.pop()
    return tuple(fractions)


def _epsilon(value: Any) -> EpsilonSpec:
    if not isinstance(value, dict):
        return EpsilonSpec(value=check_float(value, "users.epsilon", 0.0, open_minimum=True))
    allowed = {"distribution", "median", "sigma", "low", "high"}
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InputError(
            f"users.epsilon.{unknown[0]}", value[unknown[0]], f"keys {sorted(allowed)}"
        )
    kind = value.get("distribution")
    if kind == "lognormal":
        return EpsilonSpec(
            value=check_float(value.get("median"), "users.epsilon.median", 0.0, open_minimum=True),
            distribution=kind,
            sigma=check_float(value.get("sigma", 0.0), "users.epsilon.sigma", 0.0),
        )
    if kind == "uniform":
        low = check_float(value.get("low"), "users.epsilon.low", 0.0, open_minimum=True)
        high = check_float(value.get("high"), "users.epsilon.high", low)
        return EpsilonSpec(value=(low + high) / 2, distribution=kind, low=low, high=high)
    raise InputError("users.epsilon.distribution", kind, f"one of {list(EPSILON_DISTRIBUTIONS)}")


def _check_scalars(scenario: Scenario) -> None:
    """Validate the fields that CLI overrides may change."""
    check_int(scenario.seed, "scenario.seed", 0, 2**63 - 1)
    check_int(scenario.rounds, "scenario.rounds", 1, 100_000)
    if scenario.n is not None:
        check_int(scenario.n, "population.n", 2, 50_000_000)
    if scenario.source not in POPULATION_SOURCES:
        raise InputError("population.source", scenario.source, f"one of {list(POPULATION_SOURCES)}")
    if scenario.source == "csv" and (scenario.path is None or scenario.label is None):
        raise InputError(
            "population.path/label",
            (scenario.path, scenario.label),
            "a CSV path and its label column when source = 'csv'",
        )


def scenario_from_dict(data: dict[str, Any], base_dir: Path | None = None) -> Scenario:
    """Validate a parsed scenario (a dict as read from TOML).

    Args:
        data: The parsed document.
        base_dir: Directory against which relative data paths are resolved.

    Returns:
        The validated scenario.

    Raises:
        InputError: For the first invalid value found.
    """
    top = {"scenario", "population", "users", "learner", "run", "output", "collectives", "sweep"}
    unknown = sorted(set(data) - top)
    if unknown:
        raise InputError(unknown[0], data[unknown[0]], f"known tables {sorted(top)}")
    meta = _table(data, "scenario", {"name", "family", "seed", "rounds", "description"})
    if meta.get("family", "platform") != "platform":
        raise InputError("scenario.family", meta["family"], "'platform' (or 'curation')")
    pop = _table(
        data, "population", {"source", "n", "d", "path", "label", "features", "strategic_features"}
    )
    users = _table(data, "users", {"epsilon", "levels"})
    learner = _table(data, "learner", {"name", "reg", "penalize_bias", "steps", "lr", "tol"})
    run = _table(data, "run", {"tolerance", "divergence_bound"})
    output = _table(data, "output", {"dir", "agent_sample"})
    defaults = Scenario()

    name = meta.get("name", defaults.name)
    if not isinstance(name, str) or not name or any(c in name for c in "/\\"):
        raise InputError("scenario.name", name, "a non-empty string without slashes")
    path = pop.get("path")
    if path is not None:
        if not isinstance(path, str):
            raise InputError("population.path", path, "a file path string")
        path = str((base_dir or Path.cwd()) / Path(path).expanduser())
    strategic = pop.get("strategic_features", defaults.strategic_features)
    if not isinstance(strategic, list | tuple) or not strategic:
        raise InputError("population.strategic_features", strategic, "a non-empty list")
    for i, feature in enumerate(strategic):
        if isinstance(feature, bool) or not isinstance(feature, str | int):
            raise InputError(f"population.strategic_features[{i}]", feature, "a name or an index")
    features = pop.get("features")
    if features is not None and (
        not isinstance(features, list) or not all(isinstance(f, str) for f in features)
    ):
        raise InputError("population.features", features, "a list of column names")
    learner_name = learner.get("name", defaults.learner)
    if learner_name not in LEARNER_NAMES:
        raise InputError("learner.name", learner_name, f"one of {list(LEARNER_NAMES)}")
    learner_params = {key: value for key, value in learner.items() if key != "name"}
    if "reg" in learner_params:
        check_float(learner_params["reg"], "learner.reg", 0.0)
    collectives = data.get("collectives", [])
    if not isinstance(collectives, list) or not all(isinstance(c, dict) for c in collectives):
        raise InputError("collectives", collectives, "an array of tables [[collectives]]")
    sweep = data.get("sweep")
    if sweep is not None and not isinstance(sweep, dict):
        raise InputError("sweep", sweep, "a TOML table")
    out_dir = output.get("dir")
    if out_dir is not None and not isinstance(out_dir, str):
        raise InputError("output.dir", out_dir, "a directory path string")

    scenario = Scenario(
        name=name,
        seed=meta.get("seed", defaults.seed),
        rounds=meta.get("rounds", defaults.rounds),
        source=pop.get("source", defaults.source),
        n=pop.get("n"),
        d=check_int(pop.get("d", defaults.d), "population.d", 1, 10_000),
        path=path,
        label=pop.get("label"),
        features=tuple(features) if features is not None else None,
        strategic_features=tuple(strategic),
        epsilon=_epsilon(users["epsilon"]) if "epsilon" in users else defaults.epsilon,
        levels=_levels(users.get("levels", list(defaults.levels))),
        learner=learner_name,
        learner_params=learner_params,
        tolerance=check_float(
            run.get("tolerance", defaults.tolerance), "run.tolerance", 0.0, open_minimum=True
        ),
        divergence_bound=check_float(
            run.get("divergence_bound", defaults.divergence_bound),
            "run.divergence_bound",
            0.0,
            open_minimum=True,
        ),
        collectives=tuple(collectives),
        sweep=sweep,
        output_dir=out_dir,
        agent_sample=check_int(
            output.get("agent_sample", defaults.agent_sample), "output.agent_sample", 0, 50_000_000
        ),
    )
    _check_scalars(scenario)
    return scenario


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning I/O and syntax problems into :class:`InputError`.

    Args:
        path: The file.

    Returns:
        The parsed document.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError("scenario file", str(file), "an existing TOML file")
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("scenario file", str(file), f"valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("scenario file", str(file), f"a readable UTF-8 file ({exc})") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a platform scenario file.

    Args:
        path: The TOML file.

    Returns:
        The validated scenario; relative data paths resolve against the file's folder.
    """
    return scenario_from_dict(read_toml(path), base_dir=Path(path).resolve().parent)
