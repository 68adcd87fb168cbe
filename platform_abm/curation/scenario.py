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

Every key is declared in :mod:`platform_abm.curation.schema` (the reference,
``docs/scenarios.md``, is generated from it). :meth:`CurationScenario.from_dict`
rejects unknown keys, wrong types and out-of-range values with
:class:`~platform_abm.common.errors.InputError` naming the dotted field
(e.g. ``curation.factions[0].pool``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platform_abm.common.validation import validate
from platform_abm.curation import schema
from platform_abm.curation.rewards import DiscReward
from platform_abm.curation.schema import FIDELITIES, INITIAL_KINDS, MAX_GRID_SIZE, ORDERS

__all__ = [
    "FIDELITIES",
    "INITIAL_KINDS",
    "MAX_GRID_SIZE",
    "ORDERS",
    "CurationScenario",
    "CuratorSpec",
    "FactionSpec",
    "GridSpec",
    "InitialSpec",
    "SampledSpec",
]


@dataclass(frozen=True)
class GridSpec:
    """The finite output space: ``size × size`` points spanning ``[low, high]²``."""

    size: int = 81
    low: float = -5.0
    high: float = 5.0


@dataclass(frozen=True)
class InitialSpec:
    """The initial distribution p_0 (uniform, or an isotropic Gaussian with full support)."""

    kind: str = "uniform"
    centre: tuple[float, float] = (0.0, 0.0)
    scale: float = 2.0


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


@dataclass(frozen=True)
class FactionSpec(CuratorSpec):
    """A public faction: a curator plus its name, population share and activity."""

    pool: int = 4
    name: str = "public"
    share: float = 1.0
    activity: float = 1.0

    @classmethod
    def from_table(cls, table: schema.FactionTable) -> FactionSpec:
        """The spec of a validated faction table.

        Args:
            table: The table.

        Returns:
            The spec.
        """
        return cls(
            centre=(table.centre[0], table.centre[1]),
            radius=table.radius,
            slope=table.slope,
            temperature=table.temperature,
            pool=table.pool,
            name=table.name,
            share=table.share,
            activity=table.activity,
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


@dataclass(frozen=True)
class SampledSpec:
    """Sizes of the sample-based loop (paper: 1000 initial points, keep 100, keep 50)."""

    initial_points: int = 1000
    owner_keep: int = 100
    public_keep: int = 50
    gmm_components: int = 10
    gmm_tol: float = 1e-2


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
        """Validate a parsed scenario file (declared by :class:`~.schema.CurationDocument`).

        Args:
            data: The parsed TOML document.

        Returns:
            The scenario.

        Raises:
            InputError: On a missing, unknown or invalid field.
        """
        doc = validate(schema.CurationDocument, data)
        meta, cur = doc.scenario, doc.curation
        grid, initial, owner, sampled = cur.grid, cur.initial, cur.owner, cur.sampled
        return cls(
            name=meta.name,
            seed=meta.seed,
            rounds=meta.rounds,
            output_dir=doc.output.dir,
            fidelity=cur.fidelity,
            order=cur.order,
            mix=cur.mix,
            public_users=cur.public_users,
            grid=GridSpec(size=grid.size, low=grid.low, high=grid.high),
            initial=InitialSpec(
                kind=initial.kind,
                centre=(initial.centre[0], initial.centre[1]),
                scale=initial.scale,
            ),
            owner=CuratorSpec(
                centre=(owner.centre[0], owner.centre[1]),
                radius=owner.radius,
                slope=owner.slope,
                temperature=owner.temperature,
                pool=owner.pool,
            ),
            factions=tuple(FactionSpec.from_table(f) for f in cur.factions),
            sampled=SampledSpec(
                initial_points=sampled.initial_points,
                owner_keep=sampled.owner_keep,
                public_keep=sampled.public_keep,
                gmm_components=sampled.gmm_components,
                gmm_tol=sampled.gmm_tol,
            ),
            description=meta.description,
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
        from platform_abm.common.scenario_file import read_toml

        return cls.from_dict(read_toml(path))

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
