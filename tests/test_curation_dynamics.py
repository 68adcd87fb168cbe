"""The exact Bradley–Terry K-choice weight H and the two-curator map (docs/curation.md)."""

import itertools

import numpy as np
import pytest

from platform_abm.common.errors import InputError
from platform_abm.curation.dynamics import (
    BTWeight,
    bt_weight,
    bt_weight_limit,
    bt_weight_monte_carlo,
    curation_round,
    two_curator_map,
)
from platform_abm.curation.rewards import DiscReward, grid_points

TAU, K, M = 0.5, 10, 4
POINTS = grid_points(81, -5.0, 5.0)
N = POINTS.shape[0]
UNIFORM = np.full(N, 1.0 / N)
OWNER = DiscReward((0.0, 0.0))
PUBLIC = {
    "perfect": DiscReward((0.0, 0.0)),
    "partial": DiscReward((1.5, 0.0)),
    "disjoint": DiscReward((3.0, 0.0)),
}


def exact_by_enumeration(p, r, tau, pool):
    """H(x) = E[K w(x) / (w(x) + Σ_{j<K} w(Y_j))] summed over all (K−1)-tuples."""
    w = np.exp(r / tau)
    h = np.zeros(p.size)
    for tup in itertools.product(range(p.size), repeat=pool - 1):
        idx = list(tup)
        h += np.prod(p[idx]) * pool * w / (w + w[idx].sum())
    return h


@pytest.mark.parametrize("regime", sorted(PUBLIC))
@pytest.mark.parametrize("pool", [2, K, M, 1000])
def test_expectation_of_h_is_one(regime, pool):
    r = PUBLIC[regime](POINTS)
    for p in (UNIFORM, OWNER.inside(POINTS) + 1e-3 * UNIFORM):
        p = p / p.sum()
        h = bt_weight(p, r, TAU, pool)
        assert abs(np.dot(p, h) - 1.0) < 1e-9
        assert np.all(h > 0) and np.all(h <= pool * (1 + 1e-12))


@pytest.mark.parametrize("pool", [2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_h_matches_exact_enumeration(pool, seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(7))
    r = rng.normal(scale=4.0, size=7)  # rewards spread over e^{±40} in weight
    np.testing.assert_allclose(
        bt_weight(p, r, TAU, pool), exact_by_enumeration(p, r, TAU, pool), rtol=1e-12
    )


def test_h_matches_simulated_curation():
    """Simulate the K-candidate BT choice itself and compare the kept law with p·H."""
    rng = np.random.default_rng(7)
    pts = grid_points(9, -3.0, 3.0)
    r = PUBLIC["partial"](pts)
    p = rng.dirichlet(np.ones(pts.shape[0]))
    expected = p * bt_weight(p, r, TAU, K)
    n, chunk = 400_000, 50_000
    counts = np.zeros(p.size)
    for _ in range(n // chunk):
        cand = rng.choice(p.size, size=(chunk, K), p=p)
        z = r[cand] / TAU
        probs = np.exp(z - z.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        pick = (probs.cumsum(axis=1) < rng.random((chunk, 1))).sum(axis=1)
        np.add.at(counts, cand[np.arange(chunk), np.minimum(pick, K - 1)], 1)
    freq = counts / n
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(freq - expected) <= 5 * se + 1e-6)
    # and the curation really moved mass (the test would notice H ≡ 1)
    assert 0.5 * np.abs(expected - p).sum() > 0.1


def test_h_matches_monte_carlo_formula_on_grid():
    rng = np.random.default_rng(3)
    r = PUBLIC["disjoint"](POINTS)
    exact = bt_weight(UNIFORM, r, TAU, M)
    mc = bt_weight_monte_carlo(UNIFORM, r, TAU, M, n_draws=4000, rng=rng)
    # H ≤ M, so each draw is bounded; 4000 draws give a standard error below M/√4000 ≈ 0.06.
    assert np.max(np.abs(mc - exact)) < 0.25
    assert np.mean(np.abs(mc - exact)) < 0.02


def test_h_tends_to_exponential_tilt_as_k_grows():
    r = OWNER(POINTS)
    p = UNIFORM
    limit = bt_weight_limit(p, r, TAU)
    # the limit uses softmax(r/τ), i.e. e^{r/τ}, not e^{r}
    np.testing.assert_allclose(limit / limit.max(), np.exp((r - r.max()) / TAU), rtol=1e-12)
    errors = [
        np.max(np.abs(bt_weight(p, r, TAU, k) - limit)) / limit.max()
        for k in (10, 100, 1_000, 10_000)
    ]
    assert errors[-1] < 1e-3
    assert all(a > 5 * b for a, b in itertools.pairwise(errors))


def test_temperature_scales_the_reward():
    rng = np.random.default_rng(4)
    p = rng.dirichlet(np.ones(50))
    r = rng.normal(size=50)
    np.testing.assert_allclose(bt_weight(p, r, 0.25, 5), bt_weight(p, 4 * r, 1.0, 5), rtol=1e-13)
    # a sharper temperature favours the best cell more
    best = np.argmax(r)
    assert bt_weight(p, r, 0.25, 5)[best] > bt_weight(p, r, 2.0, 5)[best]


def test_pool_of_one_does_not_curate():
    assert np.array_equal(bt_weight(UNIFORM, OWNER(POINTS), TAU, 1), np.ones(N))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tau": 0.0}, "tau"),
        ({"pool": 0}, "pool"),
        ({"pool": 2.5}, "pool"),
        ({"step": 2.0}, "step"),
    ],
)
def test_bt_weight_rejects_bad_parameters(kwargs, field):
    args = {"reward": np.zeros(3), "tau": 1.0, "pool": 2} | kwargs
    with pytest.raises(InputError) as err:
        BTWeight(**args)
    assert err.value.field == field


def test_bt_weight_rejects_mismatched_distribution():
    with pytest.raises(InputError) as err:
        BTWeight(np.zeros(3), 1.0, 2)(np.ones(4))
    assert err.value.field == "p"


def test_two_curator_map_is_the_product_of_the_two_curations():
    r_o, r_p = OWNER(POINTS), PUBLIC["partial"](POINTS)
    p = UNIFORM
    q = p * bt_weight(p, r_o, TAU, K)
    q /= q.sum()
    expected = q * bt_weight(q, r_p, TAU, M)
    owner, public = BTWeight(r_o, TAU, K), BTWeight(r_p, TAU, M)
    np.testing.assert_allclose(
        two_curator_map(p, owner, public), expected / expected.sum(), rtol=1e-12
    )
    q = p * bt_weight(p, r_p, TAU, M)
    q /= q.sum()
    expected = q * bt_weight(q, r_o, TAU, K)
    got = two_curator_map(p, owner, public, order="public-first")
    np.testing.assert_allclose(got, expected / expected.sum(), rtol=1e-12)


def test_mixing_original_data():
    owner = BTWeight(OWNER(POINTS), TAU, K)
    public = BTWeight(PUBLIC["disjoint"](POINTS), TAU, M)
    p0 = UNIFORM
    pure = curation_round(p0, owner, [public], [1.0]).p
    mixed = curation_round(p0, owner, [public], [1.0], mix=0.25, p0=p0).p
    np.testing.assert_allclose(mixed, 0.75 * pure + 0.25 * p0, rtol=1e-12)
    # with original data mixed in, the limit keeps full support
    p = p0
    for _ in range(100):
        p = curation_round(p, owner, [public], [1.0], mix=0.1, p0=p0).p
    assert p.min() >= 0.1 * p0.min() * 0.999


def test_round_rejects_bad_order_and_mix():
    owner = BTWeight(OWNER(POINTS), TAU, K)
    with pytest.raises(InputError) as err:
        curation_round(UNIFORM, owner, [owner], [1.0], order="both")
    assert err.value.field == "order"
    with pytest.raises(InputError) as err:
        curation_round(UNIFORM, owner, [owner], [1.0], mix=0.5)
    assert err.value.field == "p0"
