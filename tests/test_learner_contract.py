"""The contract every registered learner keeps: run on the whole registry, so a new one is covered.

For each learner in ``LEARNERS``: ``fit`` minimises the objective the learner
declares (checked against scipy.optimize on that objective), the declared
derivatives agree with finite differences of the declared values, ``clone``
round-trips (same parameters, same coefficients to the bit), and a warm start
does not change the optimum.
"""

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from platform_abm.common.learners import LEARNERS

NAMES = sorted(LEARNERS)

# Parameters with which a learner whose defaults stop before the optimum reaches it
# (the defaults reproduce the notebooks' budgets or tolerances). A learner not listed
# here is tested with its defaults, which must then solve to its tolerance.
CONVERGED = {
    # a fixed budget: the curvature here lies in [0.1, ~4.4] (λ = 0.1; features of scale
    # ≤ 2), so steps of 0.3 < 2/4.4 contract the error by (1 − 0.3·0.1)^1000 ≈ 1e-13
    "gd": {"steps": 1000, "lr": 0.3, "reg": 0.1},
    # lbfgs to a projected gradient of 1e-10 instead of the notebooks' 1e-5 (it then
    # stops on scipy's relative decrease of the value, within ~1e-7 of θ*)
    "sklearn-lbfgs": {
        "estimator": LogisticRegression(C=1.0, fit_intercept=False, tol=1e-10, max_iter=10_000)
    },
    # stop only when a step no longer lowers the objective itself (rounding level)
    "backtracking-gd": {"reg": 0.1, "tol": 0.0, "monitored_penalty": "squared"},
}

# Coefficients agree with the reference optimum to 1e-6. The reference (BFGS to a
# gradient of 1e-11) is within ~2e-8 of Newton's machine-precision solution. A learner
# that stops on the decrease of the objective's value (backtracking-gd, lbfgs) cannot
# place θ* closer than about √(2·ε·L/μ) — ε = 2.2e-16 the rounding of L ≈ 0.7, μ the
# smallest curvature, here ≥ ~1e-2 — i.e. a few 1e-7 (measured worst over 25 problems:
# 3e-7). 1e-6 is the round tolerance above that; an objective or gradient with a wrong
# term moves the optimum by ≥ 1e-3.
COEF_TOL = 1e-6
# Objective values: the fit is no worse than the reference by more than 1e-12 (at the
# distances measured, ≤ 3e-7, ½·μ_max·δ² ≤ 5e-13 with μ_max ≲ 10; measured worst: 3e-15).
VALUE_TOL = 1e-12


def _learner(name, **extra):
    return LEARNERS[name](**{**CONVERGED.get(name, {}), **extra})


def _problem(seed, n=200, d=4, weighted=False):
    rng = np.random.default_rng(seed)
    X = np.c_[rng.normal(size=(n, d - 1)) * rng.uniform(0.5, 2.0, d - 1), np.ones(n)]
    theta = rng.normal(size=d)
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ theta))).astype(float)
    y[:2] = (0.0, 1.0)  # both labels, whatever the draw
    w = rng.uniform(0.2, 3.0, n) if weighted else None
    return X, y, w, rng


problems = st.tuples(
    st.integers(0, 2**32 - 1), st.integers(40, 300), st.integers(2, 5), st.booleans()
)


def _reference_optimum(learner, X, y, w):
    """scipy's minimiser of the learner's declared objective (value and gradient)."""
    result = scipy.optimize.minimize(
        learner.objective,
        np.zeros(X.shape[1]),
        args=(X, y, w),
        jac=learner.gradient,
        method="BFGS",
        options={"gtol": 1e-11, "maxiter": 10_000},
    )
    return result.x


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15, deadline=None)
@given(problem=problems)
def test_fit_minimises_the_declared_objective(name, problem):
    seed, n, d, weighted = problem
    X, y, w, _ = _problem(seed, n, d, weighted)
    learner = _learner(name).fit(X, y, w)
    reference = _reference_optimum(learner, X, y, w)
    np.testing.assert_allclose(learner.coef_, reference, rtol=0, atol=COEF_TOL)
    assert learner.objective(learner.coef_, X, y, w) <= (
        learner.objective(reference, X, y, w) + VALUE_TOL
    )


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=10, deadline=None)
@given(problem=problems)
def test_derivatives_agree_with_finite_differences(name, problem):
    # Central differences with h = 1e-6 have a truncation error of order h²·|f'''| ≈ 1e-12
    # and a rounding error of order 1e-16·|f|/h ≈ 1e-10: rtol 1e-6 with atol 1e-8 leaves
    # room for both while still catching any wrong term (errors of order 1e-2 or more).
    seed, n, d, weighted = problem
    X, y, w, rng = _problem(seed, min(n, 60), d, weighted)
    learner = _learner(name)
    theta = rng.normal(size=d) * 0.5
    v = rng.normal(size=d)
    h = 1e-6
    eye = np.eye(d)

    def central(f, point, step):
        return (f(point + h * step) - f(point - h * step)) / (2 * h)

    grad = np.array([central(lambda t: learner.objective(t, X, y, w), theta, e) for e in eye])
    np.testing.assert_allclose(learner.gradient(theta, X, y, w), grad, rtol=1e-6, atol=1e-8)
    hess = np.array([central(lambda t: learner.gradient(t, X, y, w), theta, e) for e in eye])
    np.testing.assert_allclose(learner.hessian(theta, X, y, w), hess, rtol=1e-5, atol=1e-8)
    # per sample, in θ: ∇θℓ_i
    per_theta = np.stack([central(lambda t: learner.sample_loss(t, X, y), theta, e) for e in eye])
    np.testing.assert_allclose(
        learner.sample_gradient(theta, X, y), per_theta.T, rtol=1e-6, atol=1e-8
    )
    # per sample, in the features: ∂ℓ_i/∂x_i and the mixed product Σ_k v_k ∂(∇θℓ_i)_k/∂x_i
    in_x = np.stack(
        [
            central(lambda Z: learner.sample_loss(theta, Z, y), X, np.outer(np.ones(len(X)), e))
            for e in eye
        ]
    )
    np.testing.assert_allclose(learner.sample_grad_x(theta, X, y), in_x.T, rtol=1e-6, atol=1e-8)
    mixed = np.stack(
        [
            central(
                lambda Z: learner.sample_gradient(theta, Z, y) @ v, X, np.outer(np.ones(len(X)), e)
            )
            for e in eye
        ]
    )
    np.testing.assert_allclose(learner.mixed_vjp(theta, X, y, v), mixed.T, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("converged", [False, True], ids=["defaults", "converged"])
@pytest.mark.parametrize("name", NAMES)
def test_clone_round_trips(name, converged):
    learner = _learner(name) if converged else LEARNERS[name]()
    params = learner.get_params(deep=False)
    copy = clone(learner)
    assert type(copy) is type(learner)
    for key, value in copy.get_params(deep=False).items():
        if hasattr(value, "get_params"):  # a nested estimator is cloned, not shared
            assert value is not params[key]
            assert value.get_params() == params[key].get_params()
        else:
            assert value == params[key]
    # the constructor only stores: what it is given is what get_params returns
    rebuilt = type(learner)(**params)
    assert all(getattr(rebuilt, key) is value for key, value in params.items())
    X, y, w, _ = _problem(7, weighted=True)
    np.testing.assert_array_equal(copy.fit(X, y, w).coef_, learner.fit(X, y, w).coef_)
    np.testing.assert_array_equal(
        type(learner)().set_params(**params).fit(X, y, w).coef_, learner.coef_
    )


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=10, deadline=None)
@given(problem=problems, offset=st.floats(0.01, 2.0))
def test_a_warm_start_gives_the_same_optimum(name, problem, offset):
    # A learner with a use_warm_start switch is told to use the warm start, so that the
    # test exercises it. Both fits stop within ~1e-7 of the optimum (see COEF_TOL), so
    # they agree to COEF_TOL.
    seed, n, d, weighted = problem
    X, y, w, rng = _problem(seed, n, d, weighted)
    switch = {"use_warm_start": True} if "use_warm_start" in _learner(name).get_params() else {}
    cold = _learner(name, **switch).fit(X, y, w).coef_
    start = cold + offset * rng.normal(size=d)
    warm = _learner(name, **switch).fit(X, y, w, warm_start=start).coef_
    np.testing.assert_allclose(warm, cold, rtol=0, atol=COEF_TOL)


def test_every_converged_configuration_names_a_registered_learner():
    assert set(CONVERGED) <= set(LEARNERS)
