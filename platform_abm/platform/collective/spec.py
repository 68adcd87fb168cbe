"""Scenario ``[[collectives]]`` tables: validated specs and planning (``docs/model.md`` §4).

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

Every key is declared in :mod:`platform_abm.platform.collective.schema`;
:meth:`CollectiveSpec.from_dict` validates a table through those declarations
into a frozen spec, or raises :class:`~platform_abm.common.errors.InputError` naming
the dotted field, the value received and what is allowed.
:func:`plan_collective` solves the collective's strategy on a population and
returns a :class:`CollectivePlan`: the members' committed reports plus the
metrics B, Φ, the Theorem-5' norm, Ψ and ∂U/∂α.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from platform_abm.common.errors import InputError, SimulationError
from platform_abm.common.learners import Learner, LeastSquares
from platform_abm.common.validation import validate
from platform_abm.platform.collective import metrics as M
from platform_abm.platform.collective.membership import Condition, resolve_feature, select_members
from platform_abm.platform.collective.schema import (
    DIRECTIONS,
    FAMILIES,
    SELFISH,
    SOLVERS,
    UTILITIES,
    CollectiveTable,
)
from platform_abm.platform.collective.solvers import (
    LeaderProblem,
    StrategyResult,
    selfish_equilibrium,
    stackelberg,
)
from platform_abm.platform.collective.strategies import FeatureShift, FreeEdit, LabelEdit, Strategy
from platform_abm.platform.collective.unrolled import (
    UnrolledGD,
    notebook_step,
    solve_free_edit_notebook,
    solve_shift_notebook,
)
from platform_abm.platform.user_utility import (
    LabelTarget,
    LinearQuadratic,
    LossAlignment,
    TargetModel,
    Utility,
)

Array = np.ndarray

__all__ = [
    "DIRECTIONS",
    "FAMILIES",
    "SELFISH",
    "SOLVERS",
    "UTILITIES",
    "CollectivePlan",
    "CollectiveSpec",
    "MembersSpec",
    "SolverSpec",
    "StrategySpec",
    "UtilitySpec",
    "build_strategy",
    "build_utility",
    "collective_metrics",
    "plan_collective",
]


def _tuple(values: Sequence[Any] | None) -> tuple[Any, ...] | None:
    return None if values is None else tuple(values)


@dataclass(frozen=True)
class MembersSpec:
    """Membership rule: random fraction, condition and/or explicit ids."""

    fraction: float | None = None
    condition: Condition | None = None
    ids: tuple[int, ...] | None = None

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


@dataclass(frozen=True)
class SolverSpec:
    """How the collective chooses its strategy, and whether h* is computed."""

    kind: str = "stackelberg"
    selfish: str = "best-response"
    alpha: float | None = None
    steps: int = 100
    iterations: int = 250
    lr: float = 0.01


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
        """Validate one ``[[collectives]]`` table (declared in ``collective.schema``).

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
        table = validate(CollectiveTable, data, where=field)
        spec = cls.from_table(table, field)
        if strategic is not None:
            spec.check_strategic(strategic, feature_names)
        return spec

    @classmethod
    def from_table(cls, table: CollectiveTable, field: str) -> CollectiveSpec:
        """The spec of a validated table.

        Args:
            table: The validated table.
            field: Its dotted name.

        Returns:
            The spec.
        """
        members, strategy, utility, solver = (
            table.members,
            table.strategy,
            table.utility,
            table.solver,
        )
        condition = members.condition
        direction = getattr(strategy, "direction", "ones")
        return cls(
            name=table.name if table.name is not None else field,
            members=MembersSpec(
                fraction=members.fraction,
                condition=None
                if condition is None
                else Condition(target=condition.target, op=condition.op, value=condition.value),
                ids=_tuple(members.ids),
            ),
            strategy=StrategySpec(
                family=strategy.family,
                features=tuple(getattr(strategy, "features", ())),
                direction=direction if isinstance(direction, str) else tuple(direction),
                shared=getattr(strategy, "shared", False),
                eta=_tuple(getattr(strategy, "eta", None)),
                budget=getattr(strategy, "budget", None),
                low=getattr(strategy, "low", None),
                high=getattr(strategy, "high", None),
            ),
            utility=UtilitySpec(
                kind=utility.kind,
                epsilon=getattr(utility, "epsilon", None),
                lam=getattr(utility, "lam", 0.0),
                sign=getattr(utility, "sign", 1.0),
                theta=_tuple(getattr(utility, "theta", None)),
                eta=_tuple(getattr(utility, "eta", None)),
                alpha=getattr(utility, "alpha", None),
                coefficients=_tuple(getattr(utility, "coefficients", None)),
                utility=getattr(utility, "utility", None),
            ),
            solver=SolverSpec(
                kind=solver.kind,
                selfish=solver.selfish,
                alpha=getattr(solver, "alpha", None),
                steps=getattr(solver, "steps", 100),
                iterations=getattr(solver, "iterations", 250),
                lr=getattr(solver, "lr", 0.01),
            ),
            field=field,
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
    if not np.all(np.isfinite(params)):
        raise SimulationError(
            f"{spec.field}: the solver's strategy is not finite (solver '{kind}' diverged)"
        )
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
