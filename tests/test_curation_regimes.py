"""The three regimes of the exact grid dynamics (docs/curation.md): uniform p0, τ=0.5, K=10, M=4."""

import numpy as np
import pytest

from platform_abm.curation.dynamics import iterate_two_curator
from platform_abm.curation.metrics import edge_mask, mean_distance, total_variation
from platform_abm.curation.rewards import DiscReward, grid_points, grid_spacing

TAU, K, M, ROUNDS = 0.5, 10, 4, 100
SIZE, LOW, HIGH = 81, -5.0, 5.0
POINTS = grid_points(SIZE, LOW, HIGH)
N = POINTS.shape[0]
UNIFORM = np.full(N, 1.0 / N)
OWNER = DiscReward((0.0, 0.0))
A_O = OWNER.inside(POINTS)
PERFECT, PARTIAL, DISJOINT = DiscReward((0.0, 0.0)), DiscReward((1.5, 0.0)), DiscReward((3.0, 0.0))


def gaussian_p0(centre=(0.7, -0.4), scale=1.3):
    g = np.exp(-0.5 * np.sum((POINTS - np.asarray(centre)) ** 2, axis=1) / scale**2)
    return g / g.sum()


def limit(public, p0=UNIFORM, pools=(K, M), order="owner-first", rounds=ROUNDS):
    hist = iterate_two_curator(p0, OWNER(POINTS), public(POINTS), TAU, TAU, *pools, rounds, order)
    return hist[-1]


def restricted(p0, mask):
    q = np.where(mask, p0, 0.0)
    return q / q.sum()


def lens_area(size):
    pts = grid_points(size, LOW, HIGH)
    h = grid_spacing(size, LOW, HIGH)
    return np.sum(OWNER.inside(pts) & PARTIAL.inside(pts)) * h * h


def grid_error_of_disc_mean(size):
    pts = grid_points(size, LOW, HIGH)
    inside = OWNER.inside(pts)
    return abs(OWNER.distance(pts[inside]).mean() - 2.0 / 3.0)


# ------------------------------------------------------------------------------- perfect


@pytest.mark.parametrize("p0", [UNIFORM, gaussian_p0()], ids=["uniform", "gaussian"])
def test_perfect_limit_is_p0_restricted_to_the_shared_disc(p0):
    p = limit(PERFECT, p0)
    assert p[~A_O].sum() < 1e-12
    ratio = p[A_O] / p0[A_O]
    assert ratio.max() / ratio.min() - 1 < 1e-9  # ratios of p0 inside preserved
    assert total_variation(p, restricted(p0, A_O)) < 1e-9


def test_perfect_mean_distance_is_two_thirds_within_grid_error():
    p = limit(PERFECT)
    d = mean_distance(p, POINTS, OWNER.centre)
    # the limit is exactly uniform on the disc's grid points ...
    assert abs(d - OWNER.distance(POINTS[A_O]).mean()) < 1e-9
    # ... whose mean distance tends to 2/3 as the grid is refined
    assert abs(d - 2 / 3) == pytest.approx(grid_error_of_disc_mean(SIZE), abs=1e-9)
    assert abs(d - 2 / 3) < grid_spacing(SIZE, LOW, HIGH) / 10
    assert grid_error_of_disc_mean(321) < grid_error_of_disc_mean(SIZE) / 3


def test_perfect_limit_is_independent_of_order_and_pools():
    p0 = gaussian_p0()
    reference = restricted(p0, A_O)
    for pools in [(10, 4), (4, 10), (2, 2), (10, 10), (30, 1)]:
        for order in ("owner-first", "public-first"):
            assert total_variation(limit(PERFECT, p0, pools, order), reference) < 1e-9, (
                pools,
                order,
            )


# ------------------------------------------------------------------------------- partial


@pytest.mark.parametrize("p0", [UNIFORM, gaussian_p0()], ids=["uniform", "gaussian"])
@pytest.mark.parametrize("order", ["owner-first", "public-first"])
def test_partial_limit_is_p0_restricted_to_the_lens(p0, order):
    a_p = PARTIAL.inside(POINTS)
    lens = A_O & a_p
    p = limit(PARTIAL, p0, order=order)
    assert p[A_O & ~a_p].sum() < 1e-12
    assert p[a_p & ~A_O].sum() < 1e-12
    assert total_variation(p, restricted(p0, lens)) < 1e-9
    if p0 is UNIFORM:  # uniform on the lens: x in [0.5, 1], mean distance ≈ 0.81 to both centres
        assert POINTS[lens, 0].min() == pytest.approx(0.5) and POINTS[
            lens, 0
        ].max() == pytest.approx(1.0)
        assert mean_distance(p, POINTS, OWNER.centre) == pytest.approx(0.81, abs=0.01)
        assert mean_distance(p, POINTS, PARTIAL.centre) == pytest.approx(0.81, abs=0.01)
        # lens area 0.453: the grid count converges to it as the grid is refined
        errors = [abs(lens_area(size) - 0.453) for size in (SIZE, 321)]
        assert errors[0] < 0.04 and errors[1] < errors[0] / 3


# ------------------------------------------------------------------------------ disjoint


def test_disjoint_limit_is_the_owner_edge_nearest_the_public():
    p = limit(DISJOINT)
    edge = edge_mask(POINTS, OWNER, DISJOINT)
    assert edge.sum() == 1
    np.testing.assert_array_equal(POINTS[edge][0], [1.0, 0.0])
    assert p[edge].sum() > 1 - 1e-9
    h = grid_spacing(SIZE, LOW, HIGH)
    assert mean_distance(p, POINTS, OWNER.centre) == pytest.approx(1.0, abs=h / 2)
    assert mean_distance(p, POINTS, DISJOINT.centre) == pytest.approx(2.0, abs=h / 2)
    assert p[DISJOINT.inside(POINTS)].sum() < 1e-12  # public satisfaction → 0


def test_disjoint_pool_size_beats_move_order():
    """K = 10, M = 4: the owner wins even when moving second."""
    p = limit(DISJOINT, order="public-first")
    assert p[edge_mask(POINTS, OWNER, DISJOINT)].sum() > 1 - 1e-9


@pytest.mark.parametrize("pool", [4, 10])
def test_disjoint_with_equal_pools_the_first_mover_wins(pool):
    owner_first = limit(DISJOINT, pools=(pool, pool), order="owner-first")
    public_first = limit(DISJOINT, pools=(pool, pool), order="public-first")
    assert owner_first[edge_mask(POINTS, OWNER, DISJOINT)].sum() > 1 - 1e-9
    public_edge = edge_mask(POINTS, DISJOINT, OWNER)
    np.testing.assert_array_equal(POINTS[public_edge][0], [2.0, 0.0])
    assert public_first[public_edge].sum() > 1 - 1e-9
    assert total_variation(owner_first, public_first) == pytest.approx(1.0, abs=1e-9)


# ------------------------------------------------------------------------ path dependence


@pytest.mark.parametrize("public", [PERFECT, PARTIAL], ids=["perfect", "partial"])
def test_path_dependence_when_the_limit_set_has_several_cells(public):
    target = A_O & public.inside(POINTS)
    assert target.sum() > 1
    p0_a, p0_b = UNIFORM, gaussian_p0()
    assert p0_a.min() > 0 and p0_b.min() > 0  # both have full support
    lim_a, lim_b = limit(public, p0_a), limit(public, p0_b)
    tv = total_variation(lim_a, lim_b)
    assert tv > 0.01  # the initial distribution is not forgotten
    assert tv == pytest.approx(
        total_variation(restricted(p0_a, target), restricted(p0_b, target)), abs=1e-9
    )


def test_no_path_dependence_when_the_limit_is_one_cell():
    assert total_variation(limit(DISJOINT), limit(DISJOINT, gaussian_p0())) < 1e-9
