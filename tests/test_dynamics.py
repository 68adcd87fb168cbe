"""Level-k dynamics against the theory of docs/model.md §3."""

import numpy as np
import pytest

from platform_abm.common import data
from platform_abm.common.learners import ExactLogistic, Learner
from platform_abm.platform.model import PlatformModel
from platform_abm.platform.responses import anticipated_models, best_response, level_k_response
from platform_abm.platform.user_utility import CallableUtility, LinearQuadratic


class MeanEstimator(Learner):
    """Squared loss ½||x − θ||²: the platform estimates the mean report (1-D toy)."""

    def fit(self, X, y, sample_weight=None, warm_start=None):
        self.coef_ = X.mean(axis=0)
        self.n_iter_ = 1
        return self

    def objective(self, theta, X, y, weights=None):
        return float(np.mean(self.sample_loss(theta, X, y)))

    def gradient(self, theta, X, y, weights=None):
        return theta - X.mean(axis=0)

    def hessian(self, theta, X, y, weights=None):
        return np.eye(len(theta))

    def sample_loss(self, theta, X, y):
        return 0.5 * np.sum((X - theta) ** 2, axis=1)

    def sample_gradient(self, theta, X, y):
        return theta[None, :] - X

    def sample_grad_x(self, theta, X, y):
        return X - theta[None, :]

    def mixed_vjp(self, theta, X, y, v):
        return -np.broadcast_to(v, X.shape)

    def accuracy(self, theta, X, y, weights=None):
        return float("nan")


def _toy_population(n=1000, seed=0):
    z = np.random.default_rng(seed).normal(2.0, 1.0, size=(n, 1))
    return data.Population(X=z, y=np.zeros(n), feature_names=("z",), source="toy")


@pytest.mark.parametrize(
    ("levels", "eps"),
    [
        ((0.0, 1.0), 0.5),
        ((0.0, 0.5, 0.5), 0.5),
        ((0.0, 0.1, 0.9), 0.8),
        ((0.0, 0.2, 0.3, 0.5), 0.6),
        ((0.3, 0.4, 0.3), 0.9),
    ],
)
def test_one_dimensional_contraction_is_sum_of_alpha_c_power_k(levels, eps):
    # D1(θ) shifts every point by −εθ, so G1(θ) − θ* = c(θ − θ*) with c = −ε and level k
    # contributes α_k c^k: the gap contracts by exactly Σ_k α_k c^k per round.
    pop = _toy_population()
    model = PlatformModel(
        population=pop,
        strategic_features=("z",),
        epsilon=eps,
        epsilon_distribution="constant",
        levels=levels,
        learner=MeanEstimator(),
        theta0=np.array([5.0]),
        max_rounds=12,
        tolerance=1e-300,
        rng=3,
    )
    for _ in range(12):
        model.step()
    counts = np.array([np.sum(model.levels == k) for k in range(len(levels))]) / pop.n
    c = -eps
    expected = abs(sum(a * c**k for k, a in enumerate(counts) if k > 0))
    gaps = model.results()["drift"].to_numpy()
    ratios = gaps[1:8] / gaps[:7]
    np.testing.assert_allclose(ratios, expected, rtol=1e-9)


def test_level_k_response_is_level_one_response_to_iterated_g1():
    pop = data.gaussian_population(2000, 4, seed=1)
    learner = ExactLogistic()
    strategic = np.array([0, 2])
    utility = LinearQuadratic(0.7)
    theta = learner.fit(pop.X, pop.y).coef_ + 0.1
    models = anticipated_models(theta, 4, learner, utility, pop.X, pop.y, strategic)
    g = theta
    for k in range(1, 5):
        level_one = level_k_response(1, [g], utility, pop.X, pop.y, strategic)
        np.testing.assert_array_equal(
            level_k_response(k, models, utility, pop.X, pop.y, strategic), level_one
        )
        g = learner.fit(level_one, pop.y, warm_start=g).coef_
    np.testing.assert_array_equal(
        level_k_response(0, models, utility, pop.X, pop.y, strategic), pop.X
    )


def test_numerical_best_response_matches_closed_form():
    pop = data.gaussian_population(300, 3, seed=2)
    strategic = np.array([0, 1])
    theta = np.array([0.5, -1.0, 0.3, 0.2])
    closed = LinearQuadratic(0.4)
    custom = CallableUtility(closed.value, closed.grad_theta, closed.grad_x, name="lq")
    np.testing.assert_allclose(
        best_response(custom, theta, pop.X, pop.y, strategic),
        best_response(closed, theta, pop.X, pop.y, strategic),
        atol=1e-6,
    )


def _run_to_stability(pop, levels, seed=0, **kwargs):
    model = PlatformModel(
        population=pop,
        epsilon=0.5,
        epsilon_distribution="constant",
        levels=levels,
        rng=seed,
        max_rounds=40,
        tolerance=1e-13,
        **kwargs,
    )
    while model.running:
        model.step()
    return model


@pytest.mark.parametrize("source", ["synthetic", "credit"])
def test_equilibrium_is_the_same_for_every_mixture(source, request):
    pop = (
        data.synthetic_credit(18_357, seed=0)
        if source == "synthetic"
        else request.getfixturevalue("credit")
    )
    thetas = []
    for levels in [
        (0.0, 1.0),
        (0.0, 0.9, 0.1),
        (0.0, 0.5, 0.5),
        (0.0, 0.1, 0.9),
        (0, 0.2, 0.3, 0.5),
    ]:
        model = _run_to_stability(pop, levels)
        assert model.status == "converged"
        thetas.append(model.theta)
        # Corollary 1: θ* is G1's fixed point whatever the mixture
        assert np.max(np.abs(model.theta - model.stable_point)) < 1e-8
        # level-1 and level-k users with the same base point get the same utility at θ*
        models = anticipated_models(
            model.theta, 3, model.learner, LinearQuadratic(0.5), pop.X, pop.y, model.strategic
        )
        u = [
            LinearQuadratic(0.5).value(
                model.theta,
                level_k_response(k, models, LinearQuadratic(0.5), pop.X, pop.y, model.strategic),
                pop.y,
                pop.X,
            )
            for k in (1, 2, 3)
        ]
        np.testing.assert_allclose(u[1], u[0], atol=1e-10)
        np.testing.assert_allclose(u[2], u[0], atol=1e-10)
    assert np.max(np.abs(np.array(thetas) - thetas[0])) < 1e-8


def test_unpenalised_bias_homogeneous_population_is_degenerate():
    pop = data.synthetic_credit(5000, seed=2)
    model = PlatformModel(
        population=pop,
        epsilon=1000.0,
        epsilon_distribution="constant",
        levels=(0.0, 1.0),
        learner=ExactLogistic(penalize_bias=False),
        rng=0,
        max_rounds=3,
        tolerance=1e-300,
    )
    assert model.regime.code == "degenerate"
    model.step()
    model.step()
    gaps = model.results()["drift"].to_numpy()
    # the uniform shift is absorbed by the bias: θ_S does not move, RRM is stable at once
    assert gaps[1] <= 2e-11 * max(1.0, gaps[0])
    np.testing.assert_allclose(
        model.theta[model.strategic], model.theta0[model.strategic], atol=1e-9
    )


def test_regime_codes():
    pop = data.synthetic_credit(2000, seed=0)
    constant = {"population": pop, "epsilon_distribution": "constant", "rng": 0}
    assert PlatformModel(levels=(1.0,), **constant).regime.code == "static"
    assert PlatformModel(levels=(0.0, 1.0), **constant).regime.code == "near-degenerate"
    assert (
        PlatformModel(
            population=pop,
            levels=(0.0, 1.0),
            epsilon_distribution="lognormal",
            epsilon_sigma=0.5,
            rng=0,
        ).regime.code
        == "performative"
    )
