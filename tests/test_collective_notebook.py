"""The notebooks' solver: hand-written reverse pass through unrolled GD, and Adam."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from platform_abm.common.learners import ExactLogistic, GradientDescent
from platform_abm.platform.collective import CollectiveSpec, plan_collective
from platform_abm.platform.collective.unrolled import (
    Adam,
    UnrolledGD,
    ZeroSumColumnEdits,
    _members_objective,
    constant_step,
    members_masks,
    notebook_step,
    permutation_members,
    solve_free_edit_notebook,
    solve_shift_notebook,
    solve_zero_sum_free_edit,
    unrolled_backward,
    unrolled_forward,
)
from platform_abm.platform.user_utility import LossAlignment


def small(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.normal(size=(n, 3)), np.ones((n, 1))])
    y = (rng.random(n) < 0.45).astype(float)
    return X, y


def test_unrolled_forward_is_gradient_descent():
    X, y = small()
    gd = GradientDescent(steps=37, lr=0.1, reg=0.0).fit(X, y)
    traj = unrolled_forward(
        UnrolledGD(steps=37, step_rule=constant_step(0.1)), X, y, np.zeros((1, len(y))), 1
    )
    np.testing.assert_allclose(traj.final[0], gd.coef_, rtol=1e-12, atol=1e-14)
    assert notebook_step(0) == 1.0 and notebook_step(9) == 0.1 and notebook_step(5000) == 1e-3


@pytest.mark.parametrize("reg", [0.0, 0.05])
def test_reverse_pass_matches_finite_differences(reg):
    X, y = small()
    masks = np.zeros((2, len(y)), dtype=bool)
    masks[0, :10] = True
    masks[1, 5:50] = True
    learner = UnrolledGD(steps=30, reg=reg)
    utility = LossAlignment(ExactLogistic(reg=0.0), lam=0.3)
    delta = np.random.default_rng(1).normal(size=masks.shape) * masks

    def objective(d):
        traj = unrolled_forward(learner, X, y, d, 1)
        return _members_objective(utility, traj.final, X, y, d, 1, masks)

    _, theta_bar, direct = objective(delta)
    traj = unrolled_forward(learner, X, y, delta, 1)
    grad = direct + unrolled_backward(learner, X, y, delta, 1, traj, theta_bar)
    h = 1e-6
    for b, i in [(0, 3), (1, 20), (1, 7), (0, 9)]:
        up, down = delta.copy(), delta.copy()
        up[b, i] += h
        down[b, i] -= h
        fd = (objective(up)[0][b] - objective(down)[0][b]) / (2 * h)
        # Central differences of a smooth function: truncation O(h²) ≈ 1e-12 and
        # rounding O(ε/h) ≈ 1e-10 relative to values of order 1e-2.
        assert fd == pytest.approx(grad[b, i], rel=1e-6)


def test_adam_matches_the_torch_update():
    adam = Adam(lr=0.1)
    p = np.array([1.0, -2.0])
    g1, g2 = np.array([0.5, -1.0]), np.array([0.2, 0.4])
    p1 = adam.step(p, g1)
    # First step: m̂ = g, v̂ = g², so every coordinate moves by lr·sign(g) (up to eps).
    np.testing.assert_allclose(p1, p + 0.1 * np.sign(g1), rtol=1e-7)
    p2 = adam.step(p1, g2)
    m = 0.9 * 0.1 * g1 + 0.1 * g2
    v = 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    expected = p1 + 0.1 * (m / (1 - 0.9**2)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(p2, expected, rtol=1e-12)


def test_solvers_increase_the_members_utility():
    X, y = small(200)
    masks = members_masks(len(y), [0.2, 0.9], [0])
    utility = LossAlignment(ExactLogistic(), lam=0.0)
    learner = UnrolledGD(steps=25)
    shift = solve_shift_notebook(X, y, masks, 1, utility, learner, iterations=40, lr=0.05)
    free = solve_free_edit_notebook(X, y, masks, 1, utility, learner, iterations=40, lr=0.05)
    for res in (shift, free):
        assert np.all(res.utility > res.history[0])
    assert np.all(free.delta[~masks] == 0)
    assert free.utility[0] >= shift.utility[0]  # per-member edits contain the shared shift


def test_plan_with_the_notebook_solver():
    X, y = small(150, seed=3)
    spec = CollectiveSpec.from_dict(
        {
            "members": {"fraction": 0.4},
            "strategy": {"family": "free-edit", "features": [1], "budget": 3.0},
            "utility": {"kind": "loss-alignment"},
            "solver": {"kind": "notebook", "selfish": "none", "steps": 20, "iterations": 10},
        },
        "collectives[0]",
    )
    members = spec.members.select(X, y, np.random.default_rng(0))
    plan = plan_collective(spec, ExactLogistic(), X, y, members, [1], np.random.default_rng(0))
    moved = plan.X_report[:, 1] - X[members, 1]
    assert np.all(np.abs(moved) > 0) and np.all(np.abs(moved) <= 10 * 0.01 * 1.5)
    np.testing.assert_array_equal(plan.X_report[:, [0, 2, 3]], X[members][:, [0, 2, 3]])


def test_zero_sum_engine_is_the_general_solver_for_u_equal_loss():
    # The batched zero-sum engine against the general path (any utility, per-step reverse
    # pass) on the same problems, in float64: the same computation up to round-off.
    X, y = small(300, seed=2)
    masks = members_masks(len(y), [0.1, 0.5, 0.9], [0])
    learner = UnrolledGD(steps=30)
    utility = LossAlignment(ExactLogistic(reg=0.0), lam=0.0)
    for column in (1, 3):  # a feature and the bias column
        fast = solve_zero_sum_free_edit(
            X, y, masks, column, learner, iterations=40, dtype=np.float64
        )
        general = solve_free_edit_notebook(X, y, masks, column, utility, learner, iterations=40)
        # 40 Adam steps of size 0.01 on values of order 1: 1e-12 is ~1e4 ulps of slack.
        np.testing.assert_allclose(fast.history, general.history, rtol=0, atol=1e-12)
        np.testing.assert_allclose(fast.delta, general.delta, rtol=0, atol=1e-12)
        np.testing.assert_allclose(fast.theta, general.theta, rtol=0, atol=1e-12)


def test_zero_sum_gradient_matches_finite_differences():
    X, y = small(120, seed=4)
    masks = members_masks(len(y), [0.2, 0.7], [1])
    engine = ZeroSumColumnEdits(X, y, 2, UnrolledGD(steps=25), batch=2, dtype=np.float64)
    rng = np.random.default_rng(5)
    col = X[:, 2] + 0.3 * rng.normal(size=masks.shape) * masks
    _, grad, _ = engine.value_and_grad(col, masks)
    h = 1e-6
    for b, i in [(0, int(np.flatnonzero(masks[0])[0])), (1, 7), (1, 60)]:
        up, down = col.copy(), col.copy()
        up[b, i] += h
        down[b, i] -= h
        fd = (engine.value(up, masks)[0][b] - engine.value(down, masks)[0][b]) / (2 * h)
        # Central differences: truncation O(h²) ≈ 1e-12, rounding O(ε/h) ≈ 1e-10, on
        # gradients of order 1e-3 (a non-member's entry only acts through the learner).
        assert fd == pytest.approx(grad[b, i], rel=1e-5, abs=1e-10)


def test_adam_keeps_float32_and_leaves_zero_gradients_alone():
    adam = Adam(lr=0.01)
    p = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    for _ in range(3):
        p = adam.step(p, np.array([0.5, 0.0, -1e-4], dtype=np.float32))
    assert p.dtype == np.float32
    assert p[1] == 2.0  # a coordinate that never had a gradient never moves
    np.testing.assert_allclose(p[[0, 2]], [1.03, 2.97], rtol=1e-6)


def test_permutation_members_are_prefixes_of_one_permutation_per_run():
    masks = permutation_members(1000, [0.01, 0.5, 0.99], [0, 1])
    assert masks.shape == (6, 1000)
    assert list(masks.sum(axis=1)) == [10, 10, 500, 500, 990, 990]  # int(α·n), truncated
    order = np.random.default_rng(42).permutation(1000)
    assert set(np.flatnonzero(masks[0])) == set(order[:10])
    assert np.all(masks[4][masks[2]]) and np.all(masks[2][masks[0]])  # nested in α
    assert not np.array_equal(masks[0], masks[1])


def test_step_rules_survive_pickling():
    rule = pickle.loads(pickle.dumps(constant_step(0.004)))
    assert rule(0) == rule(99) == 0.004
    learner = pickle.loads(pickle.dumps(UnrolledGD(steps=3, step_rule=notebook_step)))
    np.testing.assert_array_equal(learner.step_sizes(), [1.0, 0.5, 1 / 3])
