"""Theory checks of the collective module (README, "Collectives"): closed forms and identities."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from platform_abm.common.learners import ExactLogistic, Learner, LeastSquares
from platform_abm.platform.collective.implicit import (
    counts,
    leader_gradient,
    normalised,
    solve_hessian,
)
from platform_abm.platform.collective.metrics import (
    alignment_phi,
    benefit,
    du_dalpha,
    mixture_psi,
)
from platform_abm.platform.collective.solvers import (
    LeaderProblem,
    selfish_equilibrium,
    stackelberg,
)
from platform_abm.platform.collective.strategies import FeatureShift, FreeEdit, LabelEdit
from platform_abm.platform.user_utility import LabelTarget, LossAlignment, TargetModel

Array = np.ndarray

# --- Test-only helpers: the theorems' bounds, a central difference, model 4 and dθ/dη ---------


def theorem5_bound(phi: float, gamma: float) -> float:
    """Upper bound Φ²/(2γ) of Theorem 5 (γ > 0: U is γ-strongly concave on the segment)."""
    assert gamma > 0
    return float(phi**2 / (2.0 * gamma))


def segment_gamma(u_start: float, u_mid: float, u_end: float) -> float:
    """Concavity γ = −U''(t) of U along the segment from h* (t = 0) to h♯ (t = 1).

    Exact when U is quadratic along the segment (as in the Appendix-B triangle).
    """
    return float(-4.0 * (u_start - 2.0 * u_mid + u_end))


def finite_difference(func: Callable[[float], float], x: float, step: float = 1e-4) -> float:
    """Central difference (f(x+h) − f(x−h))/(2h), to check analytic slopes."""
    return float((func(x + step) - func(x - step)) / (2.0 * step))


def collective_rrm(
    learner: Learner,
    X_collective: Array,
    y_collective: Array,
    X_others: Array,
    y_others: Array,
    respond: Callable[[Array, Array, Array], tuple[Array, Array]],
    alpha: float,
    theta0: Array,
    rounds: int,
) -> Array:
    """Repeated retraining with a committed collective beside responsive users (model 4).

    Each round the other users respond to the deployed θ_t from their *base*
    points, and the platform retrains on D_α(θ_t) = α·D_h + (1−α)·D(θ_t), with
    weights α·n/m on the collective's committed reports and (1−α) on each of
    the n others' responses (sample-count units). Proposition 8: the
    iteration contracts at (1−α) times the rate without the collective.

    Args:
        learner: The platform's learner.
        X_collective: The collective's reported features (fixed).
        y_collective: The collective's reported labels.
        X_others: The other users' base features.
        y_others: The other users' base labels.
        respond: ``respond(theta, X_base, y_base) -> (X', y')`` of the other users.
        alpha: Collective share α ∈ [0, 1).
        theta0: Initial model.
        rounds: Number of retraining rounds.

    Returns:
        The models θ_0..θ_rounds, shape (rounds+1, d).
    """
    assert 0 <= alpha < 1
    m, n = len(y_collective), len(y_others)
    weights = np.concatenate([np.full(m, alpha * n / m), np.full(n, 1.0 - alpha)])
    thetas = [np.asarray(theta0, dtype=float)]
    for _ in range(rounds):
        Xo, yo = respond(thetas[-1], X_others, y_others)
        X = np.vstack([X_collective, Xo])
        y = np.concatenate([y_collective, yo])
        thetas.append(np.array(learner.fit(X, y, weights, warm_start=thetas[-1]).coef_, float))
    return np.array(thetas)


def theta_jacobian_data(
    learner: Learner,
    theta: Array,
    X: Array,
    y: Array,
    weights: Array | None,
    rows: Array,
    column_weights: Array,
) -> Array:
    """dθ/dη for a shift of ``rows`` along a feature direction: −H⁻¹ ∂η ∇θL.

    The data move as x'_i = x_i + η·c for i in ``rows`` (c = ``column_weights``,
    shape (d,)), so ∂η ∇θL = Σ_{i∈rows} w_i J_i c with J_i the per-sample mixed
    derivative; it is contracted row by row through ``mixed_vjp``.

    Args:
        learner: The learner (θ its minimiser on X, y, w).
        theta: The deployed parameters.
        X: Training features.
        y: Training labels.
        weights: Training weights.
        rows: Rows that shift.
        column_weights: Direction c of the shift in feature space.

    Returns:
        dθ/dη, shape (d,).
    """
    w = normalised(weights, len(y))
    rows = np.asarray(rows)
    d = X.shape[1]
    Xr, yr = X[rows], y[rows]
    rhs = np.empty(d)
    for k, e in enumerate(np.eye(d)):
        rhs[k] = float(w[rows] @ (learner.mixed_vjp(theta, Xr, yr, e) @ column_weights))
    return -solve_hessian(learner.hessian(theta, X, y, counts(weights, len(y))), rhs)


def logistic_data(n: int, seed: int, intercept: float = 0.0, bias_column: bool = False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) + np.array([0.3, -0.2, 0.1])
    logits = X @ np.array([1.0, -0.7, 0.4]) + intercept
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logits))).astype(float)
    if bias_column:
        X = np.hstack([X, np.ones((n, 1))])
    return X, y


# --- Proposition 4: u = c·ℓ gives B = 0 -------------------------------------------------


def test_proposition4_shared_goal_benefit_is_zero():
    X, y = logistic_data(400, seed=1)
    learner = ExactLogistic()
    lam = 1.0 / len(y)
    # u = −(ℓ + (λ/2)||θ||²): minus the learner's own objective per user.
    utility = LossAlignment(learner, lam=lam / 2, sign=-1.0)
    problem = LeaderProblem(learner, FeatureShift([0]), utility, X, y, np.arange(len(y)))
    sharp = stackelberg(problem)
    star = selfish_equilibrium(problem, method="best-response", tol=1e-12)
    assert sharp.converged and star.converged
    # An interior optimum (the shift re-centres feature 0), not a corner or a trivial η = 0.
    assert abs(sharp.params[0]) > 0.05
    assert abs(benefit(sharp.value, star.value)) < 1e-8
    np.testing.assert_allclose(sharp.params, star.params, atol=1e-4)


def test_proposition4_zero_sum_benefit_is_zero():
    X, y = logistic_data(400, seed=2, intercept=0.8)
    learner = ExactLogistic()
    lam = 1.0 / len(y)
    utility = LossAlignment(learner, lam=-lam / 2, sign=1.0)  # u = ℓ + (λ/2)||θ||²
    problem = LeaderProblem(learner, FeatureShift([0]), utility, X, y, np.arange(len(y)))
    sharp = stackelberg(problem)
    star = selfish_equilibrium(problem, method="stationary", tol=1e-12)
    assert abs(benefit(sharp.value, star.value)) < 1e-8
    # At the saddle the platform ignores the manipulated feature.
    assert abs(star.theta[0]) < 1e-8


def test_selfish_best_response_reports_an_unbounded_game():
    X, y = logistic_data(200, seed=3, intercept=0.8)
    learner = ExactLogistic()
    utility = LossAlignment(learner, lam=0.0, sign=1.0)
    problem = LeaderProblem(learner, FeatureShift([0]), utility, X, y, np.arange(len(y)))
    from platform_abm.common.errors import SimulationError

    with pytest.raises(SimulationError, match="unbounded"):
        selfish_equilibrium(problem, method="best-response")


# --- Appendix B triangle ----------------------------------------------------------------


@pytest.mark.parametrize("r", [0.5, 1.0, 2.0, 3.7])
def test_appendix_b_triangle(r):
    angles = np.pi / 2 + 2 * np.pi * np.arange(3) / 3
    P = r * np.column_stack([np.cos(angles), np.sin(angles)])  # anchors, centroid 0
    m = (P[0] + P[1]) / 2

    def theta_of(w):  # the squared-loss learner estimates the centroid of D_w
        return w @ P

    def U(w):  # u(z, θ) = −4||θ − m||² + ½||z − m||²
        theta = theta_of(w)
        return float(-4 * np.sum((theta - m) ** 2) + 0.5 * w @ np.sum((P - m) ** 2, axis=1))

    w_star = np.full(3, 1 / 3)
    w_sharp = np.array([0.5, 0.5, 0.0])
    theta_star = theta_of(w_star)
    H = np.eye(2)  # Hessian of ½||z − θ||²
    grad_u_star = -8 * (theta_star - m)  # E_{D*}∇θu
    grad_loss_sharp = theta_star - w_sharp @ P  # E_{D♯}∇θℓ at θ*
    phi = alignment_phi(H, grad_u_star, grad_loss_sharp)
    gamma = segment_gamma(U(w_star), U((w_star + w_sharp) / 2), U(w_sharp))
    b = benefit(U(w_sharp), U(w_star))
    assert b == pytest.approx(3 * r**2 / 4, abs=1e-9)
    assert phi == pytest.approx(-2 * r**2, abs=1e-9)
    assert gamma == pytest.approx(2 * r**2, abs=1e-9)
    assert theorem5_bound(phi, gamma) == pytest.approx(r**2, abs=1e-9)
    assert b <= theorem5_bound(phi, gamma)


# --- Example 1: label edits with a squared-loss learner ---------------------------------


def test_example1_label_target_benefit():
    rng = np.random.default_rng(4)
    n = 20_000
    x = rng.normal(size=n)
    X = np.column_stack([x, np.ones(n)])
    y = 1.5 * x + 0.5 + rng.normal(scale=1.0, size=n)  # E[y|x] = 1.5x + 0.5

    def g(Xb):
        return 0.5 * Xb[:, 0] - 0.25

    learner = LeastSquares()
    utility = LabelTarget(g)
    problem = LeaderProblem(learner, LabelEdit(), utility, X, y, np.arange(n))
    sharp = stackelberg(problem)
    star = selfish_equilibrium(problem)  # u ignores the report: truthful
    np.testing.assert_array_equal(star.params, y)
    assert sharp.value == pytest.approx(0.0, abs=1e-10)  # h♯ makes the platform fit g
    b = benefit(sharp.value, star.value)
    gap = 1.0 * x + 0.75  # E[y|x] − g(x)
    expected = 1.0**2 + 0.75**2  # E(E[y|x] − g(x))² with x ~ N(0, 1)
    # Monte-Carlo tolerance. B = mean((x·θ̂ − g)²) differs from its population value by
    # (i) the sampling error of mean(gap²), sd = sd(gap²)/√n ≈ 0.017, and (ii) the OLS
    # error of θ̂, whose first-order effect 2·mean(gap·x)·(θ̂ − θ) has sd ≈
    # 2||E[gap·x]||·σ/√n = 2·1.25·1/√n ≈ 0.018. Five combined standard deviations.
    sd = np.hypot(np.std(gap**2), 2 * 1.25 * 1.0) / np.sqrt(n)
    assert b == pytest.approx(expected, abs=5 * sd)
    # On the sample itself the identity is exact: h* is the OLS fit on the true labels.
    theta_ols = np.linalg.lstsq(X, y, rcond=None)[0]
    assert b == pytest.approx(np.mean((X @ theta_ols - g(X)) ** 2), abs=1e-9)


# --- Proposition 6: ∂U_α/∂α = −Ψ/(1−α) --------------------------------------------------


@pytest.mark.parametrize(("sign", "direction"), [(1.0, "decreasing"), (-1.0, "increasing")])
@pytest.mark.parametrize("alpha", [0.2, 0.6])
def test_proposition6_slope(sign, direction, alpha):
    X, y = logistic_data(300, seed=5, bias_column=True)
    learner = ExactLogistic()
    members = np.arange(0, 300, 2)
    strategy = FeatureShift([0, 1])
    params = np.array([0.8, -0.5])
    utility = LossAlignment(learner, lam=0.0, sign=sign)  # zero-sum (ℓ) / shared goal (−ℓ)

    def U(a):
        problem = LeaderProblem(learner, strategy, utility, X, y, members, alpha=a)
        return problem.value_at(params)[0]

    problem = LeaderProblem(learner, strategy, utility, X, y, members, alpha=alpha)
    Xt, yt, wt, rows = problem.population(params)
    theta = learner.fit(Xt, yt, wt).coef_
    psi = mixture_psi(learner, theta, Xt, yt, wt, rows, utility, X[members])
    analytic = du_dalpha(psi, alpha)
    numeric = finite_difference(U, alpha, step=1e-4)
    assert abs(numeric - analytic) < 1e-3 * abs(analytic)
    assert (analytic < 0) == (direction == "decreasing")
    assert (psi > 0) == (sign > 0)


# --- Proposition 7: envelope theorem for the size-aware optimum -------------------------


@pytest.mark.parametrize("alpha", [0.2, 0.3])
@pytest.mark.parametrize("sign", [1.0, -1.0])  # zero-sum u = ℓ / shared goal u = −ℓ
def test_proposition7_envelope(sign, alpha):
    # Members: every label-1 user and the first quarter of the label-0 users; one shared
    # shift of features 0 and 2. On this instance U_α(η) has an interior, strongly concave
    # maximum in both cases (zero-sum: η♯ ≈ −1.15, U'' ≈ −0.16; shared goal: η♯ ≈ 1.05,
    # U'' ≈ −0.07 at α = 0.2), and η♯ moves with α (dη♯/dα ≈ 2.7 and 0.5), so the
    # identity below is not the trivial one of an optimum that does not move.
    X, y = logistic_data(400, seed=11, bias_column=True)
    learner = ExactLogistic()
    zeros = np.flatnonzero(y == 0)
    members = np.sort(np.concatenate([np.flatnonzero(y == 1), zeros[: len(zeros) // 4]]))
    strategy = FeatureShift([0, 2], shared=True)
    utility = LossAlignment(learner, lam=0.0, sign=sign)

    def problem(a):
        return LeaderProblem(learner, strategy, utility, X, y, members, alpha=a)

    def optimum(a, start):
        return stackelberg(problem(a), params0=start, gtol=1e-12)

    sharp = optimum(alpha, np.array([-1.0 * sign]))
    eta = sharp.params
    _, grad, _ = problem(alpha).value_and_grad(eta)
    assert sharp.converged and abs(grad[0]) < 1e-9
    e = 1e-3
    curvature = (
        problem(alpha).value_at(eta + e)[0] - 2 * sharp.value + problem(alpha).value_at(eta - e)[0]
    ) / e**2
    assert curvature < -0.01  # a strict, well-conditioned maximum
    for far in (-3.0, 3.0):  # and the best one, not a local maximum beside a larger tail
        assert problem(alpha).value_at(eta + far)[0] < sharp.value

    # Central differences with δ = 1e-4. Truncation error ∝ δ²: measured relative errors
    # 1e-3 / 1e-5 / 1e-7 at δ = 1e-2 / 1e-3 / 1e-4. Rounding: U is exact to ~1e-15 (Newton
    # to machine precision), ~5e-12 after dividing by 2δ, against slopes ≥ 3e-3. The
    # re-optimised η♯(α ± δ) is accurate to |g|/|U''| ≲ 1e-10, which moves U* by
    # ~|U''|·1e-20 (U is stationary there): negligible.
    delta = 1e-4
    up, down = optimum(alpha + delta, eta), optimum(alpha - delta, eta)
    total = (up.value - down.value) / (2 * delta)  # dU*_α/dα, h re-optimised at each size
    partial = finite_difference(lambda a: problem(a).value_at(eta)[0], alpha, step=delta)
    psi = mixture_psi(
        learner,
        sharp.theta,
        sharp.X,
        sharp.y,
        sharp.weights,
        sharp.member_rows,
        utility,
        X[members],
    )
    analytic = du_dalpha(psi, alpha)  # ∂U_α/∂α at h = h♯_α (Proposition 6)
    assert abs(total - analytic) <= 1e-4 * abs(analytic)
    assert abs(total - partial) <= 1e-4 * abs(partial)
    assert abs((up.params[0] - down.params[0]) / (2 * delta)) > 0.2  # h♯_α does move
    # Proposition 7: re-optimising for the size keeps the sign of the benefit of growing
    # (zero-sum: growing hurts; shared goal: it helps).
    assert (total < 0) == (sign > 0)


# --- Proposition 8: a collective slows nothing, it damps the level-1 dynamics ------------


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.7])
def test_proposition8_contraction(alpha):
    # 1-D toy: the platform estimates a mean θ = E z (squared loss on a constant feature);
    # level-1 users report z − εθ, the collective reports fixed points.
    rng = np.random.default_rng(6)
    z = rng.normal(loc=2.0, size=500)
    X = np.ones((500, 1))
    eps = 0.6

    def respond(theta, Xb, yb):
        return Xb, yb - eps * theta[0]

    traj = collective_rrm(
        LeastSquares(),
        X_collective=X[:200],
        y_collective=z[:200] + 1.0,
        X_others=X,
        y_others=z,
        respond=respond,
        alpha=alpha,
        theta0=np.array([5.0]),
        rounds=8,
    )
    gaps = np.abs(np.diff(traj[:, 0]))
    rates = gaps[1:] / gaps[:-1]
    np.testing.assert_allclose(rates, (1 - alpha) * eps, rtol=1e-9)


# --- implicit gradients against finite differences --------------------------------------


def _fd_check(problem, params, rel=1e-5, step=1e-6, coords=None):
    _, grad, _ = problem.value_and_grad(params)
    coords = range(len(params)) if coords is None else coords
    for k in coords:
        e = np.zeros_like(params)
        e[k] = step
        fd = (problem.value_at(params + e)[0] - problem.value_at(params - e)[0]) / (2 * step)
        scale = max(abs(fd), 1e-3 * np.max(np.abs(grad)))
        assert abs(fd - grad[k]) <= rel * scale, (k, fd, grad[k])


@pytest.mark.parametrize("alpha", [None, 0.4])
def test_implicit_gradient_free_edit(alpha):
    X, y = logistic_data(120, seed=7, bias_column=True)
    learner = ExactLogistic()
    members = np.arange(0, 120, 3)
    problem = LeaderProblem(
        learner, FreeEdit(1), LossAlignment(learner, lam=0.3), X, y, members, alpha=alpha
    )
    params = problem.initial() + np.random.default_rng(0).normal(scale=0.3, size=len(members))
    _fd_check(problem, params, coords=[0, 5, 17, 39])


def test_implicit_gradient_shift_target_model():
    X, y = logistic_data(150, seed=8, bias_column=True)
    learner = ExactLogistic()
    target = learner.fit(X, y).coef_ + np.array([0.3, -0.2, 0.1, 0.05])
    problem = LeaderProblem(
        learner,
        FeatureShift([0, 2], direction=[1.0, -0.5]),
        TargetModel(target),
        X,
        y,
        np.arange(60),
    )
    _fd_check(problem, np.array([0.4, -0.3]))
    # dθ/dη of a one-dimensional shift agrees with finite differences too.
    Xs, ys, w, rows = problem.population(np.array([0.4, -0.3]))
    theta = learner.fit(Xs, ys, w).coef_
    c = np.array([1.0, 0.0, -0.5, 0.0])
    jac = theta_jacobian_data(learner, theta, Xs, ys, w, rows, c)
    h = 1e-6
    Xp, Xm = Xs.copy(), Xs.copy()
    Xp[rows] += h * c
    Xm[rows] -= h * c
    fd = (learner.fit(Xp, ys, w).coef_ - learner.fit(Xm, ys, w).coef_) / (2 * h)
    np.testing.assert_allclose(jac, fd, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("learner", [ExactLogistic(), LeastSquares(reg=0.01)])
def test_implicit_gradient_label_edit(learner):
    X, y = logistic_data(100, seed=9, bias_column=True)
    members = np.arange(40)
    problem = LeaderProblem(
        learner, LabelEdit(), LossAlignment(learner, lam=0.2, sign=-1.0), X, y, members
    )
    params = y[members] * 0.8 + 0.1
    _fd_check(problem, params, coords=[0, 7, 33])


def test_leader_gradient_direct_part_matches_utility():
    X, y = logistic_data(50, seed=10, bias_column=True)
    learner = ExactLogistic()
    theta = learner.fit(X, y).coef_
    members = np.arange(10)
    utility = LossAlignment(learner)
    lg = leader_gradient(learner, theta, X, y, None, members, utility, X[members])
    np.testing.assert_allclose(
        lg.direct_x, utility.grad_x(theta, X[members], y[members], X[members]) / 10
    )
