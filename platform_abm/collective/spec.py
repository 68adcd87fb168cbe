"""Scenario ``[[collectives]]`` tables: validation and planning (SPEC.md §4).

A collective is described by five parts::

    [[collectives]]
    name = "label-1 shift"
    [collectives.members]            # fraction and/or condition and/or ids
    fraction = 0.3
    condition = { target = "label", op = "==", value = 1 }
    [collectives.strategy]
    family = "shift"                 # shift | free-edit | label-edit
    features = ["age"]               # strategic features (names or indices)
    direction = "mean-label-0"       # shift: ones | mean-label-0 | mean-label-1 | [numbers]
    shared = true                    # shift: one η for all features
    eta = 0.34                       # shift: a fixed η (solver "fixed")
    [collectives.utility]
    kind = "target-model"            # linear-quadratic | loss-alignment |
                                     # target-model | label-target | callable
    eta = 0.552                      # θ_target: the model fitted when a collective of
    alpha = 0.3                      # size alpha plays eta (or give theta = [...])
    [collectives.solver]
    kind = "fixed"                   # stackelberg | size-aware | fixed | notebook
    selfish = "none"                 # best-response | stationary | none

:meth:`CollectiveSpec.from_dict` turns such a table into a frozen spec or
raises :class:`~platform_abm.errors.InputError` naming the dotted field, the
value received and what is allowed. :func:`plan_collective` solves the
collective's strategy on a population and returns a :class:`CollectivePlan`:
the members' committed reports plus the metrics B, Φ, the Theorem-5' norm, Ψ
and ∂U/∂α.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from platform_abm.collective import metrics as M
from platform_abm.collective.membership import Condition, resolve_feature, select_members
from platform_abm.collective.notebook import (
    UnrolledGD,
    notebook_step,
    solve_free_edit_notebook,
    solve_shift_notebook,
)
from platform_abm.collective.solvers import (
    LeaderProblem,
    StrategyResult,
    selfish_equilibrium,
    stackelberg,
)
from platform_abm.collective.strategies import FeatureShift, FreeEdit, LabelEdit, Strategy
from platform_abm.errors import InputError
from platform_abm.learners import Learner, LeastSquares
from platform_abm.utilities import (
    CallableUtility,
    LabelTarget,
    LinearQuadratic,
    LossAlignment,
    TargetModel,
    Utility,
)

Array = np.ndarray

FAMILIES = ("shift", "free-edit", "label-edit")
UTILITIES = ("linear-quadratic", "loss-alignment", "target-model", "label-target", "callable")
SOLVERS = ("stackelberg", "size-aware", "fixed", "notebook")
SELFISH = ("best-response", "stationary", "none")
DIRECTIONS = ("ones", "mean-label-0", "mean-label-1")

_KEYS = {
    "": ("name", "members", "strategy", "utility", "solver"),
    "members": ("fraction", "condition", "ids"),
    "condition": ("target", "op", "value"),
    "strategy": ("family", "features", "direction", "shared", "eta", "budget", "low", "high"),
    "utility": (
        "kind",
        "epsilon",
        "lambda",
        "sign",
        "theta",
        "eta",
        "alpha",
        "coefficients",
        "utility",
    ),
    "solver": ("kind", "selfish", "alpha", "steps", "iterations", "lr"),
}


def _check_keys(data: Mapping[str, Any], part: str, field: str) -> None:
    if not isinstance(data, Mapping):
        raise InputError(field, data, "a table")
    allowed = _KEYS[part]
    for key in data:
        if key not in allowed:
            raise InputError(f"{field}.{key}", key, f"one of the keys {list(allowed)}")


def _number(value: Any, field: str, allowed: str, low: float = -math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(field, value, allowed)
    if value <= low:
        raise InputError(field, value, allowed)
    return float(value)


def _numbers(value: Any, field: str) -> tuple[float, ...]:
    seq = value if isinstance(value, list | tuple) else [value]
    if not seq:
        raise InputError(field, value, "a number or a non-empty list of numbers")
    return tuple(_number(v, field, "finite numbers") for v in seq)


@dataclass(frozen=True)
class MembersSpec:
    """Membership rule: random fraction, condition and/or explicit ids."""

    fraction: float | None = None
    condition: Condition | None = None
    ids: tuple[int, ...] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], field: str) -> MembersSpec:
        """Validate a ``members`` table."""
        _check_keys(data, "members", field)
        if not data:
            raise InputError(field, dict(data), "fraction, condition and/or ids")
        fraction = data.get("fraction")
        if fraction is not None:
            fraction = _number(fraction, f"{field}.fraction", "a number in (0, 1]", low=0.0)
            if fraction > 1:
                raise InputError(f"{field}.fraction", data["fraction"], "a number in (0, 1]")
        condition = None
        if "condition" in data:
            cond = data["condition"]
            _check_keys(cond, "condition", f"{field}.condition")
            for key in ("target", "op", "value"):
                if key not in cond:
                    raise InputError(f"{field}.condition.{key}", None, "a value (required)")
            if cond["op"] not in ("==", "!=", "<", "<=", ">", ">="):
                raise InputError(f"{field}.condition.op", cond["op"], "one of ==, !=, <, <=, >, >=")
            target = cond["target"]
            if not isinstance(target, str | int) or isinstance(target, bool):
                raise InputError(
                    f"{field}.condition.target", target, "'label' or a feature name or index"
                )
            value = _number(cond["value"], f"{field}.condition.value", "a number")
            condition = Condition(target=target, op=cond["op"], value=value)
        ids = None
        if "ids" in data:
            raw = data["ids"]
            if not isinstance(raw, list | tuple) or not all(
                isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in raw
            ):
                raise InputError(f"{field}.ids", raw, "a list of row indices >= 0")
            if not raw:
                raise InputError(f"{field}.ids", raw, "at least one row index (empty collective)")
            ids = tuple(int(i) for i in raw)
        return cls(fraction=fraction, condition=condition, ids=ids)

    def select(
        self,
        X: Array,
        y: Array,
        rng: np.random.Generator | None,
        feature_names: Sequence[str] | None = None,
        field: str = "collective.members",
    ) -> Array:
        """Row indices of the members in a population (see :func:`select_members`)."""
        return select_members(
            len(y),
            fraction=self.fraction,
            condition=self.condition,
            ids=self.ids,
            X=X,
            y=y,
            feature_names=feature_names,
            rng=rng,
            field=field,
        )


@dataclass(frozen=True)
class StrategySpec:
    """Strategy family and its parameters."""

    family: str
    features: tuple[str | int, ...] = ()
    direction: str | tuple[float, ...] = "ones"
    shared: bool = False
    eta: tuple[float, ...] | None = None
    budget: float | None = None
    low: float | None = None
    high: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], field: str) -> StrategySpec:
        """Validate a ``strategy`` table."""
        _check_keys(data, "strategy", field)
        family = data.get("family")
        if family not in FAMILIES:
            raise InputError(f"{field}.family", family, f"one of {list(FAMILIES)}")
        features = data.get("features", [])
        if isinstance(features, str | int) and not isinstance(features, bool):
            features = [features]
        if not isinstance(features, list | tuple) or not all(
            isinstance(f, str | int) and not isinstance(f, bool) for f in features
        ):
            raise InputError(f"{field}.features", features, "a list of feature names or indices")
        if family == "label-edit" and features:
            raise InputError(f"{field}.features", features, "no features for label edits")
        if family != "label-edit" and not features:
            raise InputError(f"{field}.features", features, "at least one strategic feature")
        if family == "free-edit" and len(features) != 1:
            raise InputError(f"{field}.features", features, "exactly one feature for free edits")
        only_shift = ("direction", "shared", "eta")
        for key in only_shift:
            if key in data and family != "shift":
                raise InputError(f"{field}.{key}", data[key], f"no '{key}' for family {family}")
        direction: str | tuple[float, ...] = "ones"
        if "direction" in data:
            raw = data["direction"]
            if isinstance(raw, str):
                if raw not in DIRECTIONS:
                    raise InputError(
                        f"{field}.direction", raw, f"one of {list(DIRECTIONS)} or numbers"
                    )
                direction = raw
            else:
                direction = _numbers(raw, f"{field}.direction")
                if len(direction) != len(features):
                    raise InputError(
                        f"{field}.direction", raw, f"{len(features)} numbers, one per feature"
                    )
        shared = data.get("shared", False)
        if not isinstance(shared, bool):
            raise InputError(f"{field}.shared", shared, "true or false")
        eta = _numbers(data["eta"], f"{field}.eta") if "eta" in data else None
        if eta is not None and len(eta) != (1 if shared else len(features)):
            raise InputError(
                f"{field}.eta", data["eta"], f"{1 if shared else len(features)} number(s)"
            )
        budget = None
        if "budget" in data:
            if family == "label-edit":
                raise InputError(f"{field}.budget", data["budget"], "low/high for label edits")
            budget = _number(data["budget"], f"{field}.budget", "a number > 0", low=0.0)
        for key in ("low", "high"):
            if key in data and family != "label-edit":
                raise InputError(f"{field}.{key}", data[key], "only for label edits")
        low = _number(data["low"], f"{field}.low", "a number") if "low" in data else None
        high = _number(data["high"], f"{field}.high", "a number") if "high" in data else None
        if low is not None and high is not None and not low < high:
            raise InputError(f"{field}.high", high, f"a number > low = {low}")
        return cls(family, tuple(features), direction, shared, eta, budget, low, high)


@dataclass(frozen=True)
class UtilitySpec:
    """The members' utility."""

    kind: str
    epsilon: float | None = None
    lam: float = 0.0
    sign: float = 1.0
    theta: tuple[float, ...] | None = None
    eta: tuple[float, ...] | None = None
    alpha: float | None = None
    coefficients: tuple[float, ...] | None = None
    utility: Utility | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], field: str) -> UtilitySpec:
        """Validate a ``utility`` table."""
        _check_keys(data, "utility", field)
        kind = data.get("kind")
        if kind not in UTILITIES:
            raise InputError(f"{field}.kind", kind, f"one of {list(UTILITIES)}")
        allowed_keys = {
            "linear-quadratic": ("epsilon",),
            "loss-alignment": ("lambda", "sign"),
            "target-model": ("theta", "eta", "alpha"),
            "label-target": ("coefficients",),
            "callable": ("utility",),
        }[kind]
        for key in data:
            if key != "kind" and key not in allowed_keys:
                raise InputError(
                    f"{field}.{key}", data[key], f"keys {list(allowed_keys)} for {kind}"
                )
        if kind == "linear-quadratic":
            if "epsilon" not in data:
                raise InputError(f"{field}.epsilon", None, "a number > 0 (required)")
            eps = _number(data["epsilon"], f"{field}.epsilon", "a number > 0", low=0.0)
            return cls(kind, epsilon=eps)
        if kind == "loss-alignment":
            lam = _number(data.get("lambda", 0.0), f"{field}.lambda", "a finite number")
            sign = _number(data.get("sign", 1.0), f"{field}.sign", "a finite number ≠ 0")
            if sign == 0:
                raise InputError(f"{field}.sign", sign, "a finite number ≠ 0")
            return cls(kind, lam=lam, sign=sign)
        if kind == "target-model":
            if "theta" in data:
                if "eta" in data or "alpha" in data:
                    raise InputError(f"{field}.theta", data["theta"], "theta or (eta, alpha)")
                return cls(kind, theta=_numbers(data["theta"], f"{field}.theta"))
            if "eta" not in data or "alpha" not in data:
                raise InputError(
                    f"{field}.theta",
                    None,
                    "theta = [...] or eta and alpha (the model fitted "
                    "when a collective of size alpha plays eta)",
                )
            alpha = _number(data["alpha"], f"{field}.alpha", "a number in (0, 1]", low=0.0)
            if alpha > 1:
                raise InputError(f"{field}.alpha", alpha, "a number in (0, 1]")
            return cls(kind, eta=_numbers(data["eta"], f"{field}.eta"), alpha=alpha)
        if kind == "label-target":
            if "coefficients" not in data:
                raise InputError(f"{field}.coefficients", None, "g(x) = x·c: a list of numbers")
            return cls(kind, coefficients=_numbers(data["coefficients"], f"{field}.coefficients"))
        utility = data.get("utility")
        if not isinstance(utility, Utility):
            raise InputError(f"{field}.utility", utility, "a platform_abm Utility object")
        return cls(kind, utility=utility)


@dataclass(frozen=True)
class SolverSpec:
    """How the collective chooses its strategy, and whether h* is computed."""

    kind: str = "stackelberg"
    selfish: str = "best-response"
    alpha: float | None = None
    steps: int = 100
    iterations: int = 250
    lr: float = 0.01

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], field: str) -> SolverSpec:
        """Validate a ``solver`` table."""
        _check_keys(data, "solver", field)
        kind = data.get("kind", "stackelberg")
        if kind not in SOLVERS:
            raise InputError(f"{field}.kind", kind, f"one of {list(SOLVERS)}")
        selfish = data.get("selfish", "best-response")
        if selfish not in SELFISH:
            raise InputError(f"{field}.selfish", selfish, f"one of {list(SELFISH)}")
        alpha = None
        if "alpha" in data:
            if kind != "size-aware":
                raise InputError(f"{field}.alpha", data["alpha"], "only for kind = 'size-aware'")
            alpha = _number(data["alpha"], f"{field}.alpha", "a number in (0, 1]", low=0.0)
            if alpha > 1:
                raise InputError(f"{field}.alpha", alpha, "a number in (0, 1]")
        for key in ("steps", "iterations", "lr"):
            if key in data and kind != "notebook":
                raise InputError(f"{field}.{key}", data[key], "only for kind = 'notebook'")
        steps = data.get("steps", 100)
        iterations = data.get("iterations", 250)
        for key, value in (("steps", steps), ("iterations", iterations)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{field}.{key}", value, "an integer >= 1")
        lr = _number(data.get("lr", 0.01), f"{field}.lr", "a number > 0", low=0.0)
        return cls(kind, selfish, alpha, steps, iterations, lr)


@dataclass(frozen=True)
class CollectiveSpec:
    """A validated ``[[collectives]]`` table.

    Attributes:
        name: Label of the collective (in the collected data).
        members: Who belongs to it.
        strategy: Strategy family and parameters.
        utility: The members' utility.
        solver: How the strategy is chosen.
        field: Dotted name of the table (for later error messages).
    """

    name: str
    members: MembersSpec
    strategy: StrategySpec
    utility: UtilitySpec
    solver: SolverSpec
    field: str = "collectives[0]"

    @classmethod
    def from_dict(
        cls,
        data: dict,
        field: str,
        *,
        strategic: Sequence[str | int] | None = None,
        feature_names: Sequence[str] | None = None,
    ) -> CollectiveSpec:
        """Validate one ``[[collectives]]`` table.

        Args:
            data: The table (parsed TOML or a Python dict).
            field: Its dotted name, e.g. ``"collectives[0]"``.
            strategic: The scenario's strategic features (names or indices),
                if known; the strategy must only use those.
            feature_names: Column names, to relate names and indices.

        Returns:
            The spec.

        Raises:
            InputError: For any value that is not allowed (the message names
                the dotted field, the value and what is allowed).
        """
        _check_keys(data, "", field)
        name = data.get("name", field)
        if not isinstance(name, str) or not name:
            raise InputError(f"{field}.name", name, "a non-empty string")
        if "members" not in data:
            raise InputError(f"{field}.members", None, "a members table (required)")
        members = MembersSpec.from_dict(data["members"], f"{field}.members")
        if "strategy" not in data:
            raise InputError(f"{field}.strategy", None, "a strategy table (required)")
        strategy = StrategySpec.from_dict(data["strategy"], f"{field}.strategy")
        if "utility" not in data:
            raise InputError(f"{field}.utility", None, "a utility table (required)")
        utility = UtilitySpec.from_dict(data["utility"], f"{field}.utility")
        solver = SolverSpec.from_dict(data.get("solver", {}), f"{field}.solver")
        spec = cls(name, members, strategy, utility, solver, field)
        spec._check_consistency()
        if strategic is not None:
            spec.check_strategic(strategic, feature_names)
        return spec

    def _check_consistency(self) -> None:
        f = self.field
        fam, kind = self.strategy.family, self.solver.kind
        if kind == "fixed" and (fam != "shift" or self.strategy.eta is None):
            raise InputError(
                f"{f}.solver.kind", kind, "'fixed' needs a shift strategy with strategy.eta"
            )
        if fam == "shift" and self.strategy.eta is not None and kind != "fixed":
            raise InputError(f"{f}.strategy.eta", self.strategy.eta, "solver.kind = 'fixed'")
        if kind == "notebook" and (fam == "label-edit" or len(self.strategy.features) != 1):
            raise InputError(
                f"{f}.solver.kind", kind, "'notebook' needs a shift or free edit of one feature"
            )
        if self.utility.kind == "label-target" and fam != "label-edit":
            raise InputError(f"{f}.utility.kind", "label-target", "a label-edit strategy")
        u = self.utility.utility
        if isinstance(u, CallableUtility):
            if u._grad_theta is None:
                raise InputError(
                    f"{f}.utility.grad_theta",
                    None,
                    "a gradient in θ: the solvers and the metrics B, Φ, Ψ need it",
                )
            if u._grad_x is None and kind != "fixed" and fam != "label-edit":
                raise InputError(
                    f"{f}.utility.grad_x",
                    None,
                    f"a gradient in the features: solver '{kind}' optimises the reports",
                )

    def check_strategic(
        self, strategic: Sequence[str | int], feature_names: Sequence[str] | None = None
    ) -> None:
        """Raise InputError if the strategy edits a feature that is not strategic."""
        names = list(feature_names or [])

        def canon(feature: str | int) -> str | int:
            if isinstance(feature, str) and feature in names:
                return names.index(feature)
            return feature

        allowed = {canon(s) for s in strategic}
        for feature in self.strategy.features:
            if canon(feature) not in allowed:
                raise InputError(
                    f"{self.field}.strategy.features",
                    feature,
                    f"one of the scenario's strategic features {list(strategic)}",
                )


@dataclass
class CollectivePlan:
    """A collective's solved strategy and its metrics.

    Attributes:
        name: The collective's name.
        members: Row indices of the members.
        X_report: Members' committed reported features, shape (m, d).
        y_report: Members' committed reported labels, shape (m,).
        utility: The members' utility.
        strategy: The strategy family.
        params: The solved strategy parameters.
        theta: The platform's model when the collective plays the plan and the
            other users report their base points (model 3).
        metrics: ``U`` (members' utility at the plan), ``U_selfish``, ``B``,
            ``phi``, ``t5_norm`` (paper contraction), ``t5_norm_notebook``,
            ``psi``, ``dU_dalpha`` and ``alpha`` (NaN where undefined).
        selfish_params: Strategy parameters of the selfish equilibrium (or None).
    """

    name: str
    members: Array
    X_report: Array
    y_report: Array
    utility: Utility
    strategy: Strategy
    params: Array
    theta: Array
    metrics: dict[str, float] = field(default_factory=dict)
    selfish_params: Array | None = None


def _resolve_features(
    spec: CollectiveSpec, d: int, feature_names: Sequence[str] | None
) -> list[int]:
    return [
        resolve_feature(f, d, feature_names, f"{spec.field}.strategy.features")
        for f in spec.strategy.features
    ]


def build_strategy(
    spec: CollectiveSpec, X_base: Array, y: Array, feature_names: Sequence[str] | None = None
) -> Strategy:
    """The :class:`Strategy` a spec describes, on a population."""
    st = spec.strategy
    d = X_base.shape[1]
    if st.family == "label-edit":
        return LabelEdit(st.low, st.high)
    cols = _resolve_features(spec, d, feature_names)
    if st.family == "free-edit":
        return FreeEdit(cols[0], budget=st.budget)
    if isinstance(st.direction, tuple):
        direction = np.array(st.direction)
    elif st.direction == "ones":
        direction = np.ones(len(cols))
    else:
        label = 0.0 if st.direction == "mean-label-0" else 1.0
        pool = X_base[y == label]
        if len(pool) == 0:
            raise InputError(f"{spec.field}.strategy.direction", st.direction, "a present label")
        direction = pool[:, cols].mean(axis=0)
    return FeatureShift(cols, direction=direction, shared=st.shared, bound=st.budget)


def build_utility(
    spec: CollectiveSpec,
    learner: Learner,
    X_base: Array,
    y: Array,
    members: Array,
    strategy: Strategy,
) -> Utility:
    """The :class:`Utility` a spec describes (θ_target fitted when needed)."""
    u = spec.utility
    f = f"{spec.field}.utility"
    if u.kind == "linear-quadratic":
        return LinearQuadratic(u.epsilon)
    if u.kind == "loss-alignment":
        return LossAlignment(learner, lam=u.lam, sign=u.sign)
    if u.kind == "label-target":
        coef = np.array(u.coefficients)
        if len(coef) != X_base.shape[1]:
            raise InputError(f"{f}.coefficients", u.coefficients, f"{X_base.shape[1]} numbers")
        return LabelTarget(lambda Xb: Xb @ coef)
    if u.kind == "target-model":
        if u.theta is not None:
            if len(u.theta) != X_base.shape[1]:
                raise InputError(f"{f}.theta", u.theta, f"{X_base.shape[1]} numbers")
            return TargetModel(np.array(u.theta))
        # θ_target: the model fitted when a collective of size alpha (share of the
        # eligible members, taken in row order) plays eta.
        m = max(1, round(u.alpha * len(members)))
        chosen = np.asarray(members)[:m]
        problem = LeaderProblem(
            learner, strategy, TargetModel(np.zeros(X_base.shape[1])), X_base, y, chosen
        )
        Xs, ys, w, _ = problem.population(np.array(u.eta))
        return TargetModel(learner.fit(Xs, ys, w).coef_)
    assert u.utility is not None
    return u.utility


def plan_collective(
    spec: CollectiveSpec,
    learner: Learner,
    X_base: Array,
    y: Array,
    members: Array,
    strategic: Sequence[int],
    rng: np.random.Generator,
    feature_names: Sequence[str] | None = None,
) -> CollectivePlan:
    """Solve a collective's strategy on a population and compute its metrics.

    The population model is model 3: the members report the plan, everybody
    else reports the base point. The metrics use the platform's ``learner``
    (exact learners give exact implicit gradients).

    Args:
        spec: The validated spec.
        learner: The platform's learner.
        X_base: Base features of the whole population, shape (n, d).
        y: Base labels, shape (n,).
        members: Member row indices (from :meth:`MembersSpec.select`).
        strategic: Indices of the scenario's strategic features.
        rng: The model's random generator (reserved for randomised solvers).
        feature_names: Column names.

    Returns:
        The plan.

    Raises:
        InputError: For a strategy on a non-strategic feature, an empty
            collective, or a utility the learner cannot serve.
        SimulationError: If an inner solve fails to converge.
    """
    members = np.unique(np.asarray(members, dtype=int))
    if members.size == 0:
        raise InputError(f"{spec.field}.members", "no member", "at least one member")
    names = list(feature_names or [])
    spec.check_strategic([int(s) for s in strategic], names)
    if spec.strategy.family != "label-edit":
        cols = _resolve_features(spec, X_base.shape[1], names)
        bad = [c for c in cols if c not in {int(s) for s in strategic}]
        if bad:
            raise InputError(
                f"{spec.field}.strategy.features", bad[0], f"a strategic feature {list(strategic)}"
            )
    if spec.utility.kind == "label-target" and not isinstance(learner, LeastSquares):
        raise InputError(f"{spec.field}.utility.kind", "label-target", "a least-squares learner")
    strategy = build_strategy(spec, X_base, y, names)
    utility = build_utility(spec, learner, X_base, y, members, strategy)
    problem = LeaderProblem(learner, strategy, utility, X_base, y, members)
    kind = spec.solver.kind
    if kind == "fixed":
        params = np.array(spec.strategy.eta, dtype=float)
    elif kind == "stackelberg":
        params = stackelberg(problem).params
    elif kind == "size-aware":
        alpha = spec.solver.alpha or len(members) / len(y)
        sized = LeaderProblem(learner, strategy, utility, X_base, y, members, alpha=alpha)
        params = stackelberg(sized).params
    else:
        params = _notebook_params(spec, strategy, utility, X_base, y, members)
    sharp = problem.result(params, rounds=0, converged=True)
    star = None
    if spec.solver.selfish != "none":
        star = selfish_equilibrium(problem, method=spec.solver.selfish)
    metrics = collective_metrics(learner, utility, strategy, sharp, star, X_base[members], len(y))
    Xr, yr = sharp.X[sharp.member_rows], sharp.y[sharp.member_rows]
    return CollectivePlan(
        name=spec.name,
        members=members,
        X_report=Xr,
        y_report=yr,
        utility=utility,
        strategy=strategy,
        params=params,
        theta=sharp.theta,
        metrics=metrics,
        selfish_params=None if star is None else star.params,
    )


def _notebook_params(
    spec: CollectiveSpec,
    strategy: Strategy,
    utility: Utility,
    X_base: Array,
    y: Array,
    members: Array,
) -> Array:
    """Solve with the notebooks' Adam through unrolled GD (one column)."""
    learner = UnrolledGD(steps=spec.solver.steps, step_rule=notebook_step)
    mask = np.zeros((1, len(y)), dtype=bool)
    mask[0, members] = True
    if isinstance(strategy, FreeEdit):
        res = solve_free_edit_notebook(
            X_base,
            y,
            mask,
            strategy.column,
            utility,
            learner,
            spec.solver.iterations,
            spec.solver.lr,
        )
        return X_base[members, strategy.column] + res.delta[0, members]
    assert isinstance(strategy, FeatureShift)
    res = solve_shift_notebook(
        X_base,
        y,
        mask,
        strategy.features[0],
        utility,
        learner,
        spec.solver.iterations,
        spec.solver.lr,
        direction=float(strategy.direction[0]),
    )
    return np.array([res.eta[0]])


def collective_metrics(
    learner: Learner,
    utility: Utility,
    strategy: Strategy,
    sharp: StrategyResult,
    star: StrategyResult | None,
    X_base_members: Array,
    n: int,
) -> dict[str, float]:
    """B, Φ, Theorem-5' norms, Ψ and ∂U/∂α of a solved plan (NaN where undefined).

    Args:
        learner: The platform's learner.
        utility: The members' utility.
        strategy: The strategy family.
        sharp: The collective's strategy and the platform's response.
        star: The selfish equilibrium (or None).
        X_base_members: The members' base features.
        n: Population size.

    Returns:
        The metrics dictionary of :class:`CollectivePlan`.
    """
    nan = float("nan")
    rows = sharp.member_rows
    m = len(rows)
    alpha = m / n
    out = {
        "U": sharp.value,
        "U_selfish": nan,
        "B": nan,
        "phi": nan,
        "t5_norm": nan,
        "t5_norm_notebook": nan,
        "psi": nan,
        "dU_dalpha": nan,
        "alpha": alpha,
    }
    Xb = X_base_members
    if alpha < 1:
        out["psi"] = M.mixture_psi(
            learner, sharp.theta, sharp.X, sharp.y, sharp.weights, rows, utility, Xb
        )
        out["dU_dalpha"] = M.du_dalpha(out["psi"], alpha)
    if star is None:
        return out
    out["U_selfish"] = star.value
    out["B"] = M.benefit(sharp.value, star.value)
    theta_s = star.theta
    srows = star.member_rows
    w_s = star.weights
    H = learner.hessian(theta_s, star.X, star.y, w_s)
    grad_u = np.mean(utility.grad_theta(theta_s, star.X[srows], star.y[srows], Xb), axis=0)
    # ∇θ of the learner's objective on D♯ at θ* (same weights, so the same λ).
    grad_l = learner.gradient(theta_s, sharp.X, sharp.y, sharp.weights)
    out["phi"] = M.alignment_phi(H, grad_u, grad_l)
    if strategy.edited_features():
        for key, contraction in (("t5_norm", "paper"), ("t5_norm_notebook", "notebook")):
            rows = M.implicit_gradient_rows(
                learner, theta_s, star.X, star.y, w_s, srows, grad_u, contraction
            )
            grad = strategy.vjp(star.params, Xb, star.y[srows], rows, np.zeros(len(srows)))
            out[key] = float(np.sum(grad**2))
    return out
