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
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Self

from platform_abm.common.errors import InputError
from platform_abm.common.validation import StrictModel, validate
from platform_abm.curation import schema
from platform_abm.curation.rewards import DiscReward
from platform_abm.curation.schema import FIDELITIES, INITIAL_KINDS, MAX_GRID_SIZE, ORDERS

__all__ = [
    "FIDELITIES",
    "INITIAL_KINDS",
    "MAX_GRID_SIZE",
    "ORDERS",
    "OVERRIDABLE",
    "CurationScenario",
    "CuratorSpec",
    "FactionSpec",
    "GridSpec",
    "InitialSpec",
    "SampledSpec",
]

OVERRIDABLE = {
    "name": "scenario.name",
    "seed": "scenario.seed",
    "rounds": "scenario.rounds",
    "description": "scenario.description",
    "output_dir": "output.dir",
    "fidelity": "curation.fidelity",
    "order": "curation.order",
    "mix": "curation.mix",
    "public_users": "curation.public_users",
}
"""Attributes :meth:`CurationScenario.with_overrides` can change, and their scenario-file key."""


class _FromTable:
    """A spec built from the validated scenario-file table of the same fields."""

    @classmethod
    def from_table(cls, table: StrictModel) -> Self:
        """The spec of a validated table (its lists, such as a centre, become tuples).

        Args:
            table: The table, with a field for every field of the spec.

        Returns:
            The spec.
        """
        values = {f.name: getattr(table, f.name) for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


@dataclass(frozen=True)
class GridSpec(_FromTable):
    """The finite output space: ``size × size`` points spanning ``[low, high]²``."""

    size: int = 81
    low: float = -5.0
    high: float = 5.0


@dataclass(frozen=True)
class InitialSpec(_FromTable):
    """The initial distribution p_0 (uniform, or an isotropic Gaussian with full support)."""

    kind: str = "uniform"
    centre: tuple[float, float] = (0.0, 0.0)
    scale: float = 2.0


@dataclass(frozen=True)
class CuratorSpec(_FromTable):
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

    def keywords(self, prefix: str) -> dict[str, Any]:
        """The curator as flat model keywords: ``<prefix>_centre_x``, ``<prefix>_radius`` ...

        Args:
            prefix: ``"owner"`` or ``"public"``.

        Returns:
            The keywords of :class:`~platform_abm.curation.model.CurationModel`.
        """
        x, y = self.centre
        values = {"centre_x": x, "centre_y": y} | {
            f.name: getattr(self, f.name) for f in fields(CuratorSpec) if f.name != "centre"
        }
        return {f"{prefix}_{key}": value for key, value in values.items()}

    @classmethod
    def from_keywords(cls, values: Any, prefix: str) -> Self:
        """The curator that :meth:`keywords` describes, read from an object's attributes.

        Args:
            values: An object with ``<prefix>_centre_x``, ``<prefix>_radius`` ...
                attributes (the validated model keywords).
            prefix: ``"owner"`` or ``"public"``.

        Returns:
            The spec (the fields of a faction that are no curator keyword keep
            their defaults).
        """
        given = {
            f.name: getattr(values, f"{prefix}_{f.name}")
            for f in fields(CuratorSpec)
            if f.name != "centre"
        }
        centre = (getattr(values, f"{prefix}_centre_x"), getattr(values, f"{prefix}_centre_y"))
        return cls(centre=centre, **given)

    def as_dict(self) -> dict[str, Any]:
        """The spec as a scenario-file table (the form ``CurationModel(factions=...)`` accepts)."""
        return {**asdict(self), "centre": list(self.centre)}


@dataclass(frozen=True)
class FactionSpec(CuratorSpec):
    """A public faction: a curator plus its name, population share and activity."""

    pool: int = 4
    name: str = "public"
    share: float = 1.0
    activity: float = 1.0


@dataclass(frozen=True)
class SampledSpec(_FromTable):
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
        rounds: Round limit (the model's ``max_rounds``).
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
        return cls(
            name=meta.name,
            seed=meta.seed,
            rounds=meta.rounds,
            output_dir=doc.output.dir,
            fidelity=cur.fidelity,
            order=cur.order,
            mix=cur.mix,
            public_users=cur.public_users,
            grid=GridSpec.from_table(cur.grid),
            initial=InitialSpec.from_table(cur.initial),
            owner=CuratorSpec.from_table(cur.owner),
            factions=tuple(FactionSpec.from_table(f) for f in cur.factions),
            sampled=SampledSpec.from_table(cur.sampled),
            description=meta.description,
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> CurationScenario:
        """Read and validate a curation scenario file.

        Args:
            path: Path of the TOML file.

        Returns:
            The scenario.

        Raises:
            InputError: If the file is not valid TOML, belongs to another family
                (``scenario.family``) or is not a valid curation scenario.
        """
        from platform_abm.common.scenario_file import read_toml
        from platform_abm.families import family_of

        document = read_toml(path)
        family = family_of(document).name
        if family != "curation":
            raise InputError(
                "scenario.family",
                family,
                "'curation' (a file of another family is read by that family's model)",
            )
        return cls.from_dict(document)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a scenario-file document: ``from_dict(s.to_dict()) == s``.

        Returns:
            The document (tables of plain values, as ``tomllib`` reads them).
        """
        document: dict[str, Any] = {
            "scenario": {
                "name": self.name,
                "family": "curation",
                "seed": self.seed,
                "rounds": self.rounds,
                "description": self.description,
            },
            "curation": {
                "fidelity": self.fidelity,
                "order": self.order,
                "mix": self.mix,
                "public_users": self.public_users,
                "grid": asdict(self.grid),
                "initial": {**asdict(self.initial), "centre": list(self.initial.centre)},
                "owner": self.owner.as_dict(),
                "factions": [faction.as_dict() for faction in self.factions],
                "sampled": asdict(self.sampled),
            },
        }
        if self.output_dir is not None:
            document["output"] = {"dir": self.output_dir}
        return document

    def with_overrides(self, **changes: Any) -> CurationScenario:
        """The scenario with some attributes replaced, validated as a scenario file is.

        Args:
            **changes: Attributes among :data:`OVERRIDABLE` (``rounds``, ``seed``
                ...) and their new values; None leaves an attribute as it is.

        Returns:
            The validated scenario.

        Raises:
            InputError: For an attribute that cannot be changed, or a value the
                scenario file would refuse (named by its key, ``scenario.rounds``).
        """
        document = self.to_dict()
        for attribute, value in changes.items():
            if value is None:
                continue
            if attribute not in OVERRIDABLE:
                raise InputError(attribute, value, f"one of {', '.join(OVERRIDABLE)}")
            table, key = OVERRIDABLE[attribute].split(".")
            document.setdefault(table, {})[key] = value
        return CurationScenario.from_dict(document)

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :class:`~platform_abm.curation.model.CurationModel` (seed included).

        Returns:
            The keyword arguments (``rng`` is the scenario's seed).
        """
        return {
            "fidelity": self.fidelity,
            "order": self.order,
            "max_rounds": self.rounds,
            "mix": self.mix,
            "public_users": self.public_users,
            "grid_size": self.grid.size,
            "low": self.grid.low,
            "high": self.grid.high,
            "initial": self.initial.kind,
            "initial_centre_x": self.initial.centre[0],
            "initial_centre_y": self.initial.centre[1],
            "initial_scale": self.initial.scale,
            **self.owner.keywords("owner"),
            "factions": tuple(faction.as_dict() for faction in self.factions),
            **asdict(self.sampled),
            "rng": self.seed,
        }
