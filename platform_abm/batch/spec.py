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
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, Field, ValidationError, model_validator

from platform_abm.batch.keys import SEED_MODES, canonical_json, plain, run_key, run_seed, tidy_float
from platform_abm.common.errors import InputError
from platform_abm.common.validation import (
    Allowed,
    StrictModel,
    choice,
    explained,
    integer,
    number,
    refuse,
    relocated,
    sequence,
    validate,
)

RECORD_MODES = ("last", "rounds")
RANGE_KEYS = ("start", "stop", "num", "scale")
RANGE_SCALES = ("linear", "log")
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
        """Validate a ``[sweep]`` table (declared by :class:`SweepTable`).

        Args:
            table: The parsed table (None: a single run with one replicate).

        Returns:
            The specification.

        Raises:
            InputError: Naming the first invalid field (``sweep.<...>``).
        """
        if table is None:
            return cls()
        valid = validate(SweepTable, table, where="sweep")
        seeds = valid.seeds
        replicates = tuple(range(seeds)) if isinstance(seeds, int) else tuple(seeds)
        parameters = tuple(Parameter(path, values) for path, values in valid.parameters.items())
        return cls(parameters, replicates, valid.seed, valid.seed_mode, valid.record)

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
                raise refuse("a list of values or a range", key=path, value=value)
            yield from _flatten(value, f"{path}.")
        else:
            yield path, value


def _check_path(path: str) -> None:
    """Reject empty segments and paths the sweep itself controls."""
    segments = path.split(".")
    if len(segments) < 2 or any(not s.strip() for s in segments):
        raise refuse("a dotted scenario path such as 'users.epsilon'", key=path, value=path)
    for forbidden in FORBIDDEN_PATHS:
        if path == forbidden or path.startswith(f"{forbidden}."):
            raise refuse(
                "a scenario value other than scenario.seed, scenario.family and sweep.* "
                "(seeds come from sweep.seeds and sweep.seed)",
                key=path,
                value=path,
            )


def _values(value: Any, path: str) -> tuple[Any, ...]:
    """The values of one parameter: a non-empty list without repeats, or a range table."""
    if isinstance(value, Mapping):
        try:
            return RangeTable.model_validate(value).values()
        except ValidationError as exc:
            raise relocated(exc, path) from None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list | tuple) or not value:
        raise refuse(
            "a non-empty list of values or a range {start, stop, num}", key=path, value=value
        )
    values = tuple(plain(v) for v in value)
    texts = [canonical_json(v) for v in values]
    for i, text in enumerate(texts):
        if text in texts[:i]:
            raise refuse("values without repeats", key=f"{path}[{i}]", value=values[i])
    return values


def _parameters(table: Any) -> Any:
    """``[sweep.parameters]`` as ``{dotted.path: values}`` (ranges expanded), in table order."""
    if not isinstance(table, Mapping):
        raise refuse("a table of {dotted.path = values}")
    out = {}
    for path, value in _flatten(table, ""):
        _check_path(path)
        out[path] = _values(value, path)
    return out


BOUND = explained(integer() | number(), "a finite number")


class RangeTable(StrictModel):
    """A swept range: ``num`` values from ``start`` to ``stop`` (included)."""

    start: BOUND = Field(description="first value")
    stop: BOUND = Field(description="last value")
    num: integer(ge=1, le=MAX_RUNS) = Field(description="number of values")
    scale: choice(*RANGE_SCALES) = Field(
        "linear", description="even steps (linear) or a constant ratio (log)"
    )

    @model_validator(mode="after")
    def _ends(self) -> RangeTable:
        if self.num > 1 and self.start == self.stop:
            raise refuse(
                f"a value different from start = {self.start}", key="stop", value=self.stop
            )
        if self.scale == "log" and (self.start <= 0 or self.stop <= 0):
            raise refuse(
                "positive ends for scale 'log'", key="start/stop", value=(self.start, self.stop)
            )
        return self

    def values(self) -> tuple[Any, ...]:
        """The values, evenly or geometrically spaced (integers when both ends and the step are)."""
        start, stop, num = self.start, self.stop, self.num
        if self.scale == "log":
            return tuple(tidy_float(float(v)) for v in np.geomspace(start, stop, num))
        if num == 1:
            return (start,)
        whole = isinstance(start, int) and isinstance(stop, int) and (stop - start) % (num - 1) == 0
        if whole:
            step = (stop - start) // (num - 1)
            return tuple(int(start + i * step) for i in range(num))
        return tuple(tidy_float(float(v)) for v in np.linspace(start, stop, num))


def _distinct(value: Any) -> Any:
    if isinstance(value, list):
        texts = [canonical_json(plain(item)) for item in value]
        if len(set(texts)) != len(texts):
            raise refuse("distinct replicate numbers")
    return value


class SweepTable(StrictModel):
    """``[sweep]``: which scenario values vary, how many replicates, what is kept."""

    parameters: Annotated[
        dict[str, tuple[Any, ...]],
        BeforeValidator(_parameters),
        Allowed("a table {dotted.path = [values] or {start, stop, num, scale}}"),
    ] = Field(default_factory=dict, description="the swept scenario values (a grid)")
    seeds: Annotated[
        explained(
            integer(ge=1, le=MAX_RUNS)
            | sequence(integer(ge=0, le=MAX_SEED, allowed="a replicate number >= 0"), min_length=1),
            f"a number of seeds from 1 to {MAX_RUNS}, or a list of distinct replicate numbers",
        ),
        BeforeValidator(_distinct),
    ] = Field(1, description="replicates per parameter point")
    seed: integer(ge=0, le=MAX_SEED) | None = Field(
        None, description="sweep seed (default: scenario.seed)"
    )
    seed_mode: choice(*SEED_MODES) = Field(
        "run", description="'run': one stream per run; 'replicate': common random numbers"
    )
    record: choice(*RECORD_MODES) = Field(
        "last", description="keep the last round of each run, or every round"
    )

    @model_validator(mode="after")
    def _size(self) -> SweepTable:
        runs = math.prod(len(v) for v in self.parameters.values()) * (
            self.seeds if isinstance(self.seeds, int) else len(self.seeds)
        )
        if runs > MAX_RUNS:
            raise refuse(f"at most {MAX_RUNS} runs", value=f"{runs} runs")
        return self


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
