"""The paper's sample-based loop: BT selection, the Gaussian-mixture generator, published ranges."""

import numpy as np
import pytest

from platform_abm.curation import CurationModel
from platform_abm.curation.rewards import DiscReward, softmax_choice_probabilities
from platform_abm.curation.sampled import (
    bt_select,
    fit_generator,
    gaussian_points,
    histogram_on_grid,
    nearest_cell,
)


def test_bt_select_keeps_candidates_with_softmax_probabilities():
    rng = np.random.default_rng(0)
    base = np.array([[0.0, 0.0], [1.2, 0.0], [2.0, 0.0], [4.0, 0.0]])
    groups = 40_000
    candidates = np.broadcast_to(base, (groups, 4, 2)).copy()
    reward = DiscReward((0.0, 0.0))
    selection = bt_select(candidates, reward, 0.5, rng)
    expected = softmax_choice_probabilities(reward(base), 0.5)
    freq = np.array([np.mean(selection.kept[:, 0] == x) for x in base[:, 0]])
    assert np.all(np.abs(freq - expected) < 5 * np.sqrt(expected * (1 - expected) / groups) + 1e-9)
    # softmax(r/τ): the second candidate (r = −0.4) is kept e^{−1.4/0.5} times as often as the first
    assert expected[1] / expected[0] == pytest.approx(np.exp(-1.4 / 0.5))
    # estimated shift ½·E|K·π − 1| of identical groups is exact
    assert selection.shift == pytest.approx(0.5 * np.mean(np.abs(4 * expected - 1)))


def test_generator_samples_follow_the_fitted_mixture():
    rng = np.random.default_rng(1)
    points = np.vstack([rng.normal((-2, 0), 0.3, (300, 2)), rng.normal((2, 1), 0.5, (100, 2))])
    gen = fit_generator(points, 2, rng)
    assert gen.converged
    order = np.argsort(gen.means[:, 0])
    np.testing.assert_allclose(gen.weights[order], [0.75, 0.25], atol=0.02)
    # the EM fit of two well-separated clusters recovers their sample means
    cluster_means = [points[:300].mean(axis=0), points[300:].mean(axis=0)]
    np.testing.assert_allclose(gen.means[order], cluster_means, atol=0.01)
    draws = gen.sample(200_000, rng)
    np.testing.assert_allclose(draws.mean(axis=0), gen.weights @ gen.means, atol=0.02)
    left = draws[draws[:, 0] < 0]
    cov = gen.cholesky[order[0]] @ gen.cholesky[order[0]].T
    np.testing.assert_allclose(np.cov(left.T), cov, atol=0.01)


def test_generator_handles_duplicated_points():
    rng = np.random.default_rng(2)
    points = np.repeat([[0.5, 0.5], [1.0, 1.0]], 50, axis=0)
    gen = fit_generator(points, 10, rng)
    assert gen.weights.size == 2  # capped by the number of distinct points
    assert np.all(np.isfinite(gen.sample(10, rng)))


def test_gaussian_points_stay_in_the_box():
    pts = gaussian_points(500, (4.0, 4.0), 2.0, -5.0, 5.0, np.random.default_rng(3))
    assert pts.shape == (500, 2) and np.all((pts >= -5) & (pts <= 5))


def test_histogram_uses_the_nearest_cell():
    pts = np.array([[0.06, -0.06], [0.0, 0.0], [9.0, 9.0]])
    cells = nearest_cell(pts, 81, -5.0, 5.0)
    assert cells[0] == cells[1] == 40 * 81 + 40 and cells[2] == 81 * 81 - 1
    p = histogram_on_grid(pts, 81, -5.0, 5.0)
    assert p.sum() == pytest.approx(1.0) and p[40 * 81 + 40] == pytest.approx(2 / 3)


# Published curves of the sample-based experiment (docs/curation.md) after 100 rounds. Read off
# as: mean over five seeds of each seed's average over rounds 91-100 (one round holds only 50 public
# outputs, too few for a stable reading). Measured with the defaults (10 GMM components):
#   perfect  distances 0.61 (published 0.65-0.7),  satisfactions 1.00 (published ≈ 1)
#   partial  distances 0.84 / 0.80 (0.8-0.85),      satisfactions 0.98 / 1.00 (0.95-1)
#   disjoint owner 0.90 (≈ 0.97), public 2.15 (≈ 2.0), satisfactions 0.94 (0.8-0.97) / 0.00 (≈ 0)
# Two readings fall outside the published values and are asserted as measured deviations, not as
# agreement: the perfect distance sits a little below 0.65 (the mixture's tails are cut at the rim
# each round, so the disc slowly contracts), and in the disjoint regime our loop settles with the
# mass spread over the owner's half-disc facing the public rather than at its edge point.
SEEDS = range(5)
COLUMNS = ["owner_distance", "public_distance", "owner_satisfaction", "public_satisfaction"]


def sampled_limits(public_x):
    values = []
    for seed in SEEDS:
        model = CurationModel(fidelity="sampled", public_centre_x=public_x, rng=seed)
        model.run_model()
        table = model.results()
        assert table["round"].iloc[-1] == 100 and model.status == "round-limit"
        values.append(table[COLUMNS].iloc[-10:].mean())
    return dict(zip(COLUMNS, np.mean(values, axis=0), strict=True))


@pytest.mark.slow
def test_sampled_loop_regimes_after_100_rounds():
    perfect = sampled_limits(0.0)
    partial = sampled_limits(1.5)
    disjoint = sampled_limits(3.0)
    # perfect: satisfaction ≈ 1 (published); distance near the uniform-disc 2/3, slightly
    # contracted (deviation: published 0.65-0.7)
    assert perfect["public_distance"] == perfect["owner_distance"]
    assert perfect["owner_satisfaction"] >= 0.95
    assert 0.55 <= perfect["owner_distance"] <= 0.70
    # partial: published ≈ 0.8-0.85 (±0.02 for "≈") and 0.95-1
    for name in ("owner", "public"):
        assert 0.78 <= partial[f"{name}_distance"] <= 0.87, name
        assert 0.95 <= partial[f"{name}_satisfaction"] <= 1.0, name
    # disjoint: published satisfactions
    assert 0.8 <= disjoint["owner_satisfaction"] <= 0.97
    assert disjoint["public_satisfaction"] <= 0.01
    # disjoint distances (deviation: published ≈ 0.97 and ≈ 2.0): mass pushed from the uniform-disc
    # value 2/3 towards the owner's rim, on the side facing the public (< 3 − 2/3 ≈ 2.33)
    assert 0.85 <= disjoint["owner_distance"] <= 1.0
    assert 2.0 <= disjoint["public_distance"] <= 2.25
