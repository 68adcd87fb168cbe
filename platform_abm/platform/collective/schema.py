"""Declarations of a ``[[collectives]]`` table: every key, its type, default and range.

A collective has five parts (see ``docs/collectives.md``): ``name``,
``members`` (who belongs), ``strategy`` (a tagged table selected by
``family``), ``utility`` (selected by ``kind``) and ``solver`` (selected by
``kind``). Each variant declares exactly its own keys, so a key that the chosen
family or kind does not take is refused; the rules between the parts
(a fixed solver needs a shift with ``eta``, and so on) are checked by
:class:`CollectiveTable`. :meth:`platform_abm.platform.collective.spec.CollectiveSpec.from_dict`
validates through these declarations; the population-dependent checks (feature
names, membership) happen when a model selects the members.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from platform_abm.common.learners import MAX_ITERATIONS
from platform_abm.common.validation import (
    MAGNITUDE,
    REAL,
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
    text,
    variants,
)
from platform_abm.platform.collective.membership import OPERATORS
from platform_abm.platform.schema import FEATURE
from platform_abm.platform.user_utility import CallableUtility, Utility

SELFISH = ("best-response", "stationary", "none")
DIRECTIONS = ("ones", "mean-label-0", "mean-label-1")

SHARE = number(gt=0, le=1, allowed="a number in (0, 1]")


def _one_or_many(value: Any) -> Any:
    """A single feature or number stands for a list of one."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [value]
    return value


FEATURES = Annotated[
    sequence(FEATURE, max_length=10_000),
    BeforeValidator(_one_or_many),
    Allowed("a feature name or index, or a list of them"),
]
NUMBERS = Annotated[
    sequence(REAL, min_length=1, max_length=10_000),
    BeforeValidator(_one_or_many),
    Allowed("a number from -1e6 to 1e6, or a non-empty list of them"),
]
POSITIVE = number(gt=0, le=MAGNITUDE, allowed="a finite number > 0 and <= 1e6")


class ConditionTable(StrictModel):
    """``members.condition``: users whose label or feature compares to a value."""

    target: explained(text(min_length=1) | integer(ge=0), "'label' or a feature name or index")
    op: choice(*OPERATORS)
    value: number()


class MembersTable(StrictModel):
    """``members``: a random fraction, a condition and/or explicit row ids (at least one)."""

    fraction: SHARE | None = Field(
        None, description="share of the (eligible) users, drawn at random"
    )
    condition: ConditionTable | None = Field(None, description="only users meeting it are eligible")
    ids: (
        sequence(
            integer(ge=0, allowed="a row index >= 0"),
            min_length=1,
            allowed="a non-empty list of row indices >= 0",
        )
        | None
    ) = Field(None, description="explicit row indices of the members")

    @model_validator(mode="after")
    def _something(self) -> MembersTable:
        if not self.model_fields_set:
            raise refuse("fraction, condition and/or ids", value={})
        return self


class ShiftStrategy(StrictModel):
    """``strategy`` with ``family = "shift"``: every member moves its features by η·direction."""

    family: Literal["shift"] = "shift"
    features: FEATURES = Field(description="strategic features edited (names or indices)")
    direction: explained(
        choice(*DIRECTIONS) | NUMBERS,
        f"one of {', '.join(map(repr, DIRECTIONS))} or one number per feature",
    ) = Field("ones", description="direction of the shift")
    shared: boolean() = Field(False, description="one η for all features (else one per feature)")
    eta: NUMBERS | None = Field(None, description="a fixed η (with solver kind 'fixed')")
    budget: POSITIVE | None = Field(None, description="largest |η| the solver may choose")

    @model_validator(mode="after")
    def _lengths(self) -> ShiftStrategy:
        if not self.features:
            raise refuse("at least one strategic feature", key="features", value=[])
        if isinstance(self.direction, list) and len(self.direction) != len(self.features):
            raise refuse(
                f"{len(self.features)} numbers, one per feature",
                key="direction",
                value=self.direction,
            )
        if self.eta is not None and len(self.eta) != (1 if self.shared else len(self.features)):
            raise refuse(
                f"{1 if self.shared else len(self.features)} number(s)", key="eta", value=self.eta
            )
        return self


class FreeEditStrategy(StrictModel):
    """``strategy`` with ``family = "free-edit"``: members set one feature freely."""

    family: Literal["free-edit"] = "free-edit"
    features: Annotated[
        sequence(FEATURE, min_length=1, max_length=1),
        BeforeValidator(_one_or_many),
        Allowed("exactly one feature for free edits"),
    ] = Field(description="the one feature edited")
    budget: POSITIVE | None = Field(None, description="largest edit per member")


class LabelEditStrategy(StrictModel):
    """``strategy`` with ``family = "label-edit"``: members report labels in [low, high]."""

    family: Literal["label-edit"] = "label-edit"
    low: REAL | None = Field(None, description="lowest reported label")
    high: REAL | None = Field(None, description="highest reported label")

    @model_validator(mode="after")
    def _ordered(self) -> LabelEditStrategy:
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise refuse(f"a number > low = {self.low:g}", key="high", value=self.high)
        return self


StrategyTable = variants(
    "family",
    {"shift": ShiftStrategy, "free-edit": FreeEditStrategy, "label-edit": LabelEditStrategy},
)


class LinearQuadraticUtility(StrictModel):
    """``utility`` with ``kind = "linear-quadratic"``: score minus cost ||x′ − x||²/(2ε)."""

    kind: Literal["linear-quadratic"] = "linear-quadratic"
    epsilon: POSITIVE = Field(description="the members' manipulation budget ε")


class LossAlignmentUtility(StrictModel):
    """``utility`` with ``kind = "loss-alignment"``: sign·(the platform's loss) + λ·score."""

    kind: Literal["loss-alignment"] = "loss-alignment"
    lam: REAL = Field(0.0, alias="lambda", description="weight λ of the score term")
    sign: number(ge=-MAGNITUDE, le=MAGNITUDE, allowed="a number from -1e6 to 1e6 other than 0") = (
        Field(1.0, description="+1: zero-sum with the platform; -1: shared goal")
    )

    @model_validator(mode="after")
    def _nonzero(self) -> LossAlignmentUtility:
        if self.sign == 0:
            raise refuse("a number from -1e6 to 1e6 other than 0", key="sign", value=self.sign)
        return self


class TargetModelUtility(StrictModel):
    """``utility`` with ``kind = "target-model"``: closeness of θ to a target θ_target."""

    kind: Literal["target-model"] = "target-model"
    theta: NUMBERS | None = Field(None, description="θ_target itself (one number per feature)")
    eta: NUMBERS | None = Field(None, description="θ_target as the model fitted when ...")
    alpha: SHARE | None = Field(None, description="... a collective of size alpha plays eta")

    @model_validator(mode="after")
    def _target(self) -> TargetModelUtility:
        if self.theta is not None:
            if self.eta is not None or self.alpha is not None:
                raise refuse("theta or (eta, alpha), not both", key="theta", value=self.theta)
        elif self.eta is None or self.alpha is None:
            raise refuse(
                "theta = [...] or eta and alpha (the model fitted when a collective of size "
                "alpha plays eta)",
                key="theta",
                value=None,
            )
        return self


class LabelTargetUtility(StrictModel):
    """``utility`` with ``kind = "label-target"``: reported labels close to g(x) = x·c."""

    kind: Literal["label-target"] = "label-target"
    coefficients: NUMBERS = Field(description="c, one number per feature")


class CallableUtilityTable(StrictModel):
    """``utility`` with ``kind = "callable"`` (Python API only): any Utility object."""

    kind: Literal["callable"] = "callable"
    utility: instance_of(Utility, "a platform_abm Utility object") = Field(
        description="the Utility object"
    )


UtilityTable = variants(
    "kind",
    {
        "linear-quadratic": LinearQuadraticUtility,
        "loss-alignment": LossAlignmentUtility,
        "target-model": TargetModelUtility,
        "label-target": LabelTargetUtility,
        "callable": CallableUtilityTable,
    },
)


class SolverKind(StrictModel):
    """What every ``solver`` table holds: its ``kind`` and how h* is computed."""

    kind: str
    selfish: choice(*SELFISH) = Field(
        "best-response", description="how the selfish equilibrium h* is computed ('none': skipped)"
    )


class StackelbergSolver(SolverKind):
    """``solver`` with ``kind = "stackelberg"``: the members' best strategy given the response."""

    kind: Literal["stackelberg"] = "stackelberg"


class SizeAwareSolver(SolverKind):
    """``solver`` with ``kind = "size-aware"``: Stackelberg with the collective's size known."""

    kind: Literal["size-aware"] = "size-aware"
    alpha: SHARE | None = Field(None, description="the size assumed (default: the actual share)")


class FixedSolver(SolverKind):
    """``solver`` with ``kind = "fixed"``: play ``strategy.eta`` as given."""

    kind: Literal["fixed"] = "fixed"


class NotebookSolver(SolverKind):
    """``solver`` with ``kind = "notebook"``: the notebooks' Adam through unrolled GD."""

    kind: Literal["notebook"] = "notebook"
    steps: integer(ge=1, le=MAX_ITERATIONS) = Field(100, description="unrolled GD steps")
    iterations: integer(ge=1, le=MAX_ITERATIONS) = Field(250, description="Adam iterations")
    lr: POSITIVE = Field(0.01, description="Adam step size")


SolverTable = variants(
    "kind",
    {
        "stackelberg": StackelbergSolver,
        "size-aware": SizeAwareSolver,
        "fixed": FixedSolver,
        "notebook": NotebookSolver,
    },
    default="stackelberg",
)


class CollectiveTable(StrictModel):
    """One ``[[collectives]]`` table."""

    name: text(min_length=1) | None = Field(
        None, description="label in the results (default: collectives[i])"
    )
    members: MembersTable = Field(description="who belongs to the collective")
    strategy: StrategyTable = Field(description="the strategy family and its parameters")
    utility: UtilityTable = Field(description="the members' utility")
    solver: SolverTable = Field(default_factory=StackelbergSolver, description="how h is chosen")

    @model_validator(mode="after")
    def _consistent(self) -> CollectiveTable:
        strategy, solver, utility = self.strategy, self.solver, self.utility
        family, kind = strategy.family, solver.kind
        eta = getattr(strategy, "eta", None)
        if kind == "fixed" and (family != "shift" or eta is None):
            raise refuse(
                "'fixed' needs a shift strategy with strategy.eta", key="solver.kind", value=kind
            )
        if family == "shift" and eta is not None and kind != "fixed":
            raise refuse("solver.kind = 'fixed'", key="strategy.eta", value=eta)
        if kind == "notebook" and (family == "label-edit" or len(strategy.features) != 1):
            raise refuse(
                "'notebook' needs a shift or free edit of one feature",
                key="solver.kind",
                value=kind,
            )
        if utility.kind == "label-target" and family != "label-edit":
            raise refuse("a label-edit strategy", key="utility.kind", value="label-target")
        if utility.kind == "callable" and isinstance(utility.utility, CallableUtility):
            if utility.utility._grad_theta is None:
                raise refuse(
                    "a gradient in θ: the solvers and the metrics B, Φ, Ψ need it",
                    key="utility.grad_theta",
                    value=None,
                )
            if utility.utility._grad_x is None and kind != "fixed" and family != "label-edit":
                raise refuse(
                    f"a gradient in the features: solver '{kind}' optimises the reports",
                    key="utility.grad_x",
                    value=None,
                )
        return self


COLLECTIVES = sequence(CollectiveTable, allowed="an array of tables [[collectives]]")
"""The declared type of a scenario's ``collectives``."""
