"""A run that stops moving but cycles is reported as ``cycling``, not as a round limit."""

import numpy as np
import pytest

from platform_abm.platform.model import STATUS_CYCLING, PlatformModel
from platform_abm.platform.regimes import CYCLE_RTOL, cycle_period


def _orbit(points, rounds, start=None):
    """θ_0..θ_rounds visiting ``points`` in turn (optionally after a transient start)."""
    points = np.asarray(points, dtype=float)
    thetas = [points[t % len(points)] for t in range(rounds + 1)]
    if start is not None:
        thetas[0] = np.asarray(start, dtype=float)
    return np.array(thetas)


@pytest.mark.parametrize("period", [2, 3, 5])
def test_an_exact_cycle_is_found_with_its_smallest_period(period):
    points = np.random.default_rng(period).normal(size=(period, 4))
    assert cycle_period(_orbit(points, 40)) == period


def test_a_cycle_approached_geometrically_is_found_once_it_repeats_closely():
    # θ_t = a + (−1)^t b + 0.9^t c: a period-2 cycle with a decaying transient.
    a, b, c = np.array([1.0, 0.0]), np.array([0.0, 0.5]), np.array([0.3, 0.3])
    thetas = np.array([a + (-1) ** t * b + 0.9**t * c for t in range(200)])
    found = [t for t in range(5, 200) if cycle_period(thetas[: t + 1]) == 2]
    assert found, "never detected"
    # the gap after one period is (1 − 0.81)·0.9^(t−2)·|c|, the step about 2|b|
    gap = (1 - 0.81) * 0.9 ** (found[0] - 2) * np.linalg.norm(c)
    assert gap <= CYCLE_RTOL * 2 * np.linalg.norm(b) * 1.01
    assert all(cycle_period(thetas[: t + 1]) == 2 for t in range(found[0], 200))


@pytest.mark.parametrize("r", [0.5, 0.9, 0.99])
def test_converging_runs_are_not_cycles(r):
    theta_star = np.array([1.0, -2.0, 0.5])
    direction = np.array([0.3, 0.1, -0.2])
    monotone = np.array([theta_star + r**t * direction for t in range(60)])
    oscillating = np.array([theta_star + (-r) ** t * direction for t in range(60)])
    assert cycle_period(monotone) is None
    assert cycle_period(oscillating) is None


def test_an_oscillation_decaying_by_less_than_the_tolerance_counts_as_a_cycle():
    # (1 − r)/r ≤ rtol: amplitude down by under 0.1 % per round, beyond any round limit.
    r = 1 / (1 + CYCLE_RTOL / 2)
    thetas = np.array([(-r) ** t * np.array([1.0, 1.0]) for t in range(30)])
    assert cycle_period(thetas) == 2


def test_rounding_noise_and_converged_runs_are_not_cycles():
    theta = np.array([1.5, -0.25, 3.0])
    flip = np.array([theta + (t % 2) * 1e-15 for t in range(30)])
    assert cycle_period(flip) is None  # a step of 1e-15 is below the noise floor
    big = np.array([theta + (t % 2) * 1e-3 for t in range(30)])
    assert cycle_period(big, tolerance=1e-2) is None  # converged by the run's own tolerance
    assert cycle_period(big, tolerance=1e-4) == 2
    assert cycle_period(big[:4]) is None  # too short to see a period repeat


def test_the_inexact_gd_learner_cycles_at_large_epsilon():
    # Full-batch GD (200 steps from zero each round) with every user level 1 and ε = 160 on
    # 2,000 synthetic-credit users settles into a period-2 orbit: θ alternates between two
    # points 0.0235 apart (measured), and never converges.
    model = PlatformModel(
        n_users=2000,
        learner="gd",
        learner_params={"steps": 200, "lr": 0.1},
        levels=(0.0, 1.0),
        epsilon=160.0,
        epsilon_distribution="constant",
        max_rounds=100,
        divergence_bound=1e4,
        rng=0,
    )
    while model.running:
        model.step()
    assert model.status == STATUS_CYCLING and model.cycle_period == 2
    assert model.steps == 100  # it ran to the round limit: the numbers are unchanged
    summary = model.summary()
    assert summary["status"] == "cycling" and summary["cycle_period"] == 2
    assert "period 2" in model.message
    drift = model.results()["drift"].to_numpy()
    assert drift[-1] > 1e-3  # still moving between rounds ...
    # ... by the same amount: |step_t − step_{t−1}| ≤ ||θ_t − θ_{t−2}|| ≤ rtol·step
    assert abs(drift[-1] - drift[-2]) <= CYCLE_RTOL * drift[-1]


def test_a_converging_gd_run_to_the_round_limit_is_not_cycling():
    model = PlatformModel(
        n_users=2000,
        learner="gd",
        learner_params={"steps": 50, "lr": 0.5},
        levels=(0.0, 1.0),
        epsilon=0.5,
        epsilon_distribution="constant",
        max_rounds=30,
        tolerance=0.0,  # every round runs: it ends at the round limit, converged to rounding
        rng=0,
    )
    while model.running:
        model.step()
    assert model.status == "round-limit" and model.cycle_period is None
