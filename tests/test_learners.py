import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, SGDClassifier
from sklearn.svm import SVC

from platform_abm.common.errors import InputError, SimulationError
from platform_abm.common.learners import (
    FULL_STEP_SCORE_MOVE,
    LEARNERS,
    BacktrackingGD,
    ExactLogistic,
    GradientDescent,
    LeastSquares,
    LogisticLoss,
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
    from platform_abm.common.learners import losses, newton

    X, y = _problem(seed=4)
    optimum = ExactLogistic().fit(X, y).coef_
    start = optimum + 1e-3
    calls = []
    counting = losses.logistic_loss

    def counted(z, labels):
        calls.append(1)
        return counting(z, labels)

    monkeypatch.setattr(losses, "logistic_loss", counted)
    certified = ExactLogistic().fit(X, y, warm_start=start).coef_
    assert not calls  # no line search ran
    monkeypatch.setattr(newton, "FULL_STEP_SCORE_MOVE", 0.0)
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


@pytest.mark.parametrize(
    "estimator",
    [
        SVC(),
        RandomForestClassifier(),
        SGDClassifier(loss="log_loss", fit_intercept=False),
        LogisticRegressionCV(fit_intercept=False),
        LogisticRegression(),  # an intercept of its own
        LogisticRegression(fit_intercept=False, l1_ratio=1.0, solver="saga"),
        LogisticRegression(fit_intercept=False, l1_ratio=0.5, solver="saga"),
        LogisticRegression(fit_intercept=False, class_weight="balanced"),
    ],
    ids=repr,
)
def test_sklearn_learner_refuses_estimators_whose_loss_it_cannot_differentiate(estimator):
    learner = SklearnLearner(estimator=estimator)
    X, y = _problem(n=50)
    for call in (lambda: learner.fit(X, y), lambda: learner.gradient(np.zeros(6), X, y)):
        with pytest.raises(InputError) as info:
            call()
        assert info.value.field == "learner.estimator"
        assert str(info.value).startswith(f"learner.estimator: got {estimator!r}")
        assert "LogisticRegression with fit_intercept=False" in info.value.allowed
    with pytest.raises(InputError, match=r"^collective\.learner\.estimator: got "):
        learner._check_params(where="collective.learner")  # as a model names its learner


@pytest.mark.parametrize(
    ("estimator", "reg"),
    [
        (LogisticRegression(fit_intercept=False), 1 / 50),
        (LogisticRegression(C=4.0, fit_intercept=False, solver="newton-cholesky"), 1 / 200),
        (LogisticRegression(C=np.inf, fit_intercept=False), 0.0),
    ],
)
def test_sklearn_learner_objective_is_the_estimators_loss(estimator, reg):
    # λ = 1/(C·n): with the objective's λ, the exact learner finds the estimator's optimum
    X, y = _problem(n=50, d=3)
    learner = SklearnLearner(estimator=estimator)
    theta = np.array([0.3, -0.2, 0.1])
    assert learner.objective(theta, X, y) == ExactLogistic(reg=reg).objective(theta, X, y)
    exact = ExactLogistic(reg=reg).fit(X, y).coef_
    tight = estimator.set_params(tol=1e-12, max_iter=10_000)
    np.testing.assert_allclose(SklearnLearner(estimator=tight).fit(X, y).coef_, exact, atol=1e-5)


def test_logistic_loss_without_penalty_has_no_penalty():
    X, y = _problem(n=40, d=3)
    theta = np.array([0.5, -1.0, 2.0])
    free = LogisticLoss(reg=0.0)
    assert free.value(theta, X, y) == pytest.approx(np.mean(free.sample_loss(theta, X, y)))
    assert LogisticLoss(C=np.inf).value(theta, X, y) == free.value(theta, X, y)


def test_sample_weights_are_refused_by_their_name():
    X, y = _problem(n=20)
    for learner in (ExactLogistic(), LeastSquares(), GradientDescent(), BacktrackingGD()):
        with pytest.raises(InputError, match=r"^sample_weight: got"):
            learner.fit(X, y, sample_weight=-np.ones(20))
        with pytest.raises(InputError, match=r"^sample_weight: got"):
            learner.objective(np.zeros(6), X, y, np.ones(19))


def test_a_warm_start_of_the_wrong_shape_is_refused():
    X, y = _problem(n=20)
    with pytest.raises(InputError, match=r"^warm_start: got 'array of shape \(5,\)'"):
        ExactLogistic().fit(X, y, warm_start=np.zeros(5))
    # a learner that does not start from it does not look at it
    GradientDescent(steps=1).fit(X, y, warm_start=np.zeros(5))


def test_use_warm_start_decides_whether_a_budgeted_fit_starts_from_the_warm_start():
    X, y = _problem(n=200)
    start = np.full(6, 0.5)
    cold = GradientDescent(steps=5).fit(X, y).coef_
    np.testing.assert_array_equal(GradientDescent(steps=5).fit(X, y, warm_start=start).coef_, cold)
    warm = GradientDescent(steps=5, use_warm_start=True).fit(X, y, warm_start=start).coef_
    assert np.max(np.abs(warm - cold)) > 1e-3
    one = GradientDescent(steps=1, use_warm_start=True, lr=0.1)
    expected = start - 0.1 * one.gradient(start, X, y)
    np.testing.assert_array_equal(one.fit(X, y, warm_start=start).coef_, expected)


def test_backtracking_gd_is_a_registered_scenario_learner():
    assert LEARNERS["backtracking-gd"] is BacktrackingGD
    learner = make_learner("backtracking-gd", monitored_penalty="squared", tol=1e-9)
    assert isinstance(learner, BacktrackingGD)
    assert learner.get_params()["monitored_penalty"] == "squared"
    with pytest.raises(InputError, match=r"^learner\.monitored_penalty: got 'cube'"):
        make_learner("backtracking-gd", monitored_penalty="cube")


def test_learners_are_scikit_learn_estimators():
    from sklearn.base import BaseEstimator, clone

    learner = SklearnLearner(estimator=LogisticRegression(C=3.0, fit_intercept=False))
    assert isinstance(learner, BaseEstimator)
    assert learner.get_params()["estimator__C"] == 3.0
    learner.set_params(estimator__C=0.5, use_warm_start=True)
    copy = clone(learner)
    assert copy.estimator is not learner.estimator
    assert copy.get_params()["estimator__C"] == 0.5 and copy.use_warm_start
    assert repr(ExactLogistic(tol=1e-8)) == "ExactLogistic(tol=1e-08)"
    with pytest.raises(ValueError, match="Invalid parameter 'use_warm_start'"):
        ExactLogistic().set_params(use_warm_start=False)  # it always starts from a warm start
