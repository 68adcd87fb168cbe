"""Solvers for a collective's strategy: Stackelberg h♯, size-aware h♯_α, selfish h*.

A :class:`LeaderProblem` holds everything that defines the collective's
objective: the platform's learner, the strategy family, the members' utility,
the base population and the members' rows. Two population models are
supported:

* ``alpha=None``: a finite population in which the members report
  ``strategy(params)`` and everybody else reports the base point (uniform or
  given weights): the collective's share is its share of rows;
* ``alpha=a``: the mixture D_α = α·D_h + (1−α)·D0 of docs/model.md §4 (model 3),
  realised with weights α·n/m on the members' reports and (1−α) on all n
  base points (sample-count units: the learner's default penalty stays
  1/n). This is the size-aware problem of h♯_α and of Proposition 6.

The Stackelberg optimum maximises U(p) = mean_{members} u(x'(p); θ(p)) with
L-BFGS-B and implicit-function-theorem gradients (see :mod:`.implicit`). The
selfish equilibrium h* is computed by alternating best responses (users best
respond to the deployed model, the platform retrains, repeat) or, for utilities
whose best response is unbounded in a direction the platform neutralises (the
zero-sum game), as a root of the members' first-order conditions at the
platform's response. Inner-solve failures raise :class:`SimulationError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from platform_abm.common.errors import InputError, SimulationError
from platform_abm.common.learners import Learner
from platform_abm.platform.collective.implicit import leader_gradient, utility_grad_y
from platform_abm.platform.collective.strategies import Strategy
from platform_abm.platform.user_utility import Utility

Array = np.ndarray
#: Strategies with at most this many parameters and finite bounds get multi-start solves.
MULTISTART_DIM = 3


@dataclass
class StrategyResult:
    """A solved strategy and the platform's response to it.

    Attributes:
        params: Strategy parameters.
        theta: The platform's model on the resulting data.
        value: Members' mean utility U.
        X: Training features (all rows of the population model).
        y: Training labels.
        weights: Training weights.
        member_rows: Rows of X holding the members' reports.
        evaluations: Number of learner fits used.
        rounds: Outer rounds (selfish solver) or optimiser iterations.
        converged: Whether the solver met its tolerance.
    """

    params: Array
    theta: Array
    value: float
    X: Array
    y: Array
    weights: Array
    member_rows: Array
    evaluations: int = 0
    rounds: int = 0
    converged: bool = True


@dataclass
class LeaderProblem:
    """The collective's optimisation problem.

    Args:
        learner: The platform's learner (an exact argmin for implicit gradients).
        strategy: The strategy family.
        utility: The members' utility.
        X_base: Base features of the population, shape (n, d).
        y_base: Base labels, shape (n,).
        members: Row indices of the members.
        weights: Training weights of the finite population in sample-count units
            (ignored with alpha).
        alpha: If given, train on the mixture α·D_h + (1−α)·D0 instead.
    """

    learner: Learner
    strategy: Strategy
    utility: Utility
    X_base: Array
    y_base: Array
    members: Array
    weights: Array | None = None
    alpha: float | None = None
    evaluations: int = field(default=0, init=False)
    _warm: Array | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.members = np.asarray(self.members, dtype=int)
        if self.members.size == 0:
            raise InputError("collective.members", "no member", "at least one member")
        if self.alpha is not None and not 0 < self.alpha <= 1:
            raise InputError("collective.alpha", self.alpha, "a number in (0, 1]")
        self.Xm = self.X_base[self.members]
        self.ym = self.y_base[self.members]

    def initial(self) -> Array:
        """Parameters of no manipulation."""
        return self.strategy.initial(self.Xm, self.ym)

    def bounds(self) -> list[tuple[float | None, float | None]] | None:
        """Box bounds of the strategy parameters."""
        return self.strategy.bounds(self.Xm, self.ym)

    def population(self, params: Array) -> tuple[Array, Array, Array, Array]:
        """Training data produced by the strategy.

        Returns:
            Features, labels, weights (sample-count units) and the rows holding
            the members' reports.
        """
        Xr, yr = self.strategy.apply(params, self.Xm, self.ym)
        n = len(self.y_base)
        if self.alpha is None:
            X = self.X_base.copy()
            y = np.asarray(self.y_base, dtype=float).copy()
            X[self.members] = Xr
            y[self.members] = yr
            w = np.ones(n) if self.weights is None else np.asarray(self.weights, float)
            return X, y, w, self.members
        m = len(self.members)
        X = np.vstack([Xr, self.X_base])
        y = np.concatenate([yr, np.asarray(self.y_base, dtype=float)])
        # Weights in sample-count units summing to n, so the learner's default
        # penalty stays 1/n whatever α.
        w = np.concatenate([np.full(m, self.alpha * n / m), np.full(n, 1.0 - self.alpha)])
        return X, y, w, np.arange(m)

    def fit(self, X: Array, y: Array, w: Array) -> Array:
        """The platform's response (warm-started from the previous fit)."""
        self.evaluations += 1
        theta = self.learner.fit(X, y, w, warm_start=self._warm).coef_
        if not np.all(np.isfinite(theta)):
            raise SimulationError("the learner returned non-finite parameters")
        self._warm = np.array(theta, dtype=float)
        return np.array(theta, dtype=float)

    def value_and_grad(self, params: Array) -> tuple[float, Array, Array]:
        """U(params), its implicit gradient in the parameters, and θ."""
        X, y, w, rows = self.population(params)
        theta = self.fit(X, y, w)
        lg = leader_gradient(
            self.learner,
            theta,
            X,
            y,
            w,
            rows,
            self.utility,
            self.Xm,
            labels=self.strategy.edits_labels,
        )
        grad = self.strategy.vjp(params, self.Xm, self.ym, lg.grad_x, lg.grad_y)
        return lg.value, grad, theta

    def value_at(self, params: Array) -> tuple[float, Array]:
        """U(params) and θ, without gradients."""
        X, y, w, rows = self.population(params)
        theta = self.fit(X, y, w)
        Xr, yr = X[rows], y[rows]
        return float(np.mean(self.utility.value(theta, Xr, yr, self.Xm))), theta

    def direct_value_and_grad(self, params: Array, theta: Array) -> tuple[float, Array]:
        """U at a *fixed* θ and its direct gradient (what a price-taking user sees)."""
        Xr, yr = self.strategy.apply(params, self.Xm, self.ym)
        m = len(self.members)
        value = float(np.mean(self.utility.value(theta, Xr, yr, self.Xm)))
        gx = self.utility.grad_x(theta, Xr, yr, self.Xm) / m
        if self.strategy.edits_labels:
            gy = utility_grad_y(self.utility, theta, Xr, yr, self.Xm) / m
        else:
            gy = np.zeros(m)
        return value, self.strategy.vjp(params, self.Xm, self.ym, gx, gy)

    def result(self, params: Array, rounds: int, converged: bool) -> StrategyResult:
        """Package the platform's response to ``params``."""
        X, y, w, rows = self.population(params)
        theta = self.fit(X, y, w)
        value = float(np.mean(self.utility.value(theta, X[rows], y[rows], self.Xm)))
        return StrategyResult(
            params=np.array(params, dtype=float),
            theta=theta,
            value=value,
            X=X,
            y=y,
            weights=w,
            member_rows=rows,
            evaluations=self.evaluations,
            rounds=rounds,
            converged=converged,
        )


def stackelberg(
    problem: LeaderProblem,
    params0: Array | None = None,
    gtol: float = 1e-10,
    max_iter: int = 500,
) -> StrategyResult:
    """Stackelberg optimum h♯ (or h♯_α when ``problem.alpha`` is set).

    Maximises U with L-BFGS-B, each gradient an implicit-function-theorem
    gradient through the learner's argmin. For low-dimensional bounded
    strategies the corners of the box are also evaluated, and polished when
    they beat the local optimum found from the start.

    Args:
        problem: The collective's problem.
        params0: Starting parameters (default: no manipulation).
        gtol: Projected-gradient tolerance of L-BFGS-B.
        max_iter: Iteration cap.

    Returns:
        The solved strategy.

    Raises:
        SimulationError: If U or its gradient become non-finite.
    """
    x0 = problem.initial() if params0 is None else np.asarray(params0, dtype=float)

    def negative(p: Array) -> tuple[float, Array]:
        value, grad, _ = problem.value_and_grad(p)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            raise SimulationError(
                "the collective's objective became non-finite (unbounded strategy? "
                "set strategy.budget or strategy.bound)"
            )
        return -value, -grad

    bounds = problem.bounds()
    options = {"maxiter": max_iter, "gtol": gtol, "ftol": 1e-15, "maxcor": 20}
    best = optimize.minimize(
        negative, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=options
    )
    if bounds is not None and len(x0) <= MULTISTART_DIM:
        # U need not be concave in a low-dimensional strategy (a zero-sum shift has a
        # local maximum at each end of its range): a corner of the box that beats the
        # local optimum found from x0 is polished and kept if better.
        lows = np.array([b[0] for b in bounds], dtype=float)
        highs = np.array([b[1] for b in bounds], dtype=float)
        if np.all(np.isfinite(lows)) and np.all(np.isfinite(highs)):
            for corner in (lows, highs):
                if -problem.value_at(corner)[0] < best.fun:
                    res = optimize.minimize(
                        negative,
                        corner,
                        jac=True,
                        method="L-BFGS-B",
                        bounds=bounds,
                        options=options,
                    )
                    if res.fun < best.fun:
                        best = res
    return problem.result(best.x, rounds=int(best.nit), converged=bool(best.success))


def _best_response(problem: LeaderProblem, theta: Array, params0: Array) -> Array:
    """Members' best response to a fixed model (maximise U at fixed θ)."""

    def negative(p: Array) -> tuple[float, Array]:
        value, grad = problem.direct_value_and_grad(p, theta)
        return -value, -grad

    res = optimize.minimize(
        negative,
        params0,
        jac=True,
        method="L-BFGS-B",
        bounds=problem.bounds(),
        options={"maxiter": 1000, "gtol": 1e-12, "ftol": 1e-15},
    )
    if not np.all(np.isfinite(res.x)) or np.max(np.abs(res.x), initial=0.0) > 1e8:
        raise SimulationError(
            "the users' best response is unbounded for this utility and strategy; bound the "
            "strategy (strategy.budget / strategy.bound) or use method='stationary'"
        )
    return np.asarray(res.x, dtype=float)


def _starts(p: Array) -> list[Array]:
    """Starting points of the root search: p, then p shifted by ±1 and ±3."""
    return [p] + [p + s for s in (1.0, -1.0, 3.0, -3.0)]


def _is_best_response(problem: LeaderProblem, params: Array, step: float = 1e-4) -> bool:
    """Second-order check: at fixed θ the members' utility is not strictly convex at params.

    A root of the first-order conditions at which the members' own utility (θ
    held fixed) curves upwards is a minimum of it, not a best response.
    """
    X, y, w, _ = problem.population(params)
    theta = problem.fit(X, y, w)
    coords = range(len(params)) if len(params) <= 50 else range(0, len(params), len(params) // 50)
    for k in coords:
        e = np.zeros_like(params)
        e[k] = step
        up = problem.direct_value_and_grad(params + e, theta)[1][k]
        down = problem.direct_value_and_grad(params - e, theta)[1][k]
        if (up - down) / (2 * step) > 1e-8:
            return False
    return True


def selfish_equilibrium(
    problem: LeaderProblem,
    method: str = "best-response",
    tol: float = 1e-10,
    max_rounds: int = 200,
    params0: Array | None = None,
) -> StrategyResult:
    """Selfish equilibrium h*: every member best-responds to the stable model.

    ``best-response``: alternate the members' best response to the deployed
    model and the platform's refit (repeated retraining) until the model moves
    less than ``tol``. A utility that does not depend on the report (target
    model, label target) makes every report a best response; the members then
    report truthfully.

    ``stationary``: solve ∂U/∂p (direct part, θ held at the platform's
    response) = 0 for p, for interior equilibria such as the zero-sum game in
    which the best response to any fixed model is unbounded.

    Args:
        problem: The collective's problem (its utility defines the users').
        method: ``"best-response"`` or ``"stationary"``.
        tol: Tolerance on the model change (best response) or the residual.
        max_rounds: Round cap.
        params0: Starting parameters (default: no manipulation).

    Returns:
        The equilibrium strategy and stable model.

    Raises:
        SimulationError: If the dynamics do not converge within ``max_rounds``.
        InputError: For an unknown method.
    """
    p = problem.initial() if params0 is None else np.asarray(params0, dtype=float)
    if method == "best-response":
        X, y, w, _ = problem.population(p)
        theta = problem.fit(X, y, w)
        _, grad = problem.direct_value_and_grad(p, theta)
        if not np.any(grad):
            return problem.result(p, rounds=0, converged=True)
        for rounds in range(1, max_rounds + 1):
            p = _best_response(problem, theta, p)
            X, y, w, _ = problem.population(p)
            new_theta = problem.fit(X, y, w)
            gap = float(np.linalg.norm(new_theta - theta))
            theta = new_theta
            if gap <= tol:
                return problem.result(p, rounds=rounds, converged=True)
        raise SimulationError(
            f"the selfish best-response dynamics did not converge in {max_rounds} rounds "
            f"(last model change {gap:.3g}); the game may cycle (try method='stationary')"
        )
    if method == "stationary":

        def residual(q: Array) -> Array:
            X, y, w, _ = problem.population(q)
            theta = problem.fit(X, y, w)
            return problem.direct_value_and_grad(q, theta)[1]

        worst = np.inf
        for start in _starts(p):
            sol = optimize.root(residual, start, method="hybr", tol=tol)
            final = float(np.max(np.abs(residual(sol.x))))
            worst = min(worst, final)
            if sol.success and final <= max(tol, 1e-9) * 10 and _is_best_response(problem, sol.x):
                return problem.result(sol.x, rounds=int(sol.nfev), converged=True)
        raise SimulationError(
            f"no interior selfish equilibrium found (smallest first-order residual {worst:.3g}); "
            "the game may have no pure equilibrium"
        )
    raise InputError("solver.selfish", method, "'best-response' or 'stationary'")
