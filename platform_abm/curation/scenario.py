"""Validated configuration of a curation run (``family = "curation"`` scenario files).

A scenario file looks like this (every key of ``[curation]`` and its sub-tables
is optional; the values shown are the defaults, except the public centre)::

    [scenario]
    name = "curation-partial"
    family = "curation"
    seed = 0
    rounds = 100

    [output]                      # optional
    dir = "results/curation-partial"

    [curation]
    fidelity = "grid"             # "grid" (exact dynamics) | "sampled" (paper's loop)
    order = "owner-first"         # | "public-first"
    mix = 0.0                     # fraction of original data mixed in each round
    public_users = 1              # PublicUser agents, apportioned to factions by share

    [curation.grid]               # output space: size × size points on [low, high]²
    size = 81
    low = -5.0
    high = 5.0

    [curation.initial]            # p_0 (and the sampled loop's initial points)
    kind = "uniform"              # | "gaussian" (isotropic, full support)
    centre = [0.0, 0.0]           # gaussian only
    scale = 2.0                   # gaussian only

    [curation.owner]              # the platform: reward disc, τ and pool size K
    centre = [0.0, 0.0]
    radius = 1.0
    slope = 2.0
    temperature = 0.5
    pool = 10

    [[curation.factions]]         # one table per public faction (default: one)
    name = "public"
    centre = [1.5, 0.0]
    radius = 1.0
    slope = 2.0
    temperature = 0.5
    pool = 4                      # M
    share = 1.0                   # fraction of the public (normalised over factions)
    activity = 1.0                # relative curation activity of each member

    [curation.sampled]            # sizes of the sample-based loop
    initial_points = 1000
    owner_keep = 100
    public_keep = 50
    gmm_components = 10
    gmm_tol = 0.01                # EM convergence threshold

:meth:`CurationScenario.from_dict` rejects unknown keys and out-of-range values
with :class:`~platform_abm.errors.InputError` naming the dotted field
(e.g. ``curation.factions[0].pool``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platform_abm.curation.rewards import DiscReward
from platform_abm.errors import InputError
from platform_abm.validation import check_choice, check_float, check_int, check_keys

FIDELITIES = ("grid", "sampled")
ORDERS = ("owner-first", "public-first")
INITIAL_KINDS = ("uniform", "gaussian")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Largest grid side accepted (the exact dynamics holds size² cells).
MAX_GRID_SIZE = 401


# --------------------------------------------------------------------------- validators


def check_point(value: Any, name: str) -> tuple[float, float]:
    """Validate a point ``[x, y]`` of finite numbers.

    Args:
        value: The value.
        name: Field name for the error.

    Returns:
        The point as a tuple.

    Raises:
        InputError: If it is not a pair of finite numbers.
    """
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        try:
            return (check_float(value[0], name), check_float(value[1], name))
        except InputError:
            pass
    raise InputError(name, value, "a pair [x, y] of finite numbers")


def check_name(value: Any, name: str) -> str:
    """Validate a faction name (an identifier, not ``owner``).

    Args:
        value: The value.
        name: Field name for the error.

    Returns:
        The name.

    Raises:
        InputError: If it is not an identifier or is reserved.
    """
    if isinstance(value, str) and _NAME.match(value) and value != "owner":
        return value
    raise InputError(name, value, "an identifier (letters, digits, _), not 'owner'")


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class GridSpec:
    """The finite output space: ``size × size`` points spanning ``[low, high]²``."""

    size: int = 81
    low: float = -5.0
    high: float = 5.0

    @classmethod
    def from_dict(cls, data: Any, where: str) -> GridSpec:
        """Validate a ``[curation.grid]`` table.

        Args:
            data: The table.
            where: Its dotted name.

        Returns:
            The spec.
        """
        t = check_keys(data, ("size", "low", "high"), where)
        spec = cls(
            size=check_int(t.get("size", cls.size), f"{where}.size", 3, MAX_GRID_SIZE),
            low=check_float(t.get("low", cls.low), f"{where}.low"),
            high=check_float(t.get("high", cls.high), f"{where}.high"),
        )
        if spec.high <= spec.low:
            raise InputError(f"{where}.high", spec.high, f"a number > low ({spec.low})")
        return spec


@dataclass(frozen=True)
class InitialSpec:
    """The initial distribution p_0 (uniform, or an isotropic Gaussian with full support)."""

    kind: str = "uniform"
    centre: tuple[float, float] = (0.0, 0.0)
    scale: float = 2.0

    @classmethod
    def from_dict(cls, data: Any, where: str) -> InitialSpec:
        """Validate a ``[curation.initial]`` table.

        Args:
            data: The table.
            where: Its dotted name.

        Returns:
            The spec.
        """
        t = check_keys(data, ("kind", "centre", "scale"), where)
        return cls(
            kind=check_choice(t.get("kind", cls.kind), f"{where}.kind", INITIAL_KINDS),
            centre=check_point(t.get("centre", list(cls.centre)), f"{where}.centre"),
            scale=check_float(t.get("scale", cls.scale), f"{where}.scale", 0.0, open_minimum=True),
        )


_CURATOR_KEYS = ("centre", "radius", "slope", "temperature", "pool")


@dataclass(frozen=True)
class CuratorSpec:
    """A curator: disc reward (centre, radius, slope), temperature τ and pool size."""

    centre: tuple[float, float] = (0.0, 0.0)
    radius: float = 1.0
    slope: float = 2.0
    temperature: float = 0.5
    pool: int = 10

    @property
    def reward(self) -> DiscReward:
        """The curator's disc reward."""
        return DiscReward(self.centre, self.radius, self.slope)

    @staticmethod
    def _curator_fields(t: Mapping[str, Any], where: str, defaults: Any) -> dict[str, Any]:
        return {
            "centre": check_point(t.get("centre", list(defaults.centre)), f"{where}.centre"),
            "radius": check_float(
                t.get("radius", defaults.radius), f"{where}.radius", 0.0, open_minimum=True
            ),
            "slope": check_float(
                t.get("slope", defaults.slope), f"{where}.slope", 0.0, open_minimum=True
            ),
            "temperature": check_float(
                t.get("temperature", defaults.temperature),
                f"{where}.temperature",
                0.0,
                open_minimum=True,
            ),
            "pool": check_int(t.get("pool", defaults.pool), f"{where}.pool", 1, 100_000),
        }

    @classmethod
    def from_dict(cls, data: Any, where: str) -> CuratorSpec:
        """Validate a ``[curation.owner]`` table.

        Args:
            data: The table.
            where: Its dotted name.

        Returns:
            The spec.
        """
        t = check_keys(data, _CURATOR_KEYS, where)
        return cls(**cls._curator_fields(t, where, cls))


@dataclass(frozen=True)
class FactionSpec(CuratorSpec):
    """A public faction: a curator plus its name, population share and activity."""

    pool: int = 4
    name: str = "public"
    share: float = 1.0
    activity: float = 1.0

    @classmethod
    def from_dict(cls, data: Any, where: str) -> FactionSpec:
        """Validate one ``[[curation.factions]]`` table.

        Args:
            data: The table.
            where: Its dotted name (``curation.factions[i]``).

        Returns:
            The spec.
        """
        t = check_keys(data, (*_CURATOR_KEYS, "name", "share", "activity"), where)
        return cls(
            **cls._curator_fields(t, where, cls),
            name=check_name(t.get("name", cls.name), f"{where}.name"),
            share=check_float(t.get("share", cls.share), f"{where}.share", 0.0, open_minimum=True),
            activity=check_float(
                t.get("activity", cls.activity), f"{where}.activity", 0.0, open_minimum=True
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        """The faction as a plain dict (the form ``CurationModel(factions=...)`` accepts)."""
        return {
            "name": self.name,
            "centre": list(self.centre),
            "radius": self.radius,
            "slope": self.slope,
            "temperature": self.temperature,
            "pool": self.pool,
            "share": self.share,
            "activity": self.activity,
        }


def check_factions(value: Any, where: str) -> tuple[FactionSpec, ...]:
    """Validate a list of faction tables (unique names).

    Args:
        value: The list.
        where: Its dotted name.

    Returns:
        The faction specs.

    Raises:
        InputError: If it is not a non-empty list of valid factions with unique names.
    """
    if isinstance(value, Mapping) or not isinstance(value, Sequence) or isinstance(value, str):
        raise InputError(where, value, "a non-empty list of faction tables")
    if len(value) == 0:
        raise InputError(where, value, "a non-empty list of faction tables")
    factions = tuple(FactionSpec.from_dict(f, f"{where}[{i}]") for i, f in enumerate(value))
    names = [f.name for f in factions]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InputError(f"{where}[{i}].name", name, "a name not used by another faction")
    return factions


@dataclass(frozen=True)
class SampledSpec:
    """Sizes of the sample-based loop (paper: 1000 initial points, keep 100, keep 50)."""

    initial_points: int = 1000
    owner_keep: int = 100
    public_keep: int = 50
    gmm_components: int = 10
    gmm_tol: float = 1e-2

    @classmethod
    def from_dict(cls, data: Any, where: str) -> SampledSpec:
        """Validate a ``[curation.sampled]`` table.

        Args:
            data: The table.
            where: Its dotted name.

        Returns:
            The spec.
        """
        t = check_keys(
            data,
            ("initial_points", "owner_keep", "public_keep", "gmm_components", "gmm_tol"),
            where,
        )
        return cls(
            initial_points=check_int(
                t.get("initial_points", cls.initial_points), f"{where}.initial_points", 1
            ),
            owner_keep=check_int(t.get("owner_keep", cls.owner_keep), f"{where}.owner_keep", 1),
            public_keep=check_int(t.get("public_keep", cls.public_keep), f"{where}.public_keep", 1),
            gmm_components=check_int(
                t.get("gmm_components", cls.gmm_components), f"{where}.gmm_components", 1, 100
            ),
            gmm_tol=check_float(
                t.get("gmm_tol", cls.gmm_tol), f"{where}.gmm_tol", 0.0, open_minimum=True
            ),
        )


_SCENARIO_KEYS = ("name", "family", "seed", "rounds", "description")
_CURATION_KEYS = (
    "fidelity",
    "order",
    "mix",
    "public_users",
    "grid",
    "initial",
    "owner",
    "factions",
    "sampled",
)


@dataclass(frozen=True)
class CurationScenario:
    """A validated curation scenario (see the module docstring for the file format).

    Attributes:
        name: Scenario name.
        seed: Seed of the model's random generator.
        rounds: Number of rounds.
        output_dir: ``[output] dir`` if given.
        fidelity: ``"grid"`` or ``"sampled"``.
        order: ``"owner-first"`` or ``"public-first"``.
        mix: Fraction of original data mixed in each round.
        public_users: Number of PublicUser agents.
        grid: The output grid.
        initial: The initial distribution.
        owner: The owner (platform) curator.
        factions: The public factions.
        sampled: Sizes of the sample-based loop.
        description: Free text.
    """

    name: str
    seed: int
    rounds: int
    output_dir: str | None = None
    fidelity: str = "grid"
    order: str = "owner-first"
    mix: float = 0.0
    public_users: int = 1
    grid: GridSpec = field(default_factory=GridSpec)
    initial: InitialSpec = field(default_factory=InitialSpec)
    owner: CuratorSpec = field(default_factory=CuratorSpec)
    factions: tuple[FactionSpec, ...] = (FactionSpec(),)
    sampled: SampledSpec = field(default_factory=SampledSpec)
    description: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CurationScenario:
        """Validate a parsed scenario file.

        Args:
            data: The parsed TOML document.

        Returns:
            The scenario.

        Raises:
            InputError: On a missing, unknown or invalid field.
        """
        top = check_keys(data, ("scenario", "output", "curation"), "")
        if "scenario" not in top:
            raise InputError("scenario", None, "a [scenario] table")
        sc = check_keys(top["scenario"], _SCENARIO_KEYS, "scenario")
        for key in ("name", "family", "seed", "rounds"):
            if key not in sc:
                raise InputError(f"scenario.{key}", None, "a value (the key is required)")
        name = sc["name"]
        if not isinstance(name, str) or not name.strip():
            raise InputError("scenario.name", name, "a non-empty string")
        check_choice(sc["family"], "scenario.family", ("curation",))
        description = sc.get("description", "")
        if not isinstance(description, str):
            raise InputError("scenario.description", description, "a string")
        output_dir = None
        if "output" in top:
            out = check_keys(top["output"], ("dir",), "output")
            if "dir" in out:
                output_dir = out["dir"]
                if not isinstance(output_dir, str) or not output_dir:
                    raise InputError("output.dir", output_dir, "a non-empty path string")
        cur = check_keys(top.get("curation", {}), _CURATION_KEYS, "curation")
        factions = (
            check_factions(cur["factions"], "curation.factions")
            if "factions" in cur
            else (FactionSpec(),)
        )
        public_users = check_int(cur.get("public_users", 1), "curation.public_users", 1, 100_000)
        if public_users < len(factions):
            raise InputError(
                "curation.public_users",
                public_users,
                f"an integer >= the number of factions ({len(factions)})",
            )
        return cls(
            name=name,
            seed=check_int(sc["seed"], "scenario.seed", 0),
            rounds=check_int(sc["rounds"], "scenario.rounds", 1),
            output_dir=output_dir,
            fidelity=check_choice(cur.get("fidelity", "grid"), "curation.fidelity", FIDELITIES),
            order=check_choice(cur.get("order", "owner-first"), "curation.order", ORDERS),
            mix=check_float(cur.get("mix", 0.0), "curation.mix", 0.0, 1.0),
            public_users=public_users,
            grid=GridSpec.from_dict(cur.get("grid", {}), "curation.grid"),
            initial=InitialSpec.from_dict(cur.get("initial", {}), "curation.initial"),
            owner=CuratorSpec.from_dict(cur.get("owner", {}), "curation.owner"),
            factions=factions,
            sampled=SampledSpec.from_dict(cur.get("sampled", {}), "curation.sampled"),
            description=description,
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> CurationScenario:
        """Read and validate a scenario file.

        Args:
            path: Path of the TOML file.

        Returns:
            The scenario.

        Raises:
            InputError: If the file is not valid TOML or not a valid scenario.
        """
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(str(path), "unparsable file", f"valid TOML ({exc})") from exc
        return cls.from_dict(data)

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :class:`~platform_abm.curation.model.CurationModel` (no rng).

        Returns:
            The keyword arguments.
        """
        return {
            "fidelity": self.fidelity,
            "order": self.order,
            "rounds": self.rounds,
            "mix": self.mix,
            "public_users": self.public_users,
            "grid_size": self.grid.size,
            "low": self.grid.low,
            "high": self.grid.high,
            "initial": self.initial.kind,
            "initial_centre_x": self.initial.centre[0],
            "initial_centre_y": self.initial.centre[1],
            "initial_scale": self.initial.scale,
            "owner_centre_x": self.owner.centre[0],
            "owner_centre_y": self.owner.centre[1],
            "owner_radius": self.owner.radius,
            "owner_slope": self.owner.slope,
            "owner_temperature": self.owner.temperature,
            "owner_pool": self.owner.pool,
            "factions": tuple(f.as_dict() for f in self.factions),
            "initial_points": self.sampled.initial_points,
            "owner_keep": self.sampled.owner_keep,
            "public_keep": self.sampled.public_keep,
            "gmm_components": self.sampled.gmm_components,
            "gmm_tol": self.sampled.gmm_tol,
        }
