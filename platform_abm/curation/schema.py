"""Declarations of the curation family's settings: scenario-file tables and model keywords.

Every setting of a curation scenario file (``family = "curation"``) is a field
of :class:`CurationDocument`, and every keyword of
:class:`~platform_abm.curation.model.CurationModel` a field of
:class:`CurationParams`. Both use the same declared types (:data:`POOL`,
:data:`TEMPERATURE`, ...) and rules, so a file, the Python API and a sweep
accept exactly the same values.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from platform_abm.common.validation import (
    PATH,
    REAL,
    ROUNDS,
    SCALE,
    SCENARIO_NAME,
    SEED,
    Allowed,
    StrictModel,
    choice,
    integer,
    number,
    refuse,
    sequence,
    text,
)

FIDELITIES = ("grid", "sampled")
ORDERS = ("owner-first", "public-first")
INITIAL_KINDS = ("uniform", "gaussian")
MAX_GRID_SIZE = 401
"""Largest grid side accepted (the exact dynamics holds size² cells)."""
MAX_USERS = 100_000
"""Most public users, and the largest pool of candidates."""
MAX_POINTS = 10_000_000
"""Most points of the sampled loop's initial dataset (and per round)."""
MAX_COMPONENTS = 100
"""Most Gaussian-mixture components."""

COORDINATE = REAL
POSITIVE = SCALE
POOL = integer(ge=1, le=MAX_USERS)
MIX = number(ge=0, le=1)
GRID_SIZE = integer(ge=3, le=MAX_GRID_SIZE)
PUBLIC_USERS = integer(ge=1, le=MAX_USERS)
POINTS = integer(ge=1, le=MAX_POINTS)
COMPONENTS = integer(ge=1, le=MAX_COMPONENTS)
TOLERANCE = number(ge=0)
POINT = sequence(COORDINATE, min_length=2, max_length=2, allowed="a pair [x, y] of finite numbers")
_FACTION_NAME_TEXT = "an identifier (letters, digits, _), not 'owner'"


def _not_owner(name: str) -> str:
    if name == "owner":
        raise refuse(_FACTION_NAME_TEXT)
    return name


FACTION_NAME = Annotated[
    text(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", allowed=_FACTION_NAME_TEXT),
    AfterValidator(_not_owner),
    Allowed(_FACTION_NAME_TEXT),
]


def check_grid(low: float, high: float, high_key: str) -> None:
    """Refuse a grid whose upper bound is not above its lower bound.

    Args:
        low: Lower bound.
        high: Upper bound.
        high_key: How the caller calls the upper bound.
    """
    if not high > low:
        raise refuse(f"a number > low ({low:g})", key=high_key, value=high)


def check_public_users(count: int, factions: int, key: str) -> None:
    """Refuse fewer public users than factions (each faction has at least one).

    Args:
        count: Number of public users.
        factions: Number of factions.
        key: How the caller calls the number of users.
    """
    if count < factions:
        raise refuse(f"an integer >= the number of factions ({factions})", key=key, value=count)


def check_sampled_sizes(keeps: dict[str, int], components: int) -> None:
    """Refuse a Gaussian mixture with more components than the points it is fitted to.

    Each round the mixture is fitted to the points the first curator keeps
    (``owner_keep`` or ``public_keep``, depending on the order), so both must be
    at least 2 and at least the number of components.

    Args:
        keeps: How the caller calls each kept-points count, and its value.
        components: Number of mixture components.
    """
    least = max(2, components)
    for key, value in keeps.items():
        if value < least:
            raise refuse(
                f"an integer >= {least} (a mixture of {components} component(s) is fitted "
                "to these points)",
                key=key,
                value=value,
            )


class CuratorTable(StrictModel):
    """``[curation.owner]``: the platform's disc reward, temperature and pool."""

    centre: POINT = Field([0.0, 0.0], description="centre of the reward disc")
    radius: POSITIVE = Field(1.0, description="radius of the disc (reward 0 inside)")
    slope: POSITIVE = Field(2.0, description="reward −slope·(distance − radius) outside")
    temperature: POSITIVE = Field(0.5, description="τ: choice probabilities softmax(r/τ)")
    pool: POOL = Field(10, description="K: candidates per kept output")


class FactionTable(StrictModel):
    """One ``[[curation.factions]]`` table: a public faction."""

    name: FACTION_NAME = Field("public", description="label of the faction in the results")
    centre: POINT = Field([0.0, 0.0], description="centre of the faction's reward disc")
    radius: POSITIVE = Field(1.0, description="radius of the disc")
    slope: POSITIVE = Field(2.0, description="reward slope outside the disc")
    temperature: POSITIVE = Field(0.5, description="the faction's τ")
    pool: POOL = Field(4, description="M: candidates per kept output")
    share: POSITIVE = Field(1.0, description="fraction of the public (normalised over factions)")
    activity: POSITIVE = Field(1.0, description="relative curation activity of each member")


def unique_names(factions: list[FactionTable], key: str) -> None:
    """Refuse two factions of the same name.

    Args:
        factions: The validated factions.
        key: How the caller calls the list.
    """
    names = [faction.name for faction in factions]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise refuse("a name not used by another faction", key=(key, index, "name"), value=name)


FACTIONS = sequence(FactionTable, min_length=1, allowed="a non-empty list of faction tables")


class GridTable(StrictModel):
    """``[curation.grid]``: the output space, size × size points on [low, high]²."""

    size: GRID_SIZE = Field(81, description="points per axis")
    low: COORDINATE = Field(-5.0, description="lower bound of both coordinates")
    high: COORDINATE = Field(5.0, description="upper bound of both coordinates (> low)")

    @model_validator(mode="after")
    def _ordered(self) -> GridTable:
        check_grid(self.low, self.high, "high")
        return self


class InitialTable(StrictModel):
    """``[curation.initial]``: the initial distribution p_0."""

    kind: choice(*INITIAL_KINDS) = Field("uniform", description="uniform, or isotropic Gaussian")
    centre: POINT = Field([0.0, 0.0], description="Gaussian mean (gaussian only)")
    scale: POSITIVE = Field(2.0, description="Gaussian standard deviation (gaussian only)")


class SampledTable(StrictModel):
    """``[curation.sampled]``: sizes of the paper's sample-based loop."""

    initial_points: POINTS = Field(1000, description="size of the initial dataset")
    owner_keep: POINTS = Field(100, description="points the owner keeps per round")
    public_keep: POINTS = Field(50, description="points the public keeps per round")
    gmm_components: COMPONENTS = Field(10, description="Gaussian-mixture components")
    gmm_tol: number(gt=0, le=1e6) = Field(0.01, description="EM convergence threshold")

    @model_validator(mode="after")
    def _enough_points(self) -> SampledTable:
        keeps = {"owner_keep": self.owner_keep, "public_keep": self.public_keep}
        check_sampled_sizes(keeps, self.gmm_components)
        return self


class CurationTable(StrictModel):
    """``[curation]``: the game and its dynamics."""

    fidelity: choice(*FIDELITIES) = Field(
        "grid", description="exact grid dynamics, or the paper's sample-based loop"
    )
    order: choice(*ORDERS) = Field("owner-first", description="who curates first each round")
    mix: MIX = Field(0.0, description="fraction of original data mixed back in each round")
    public_users: PUBLIC_USERS = Field(
        1, description="PublicUser agents, apportioned to factions by share"
    )
    grid: GridTable = Field(default_factory=GridTable, description="the output space")
    initial: InitialTable = Field(
        default_factory=InitialTable, description="the initial distribution p_0"
    )
    owner: CuratorTable = Field(default_factory=CuratorTable, description="the platform's curator")
    factions: FACTIONS = Field(
        default_factory=lambda: [FactionTable()],
        description="the public factions (default: one faction 'public' with these defaults)",
    )
    sampled: SampledTable = Field(
        default_factory=SampledTable, description="sizes of the sample-based loop"
    )

    @model_validator(mode="after")
    def _consistent(self) -> CurationTable:
        unique_names(self.factions, "factions")
        check_public_users(self.public_users, len(self.factions), "public_users")
        return self


class CurationScenarioTable(StrictModel):
    """``[scenario]`` of a curation file (every key but ``description`` required)."""

    name: SCENARIO_NAME = Field(description="names the results folder results/<name>")
    family: Literal["curation"] = Field(description="'curation'")
    seed: SEED = Field(description="seed of the model's random generator")
    rounds: ROUNDS = Field(
        description="round limit (a grid run stops earlier once it has converged)"
    )
    description: text() = Field("", description="free text")


class CurationOutputTable(StrictModel):
    """``[output]`` of a curation file."""

    dir: PATH | None = Field(None, description="results folder (default: results/<name>)")


class CurationDocument(StrictModel):
    """A curation scenario file."""

    scenario: CurationScenarioTable
    output: CurationOutputTable = Field(default_factory=CurationOutputTable)
    curation: CurationTable = Field(default_factory=CurationTable)


class CurationParams(StrictModel):
    """The keywords of :class:`~platform_abm.curation.model.CurationModel` (see its docstring).

    Every field is given by the model (its defaults live in its signature).
    """

    fidelity: choice(*FIDELITIES)
    order: choice(*ORDERS)
    max_rounds: ROUNDS
    tolerance: TOLERANCE
    mix: MIX
    public_users: PUBLIC_USERS
    grid_size: GRID_SIZE
    low: COORDINATE
    high: COORDINATE
    initial: choice(*INITIAL_KINDS)
    initial_centre_x: COORDINATE
    initial_centre_y: COORDINATE
    initial_scale: POSITIVE
    owner_centre_x: COORDINATE
    owner_centre_y: COORDINATE
    owner_radius: POSITIVE
    owner_slope: POSITIVE
    owner_temperature: POSITIVE
    owner_pool: POOL
    public_centre_x: COORDINATE
    public_centre_y: COORDINATE
    public_radius: POSITIVE
    public_slope: POSITIVE
    public_temperature: POSITIVE
    public_pool: POOL
    factions: FACTIONS | None
    initial_points: POINTS
    owner_keep: POINTS
    public_keep: POINTS
    gmm_components: COMPONENTS
    gmm_tol: number(gt=0, le=1e6)
    p0: Any
    rng: Any

    @model_validator(mode="after")
    def _consistent(self) -> CurationParams:
        check_grid(self.low, self.high, "high")
        if self.factions is not None:
            unique_names(self.factions, "factions")
        count = 1 if self.factions is None else len(self.factions)
        check_public_users(self.public_users, count, "public_users")
        keeps = {"owner_keep": self.owner_keep, "public_keep": self.public_keep}
        check_sampled_sizes(keeps, self.gmm_components)
        return self
