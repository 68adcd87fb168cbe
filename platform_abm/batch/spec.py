"""The ``[sweep]`` table: which scenario values vary, how many seeds, what is kept.

A sweep is a grid (the Cartesian product of every parameter's values) times a
number of replicates::

    [sweep]
    seeds = 3            # replicates per parameter point (or a list of replicate ids)
    seed = 0             # sweep seed (default: scenario.seed)
    seed_mode = "run"    # "run": one stream per run; "replicate": common random numbers
    record = "last"      # keep the "last" round of each run, or every round ("rounds")

    [sweep.parameters]
    "users.epsilon" = [0.25, 0.5, 1.0]                  # a list of values
    "scenario.rounds" = {start = 5, stop = 15, num = 3} # a range: 5, 10, 15
    "learner.reg" = {start = 1e-4, stop = 1e-1, num = 4, scale = "log"}
    "users.levels" = [{1 = 1.0}, {1 = 0.5, 2 = 0.5}]    # values may be tables
    "collectives.0.alpha" = [0.01, 0.05]                # list items by index

Parameter names are dotted paths into the scenario document; unquoted dotted
keys (``users.epsilon = [...]``) are the same thing in TOML. A range table has
``start``, ``stop`` (included) and ``num`` values, spaced evenly
(``scale = "linear"``, the default) or geometrically (``scale = "log"``); it
gives integers when both ends are integers and the step is whole.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from platform_abm.batch.keys import SEED_MODES, canonical_json, plain, run_key, run_seed, tidy_float
from platform_abm.errors import InputError

RECORD_MODES = ("last", "rounds")
RANGE_KEYS = ("start", "stop", "num", "scale")
RANGE_SCALES = ("linear", "log")
SWEEP_KEYS = ("parameters", "seeds", "seed", "seed_mode", "record")
FORBIDDEN_PATHS = ("scenario.seed", "scenario.family", "sweep")
MAX_RUNS = 10_000_000
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Parameter:
    """One swept scenario value.

    Attributes:
        path: Dotted path into the scenario document (``users.epsilon``).
        values: The values taken, in order.
    """

    path: str
    values: tuple[Any, ...]

    @property
    def name(self) -> str:
        """The column name of this parameter in result tables (its dotted path)."""
        return self.path

    def column_value(self, value: Any) -> Any:
        """How one value appears in result tables.

        Numbers, strings and booleans appear as they are (integers become floats
        when the parameter mixes both); tables, lists and mixed kinds appear as
        canonical JSON text, so every column has one type.

        Args:
            value: One of :attr:`values`.

        Returns:
            The table cell.
        """
        kinds = {_kind(v) for v in self.values}
        if kinds == {"int", "float"}:
            return float(value)
        if len(kinds) == 1 and kinds <= {"int", "float", "str", "bool"}:
            return value
        return canonical_json(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return "other"


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep.

    Attributes:
        key: The run key (see :func:`platform_abm.batch.keys.run_key`).
        replicate: The replicate number.
        seed: The model seed (``scenario.seed`` of this run).
        params: ``(path, value)`` pairs, in the sweep's parameter order.
        columns: ``(column, cell)`` pairs as they appear in result tables.
    """

    key: str
    replicate: int
    seed: int
    params: tuple[tuple[str, Any], ...]
    columns: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class SweepSpec:
    """A validated ``[sweep]`` table (see the module docstring for the format).

    Attributes:
        parameters: The swept values, in table order (the last varies fastest).
        replicates: Replicate numbers run at every parameter point.
        seed: Sweep seed, or None to use the scenario's seed.
        seed_mode: ``run`` or ``replicate`` (see :func:`~platform_abm.batch.keys.run_seed`).
        record: ``last`` (one row per run) or ``rounds`` (one row per round).
    """

    parameters: tuple[Parameter, ...] = ()
    replicates: tuple[int, ...] = (0,)
    seed: int | None = None
    seed_mode: str = "run"
    record: str = "last"

    @classmethod
    def from_dict(cls, table: Mapping[str, Any] | None) -> SweepSpec:
        """Validate a ``[sweep]`` table.

        Args:
            table: The parsed table (None: a single run with one replicate).

        Returns:
            The specification.

        Raises:
            InputError: Naming the first invalid field (``sweep.<...>``).
        """
        if table is None:
            return cls()
        if not isinstance(table, Mapping):
            raise InputError("sweep", table, "a TOML table")
        unknown = sorted(set(table) - set(SWEEP_KEYS))
        if unknown:
            raise InputError(f"sweep.{unknown[0]}", table[unknown[0]], f"keys {list(SWEEP_KEYS)}")
        raw = table.get("parameters", {})
        if not isinstance(raw, Mapping):
            raise InputError("sweep.parameters", raw, "a table of {dotted.path = values}")
        parameters = tuple(
            Parameter(path, _values(value, f"sweep.parameters.{path}"))
            for path, value in _flatten(raw, "")
        )
        for parameter in parameters:
            _check_path(parameter.path)
        replicates = _replicates(table.get("seeds", 1))
        seed = table.get("seed")
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED
        ):
            raise InputError("sweep.seed", seed, f"an integer in [0, {MAX_SEED}]")
        seed_mode = table.get("seed_mode", "run")
        if seed_mode not in SEED_MODES:
            raise InputError("sweep.seed_mode", seed_mode, f"one of {list(SEED_MODES)}")
        record = table.get("record", "last")
        if record not in RECORD_MODES:
            raise InputError("sweep.record", record, f"one of {list(RECORD_MODES)}")
        spec = cls(parameters, replicates, seed, seed_mode, record)
        if spec.n_runs > MAX_RUNS:
            raise InputError("sweep", f"{spec.n_runs} runs", f"at most {MAX_RUNS} runs")
        return spec

    @property
    def n_points(self) -> int:
        """Number of parameter points (the grid's size)."""
        return math.prod(len(p.values) for p in self.parameters)

    @property
    def n_runs(self) -> int:
        """Number of runs (points × replicates)."""
        return self.n_points * len(self.replicates)

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter column names, in order."""
        return tuple(p.name for p in self.parameters)

    def points(self) -> Iterator[tuple[tuple[str, Any], ...]]:
        """The parameter points: ``(path, value)`` pairs, the last parameter varying fastest."""
        paths = [p.path for p in self.parameters]
        for values in itertools.product(*(p.values for p in self.parameters)):
            yield tuple(zip(paths, values, strict=True))

    def runs(self, default_seed: int = 0) -> list[RunSpec]:
        """Every run of the sweep, point by point, replicate by replicate.

        Args:
            default_seed: Sweep seed used when :attr:`seed` is None (the scenario's seed).

        Returns:
            The runs, with their keys and seeds.
        """
        sweep_seed = self.seed if self.seed is not None else int(default_seed)
        runs = []
        for point in self.points():
            columns = tuple(
                (parameter.name, parameter.column_value(value))
                for parameter, (_, value) in zip(self.parameters, point, strict=True)
            )
            for replicate in self.replicates:
                key = run_key(dict(point), replicate)
                seed = run_seed(sweep_seed, key, replicate, self.seed_mode)
                runs.append(RunSpec(key, replicate, seed, point, columns))
        return runs

    def to_dict(self) -> dict[str, Any]:
        """The specification as a ``[sweep]`` table (ranges expanded to lists)."""
        out: dict[str, Any] = {
            "parameters": {p.path: plain(list(p.values)) for p in self.parameters},
            "seeds": list(self.replicates),
            "seed_mode": self.seed_mode,
            "record": self.record,
        }
        if self.seed is not None:
            out["seed"] = self.seed
        return out


def _flatten(table: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    """Turn nested tables into dotted paths; range tables and lists are leaves."""
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and not set(value) & set(RANGE_KEYS):
            if not value:
                raise InputError(f"sweep.parameters.{path}", value, "a list of values or a range")
            yield from _flatten(value, f"{path}.")
        else:
            yield path, value


def _check_path(path: str) -> None:
    """Reject empty segments and paths the sweep itself controls."""
    segments = path.split(".")
    if len(segments) < 2 or any(not s.strip() for s in segments):
        raise InputError(
            f"sweep.parameters.{path}", path, "a dotted scenario path such as 'users.epsilon'"
        )
    for forbidden in FORBIDDEN_PATHS:
        if path == forbidden or path.startswith(f"{forbidden}."):
            raise InputError(
                f"sweep.parameters.{path}",
                path,
                "a scenario value other than scenario.seed, scenario.family and sweep.* "
                "(seeds come from sweep.seeds and sweep.seed)",
            )


def _values(value: Any, field: str) -> tuple[Any, ...]:
    """The values of one parameter: a non-empty list without repeats, or a range table."""
    if isinstance(value, Mapping):
        return _range(value, field)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list | tuple) or not value:
        raise InputError(field, value, "a non-empty list of values or a range {start, stop, num}")
    values = tuple(plain(v) for v in value)
    texts = [canonical_json(v) for v in values]
    for i, text in enumerate(texts):
        if text in texts[:i]:
            raise InputError(f"{field}[{i}]", values[i], "values without repeats")
    return values


def _number(value: Any, field: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(field, value, "a finite number")
    return value


def _range(table: Mapping[str, Any], field: str) -> tuple[Any, ...]:
    """Expand ``{start, stop, num, scale}`` into evenly or geometrically spaced values."""
    unknown = sorted(set(table) - set(RANGE_KEYS))
    if unknown:
        raise InputError(f"{field}.{unknown[0]}", table[unknown[0]], f"keys {list(RANGE_KEYS)}")
    for key in ("start", "stop", "num"):
        if key not in table:
            raise InputError(f"{field}.{key}", None, "a value (ranges need start, stop and num)")
    start = _number(table["start"], f"{field}.start")
    stop = _number(table["stop"], f"{field}.stop")
    num = table["num"]
    if isinstance(num, bool) or not isinstance(num, int) or not 1 <= num <= MAX_RUNS:
        raise InputError(f"{field}.num", num, f"an integer in [1, {MAX_RUNS}]")
    scale = table.get("scale", "linear")
    if scale not in RANGE_SCALES:
        raise InputError(f"{field}.scale", scale, f"one of {list(RANGE_SCALES)}")
    if num > 1 and start == stop:
        raise InputError(f"{field}.stop", stop, f"a value different from start = {start}")
    if scale == "log":
        if start <= 0 or stop <= 0:
            raise InputError(f"{field}.start/stop", (start, stop), "positive ends for scale 'log'")
        return tuple(tidy_float(float(v)) for v in np.geomspace(start, stop, num))
    if num == 1:
        return (start,)
    integral = isinstance(start, int) and isinstance(stop, int) and (stop - start) % (num - 1) == 0
    if integral:
        step = (stop - start) // (num - 1)
        return tuple(int(start + i * step) for i in range(num))
    return tuple(tidy_float(float(v)) for v in np.linspace(start, stop, num))


def _replicates(value: Any) -> tuple[int, ...]:
    """``seeds = N`` gives replicates 0..N-1; a list gives those replicate numbers."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_RUNS:
            raise InputError("sweep.seeds", value, f"an integer in [1, {MAX_RUNS}]")
        return tuple(range(value))
    if isinstance(value, list | tuple) and value:
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= MAX_SEED:
                raise InputError(f"sweep.seeds[{i}]", item, "a replicate number >= 0")
        if len(set(value)) != len(value):
            raise InputError("sweep.seeds", list(value), "distinct replicate numbers")
        return tuple(int(v) for v in value)
    raise InputError("sweep.seeds", value, "a number of seeds >= 1 or a list of replicate numbers")


def apply_overrides(doc: Mapping[str, Any], params: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """A copy of a scenario document with swept values set at their dotted paths.

    Missing tables on the way are created; a numeric segment indexes a list
    (``collectives.0.alpha``).

    Args:
        doc: The parsed scenario document (not modified).
        params: ``(path, value)`` pairs.

    Returns:
        The new document.

    Raises:
        InputError: When a path runs through a value that is not a table or a
            list, or indexes past the end of a list.
    """
    out = copy.deepcopy(dict(doc))
    for path, value in params:
        field = f"sweep.parameters.{path}"
        segments = path.split(".")
        node: Any = out
        for depth, segment in enumerate(segments):
            last = depth == len(segments) - 1
            where = ".".join(segments[:depth]) or "the scenario"
            if isinstance(node, list):
                if not segment.isdigit() or int(segment) >= len(node):
                    raise InputError(field, path, f"an index below {len(node)} into {where}")
                index: Any = int(segment)
            elif isinstance(node, dict):
                index = segment
                if not last and index not in node:
                    node[index] = {}
            else:
                raise InputError(field, path, f"a path through tables ({where} is {node!r})")
            if last:
                node[index] = copy.deepcopy(value)
            else:
                node = node[index]
    return out
