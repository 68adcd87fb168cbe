"""Planning a collective: from a validated spec and a population to its committed plan.

:func:`plan_collective` builds the strategy and the members' utility a
:class:`~platform_abm.platform.collective.spec.CollectiveSpec` describes,
solves the strategy with the spec's solver (Stackelberg, size-aware, fixed or
the notebooks' Adam through unrolled gradient descent), computes the selfish
equilibrium if asked and the metrics of
:func:`platform_abm.platform.collective.metrics.collective_metrics`, and returns
a :class:`~platform_abm.platform.collective.plan.CollectivePlan`
(``docs/model.md`` §4, ``docs/collectives.md``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from platform_abm.common.errors import InputError, SimulationError
from platform_abm.common.learners import Learner, LeastSquares
from platform_abm.platform.collective.membership import resolve_feature
from platform_abm.platform.collective.metrics import collective_metrics
from platform_abm.platform.collective.plan import CollectivePlan
from platform_abm.platform.collective.solvers import (
    LeaderProblem,
    selfish_equilibrium,
    stackelberg,
)
from platform_abm.platform.collective.spec import CollectiveSpec
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

__all__ = ["build_strategy", "build_utility", "plan_collective"]


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
