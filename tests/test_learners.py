import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from platform_abm.common.errors import InputError, SimulationError
from platform_abm.common.learners import (
    FULL_STEP_SCORE_MOVE,
    ExactLogistic,
    GradientDescent,
    LeastSquares,
    SklearnLearner,
    make_learner,
)


def _problem(n=3000, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = np.c_[rng.normal(size=(n, d - 1)) * rng.uniform(0.5, 3, d - 1), np.ones(n)]
    theta = rng.normal(size=d)
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ theta))).astype(float)
    return X, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_logistic_matches_sklearn_objective(seed):
    X, y = _problem(seed=seed)
    exact = ExactLogistic().fit(X, y).coef_
    reference = LogisticRegression(C=1.0, fit_intercept=False, tol=1e-12, max_iter=10_000)
    reference.fit(X, y)
    assert np.max(np.abs(exact - reference.coef_[0])) < 1e-6
    # the Newton solution is a stationary point to rounding level
    assert np.max(np.abs(ExactLogistic().gradient(exact, X, y))) < 1e-12


def test_warm_start_reaches_the_same_optimum_in_few_steps():
    X, y = _problem()
    cold = ExactLogistic().fit(X, y)
    warm = ExactLogistic().fit(X, y, warm_start=cold.coef_ + 1e-3)
    assert np.max(np.abs(warm.coef_ - cold.coef_)) < 1e-12
    assert warm.n_iter_ < cold.n_iter_


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_newton_steps_moving_scores_little_pass_the_armijo_test(seed):
    # The exact learner skips the line search on a step with a fresh Hessian
    # when no score moves by more than FULL_STEP_SCORE_MOVE: the bound
    # f(θ − s·step) ≤ f(θ) − s·g·step/4 it relies on must hold, including far
    # from the optimum, with an unpenalised bias and with sample weights.
    X, y = _problem(seed=seed)
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.2, 3.0, len(y))
    for learner, w in ((ExactLogistic(), None), (ExactLogistic(penalize_bias=False), weights)):
        for scale in (0.1, 1.0, 3.0):
            theta = rng.normal(size=X.shape[1]) * scale
            grad = learner.gradient(theta, X, y, w)
            step = np.linalg.solve(learner.hessian(theta, X, y, w), grad)
            s = min(1.0, FULL_STEP_SCORE_MOVE / np.max(np.abs(X @ step)))
            decrease = learner.objective(theta, X, y, w) - learner.objective(
                theta - s * step, X, y, w
            )
            assert decrease >= 0.25 * s * (grad @ step) > 0


@pytest.mark.parametrize("theta0", [1.0, 2.0, 4.0, 6.0])
def test_full_step_certificate_on_the_curvature_growing_case(theta0):
    # Scores moving from a saturated region towards 0 make the curvature grow
    # along the step, the case the certificate must cover (a bound of 4 fails
    # here at θ0 = 2).
    X, y = np.ones((1000, 1)), np.r_[np.ones(500), np.zeros(500)]
    learner, theta = ExactLogistic(penalize_bias=False), np.array([theta0])
    grad = learner.gradient(theta, X, y)
    step = np.linalg.solve(learner.hessian(theta, X, y), grad)
    s = min(1.0, FULL_STEP_SCORE_MOVE / np.max(np.abs(X @ step)))
    decrease = learner.objective(theta, X, y) - learner.objective(theta - s * step, X, y)
    assert decrease >= 0.25 * s * (grad @ step) > 0


def test_unpenalised_bias_and_weights():
    X, y = _problem()
    w = np.random.default_rng(3).uniform(0.1, 2.0, len(y))
    learner = ExactLogistic(penalize_bias=False)
    theta = learner.fit(X, y, sample_weight=w).coef_
    assert np.max(np.abs(learner.gradient(theta, X, y, w))) < 1e-12
    reference = LogisticRegression(C=1.0, fit_intercept=False, tol=1e-12, max_iter=10_000)
    reference.fit(X, y, sample_weight=w * len(y) / w.sum())
    # sklearn penalises the bias, this learner does not: the bias must differ
    assert np.abs(theta[-1] - reference.coef_[0][-1]) > 1e-8


def test_derivatives_agree_with_finite_differences():
    X, y = _problem(n=200)
    learner = ExactLogistic()
    theta = np.random.default_rng(1).normal(size=X.shape[1]) * 0.3
    h = 1e-6
    numeric = np.array(
        [
            (learner.objective(theta + h * e, X, y) - learner.objective(theta - h * e, X, y))
            / (2 * h)
            for e in np.eye(len(theta))
        ]
    )
    np.testing.assert_allclose(learner.gradient(theta, X, y), numeric, rtol=1e-6, atol=1e-9)
    numeric_h = np.array(
        [
            (learner.gradient(theta + h * e, X, y) - learner.gradient(theta - h * e, X, y))
            / (2 * h)
            for e in np.eye(len(theta))
        ]
    )
    np.testing.assert_allclose(learner.hessian(theta, X, y), numeric_h, rtol=1e-5, atol=1e-9)
    # mixed derivative ∂(∇θℓ_i)/∂x_i for one sample
    i = 7
    J = learner.mixed_derivative(theta, X[i : i + 1], y[i : i + 1])[0]
    for f in range(X.shape[1]):
        Xp, Xm = X[i : i + 1].copy(), X[i : i + 1].copy()
        Xp[0, f] += h
        Xm[0, f] -= h
        column = (
            learner.sample_gradient(theta, Xp, y[i : i + 1])
            - learner.sample_gradient(theta, Xm, y[i : i + 1])
        )[0] / (2 * h)
        np.testing.assert_allclose(J[:, f], column, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("learner", [ExactLogistic(), LeastSquares(reg=0.1)])
def test_sample_grad_x_matches_finite_differences(learner):
    X, y = _problem(n=50)
    theta = np.linspace(-1, 1, X.shape[1])
    h = 1e-6
    grad = learner.sample_grad_x(theta, X, y)
    for f in range(X.shape[1]):
        Xp, Xm = X.copy(), X.copy()
        Xp[:, f] += h
        Xm[:, f] -= h
        numeric = (learner.sample_loss(theta, Xp, y) - learner.sample_loss(theta, Xm, y)) / (2 * h)
        np.testing.assert_allclose(grad[:, f], numeric, rtol=1e-6, atol=1e-8)


def test_sklearn_learner_is_close_but_inexact():
    X, y = _problem()
    exact = ExactLogistic().fit(X, y).coef_
    notebook = SklearnLearner().fit(X, y).coef_
    gap = np.max(np.abs(notebook - exact))
    assert 0 < gap < 1e-2


def test_gradient_descent_decreases_the_objective():
    X, y = _problem()
    learner = GradientDescent(steps=200, lr=0.1)
    theta = learner.fit(X, y).coef_
    assert learner.objective(theta, X, y) < learner.objective(np.zeros(X.shape[1]), X, y) - 0.05


def test_least_squares_solves_normal_equations():
    X, y = _problem()
    theta = LeastSquares().fit(X, y).coef_
    np.testing.assert_allclose(theta, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-10)


def test_make_learner_errors():
    with pytest.raises(InputError, match="learner.name"):
        make_learner("nope")
    with pytest.raises(InputError, match="exact"):
        make_learner("exact", bogus=1)
    with pytest.raises(InputError, match="learner.reg"):
        ExactLogistic(reg=-1.0).fit(*_problem(n=20))


def test_certified_full_steps_give_the_line_searched_optimum_bit_for_bit(monkeypatch):
    # Warm-started close to the optimum, every step moves the scores little, so
    # Newton skips the line search; forcing the line search everywhere (bound 0)
    # must evaluate the objective yet land on exactly the same coefficients.
    from platform_abm.common import learners

    X, y = _problem(seed=4)
    optimum = ExactLogistic().fit(X, y).coef_
    start = optimum + 1e-3
    calls = []
    counting = learners.logistic_loss

    def counted(z, labels):
        calls.append(1)
        return counting(z, labels)

    monkeypatch.setattr(learners, "logistic_loss", counted)
    certified = ExactLogistic().fit(X, y, warm_start=start).coef_
    assert not calls  # no line search ran
    monkeypatch.setattr(learners, "FULL_STEP_SCORE_MOVE", 0.0)
    searched = ExactLogistic().fit(X, y, warm_start=start).coef_
    assert calls  # now it did
    np.testing.assert_array_equal(certified, searched)
    assert np.max(np.abs(certified - optimum)) < 1e-12


def test_singular_least_squares_is_a_simulation_error_not_a_linalg_traceback():
    X = np.ones((10, 2))  # two identical columns: the normal equations are singular
    with pytest.raises(SimulationError, match="singular"):
        LeastSquares().fit(X, np.arange(10.0))


def test_a_bias_index_outside_the_columns_is_refused():
    with pytest.raises(InputError, match=r"^learner\.bias_index: got 7"):
        ExactLogistic(penalize_bias=False, bias_index=7).fit(*_problem(n=20))
