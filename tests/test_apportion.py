"""Tests of platform_abm.common.apportion: the largest-remainder rule."""

from __future__ import annotations

import numpy as np
import pytest

from platform_abm.common.apportion import largest_remainder_counts


@pytest.mark.parametrize(
    ("quotas", "total", "expected"),
    [
        ([2.5, 2.5], 5, [3, 2]),  # a tie goes to the earlier group
        ([0.2, 1.3, 1.5], 3, [0, 1, 2]),  # the largest remainder wins
        ([3.0, 0.0, 2.0], 5, [3, 0, 2]),  # whole quotas are kept
        ([33.333333333333336] * 3, 100, [34, 33, 33]),
        ([0.4, 0.4, 0.2], 1, [1, 0, 0]),
    ],
)
def test_counts_are_the_floors_plus_one_for_the_largest_remainders(quotas, total, expected):
    assert largest_remainder_counts(quotas, total).tolist() == expected


def test_counts_sum_to_the_total_and_stay_within_one_of_the_quota():
    rng = np.random.default_rng(3)
    for _ in range(200):
        fractions = rng.dirichlet(np.ones(rng.integers(1, 8)))
        n = int(rng.integers(0, 10_000))
        counts = largest_remainder_counts(fractions * n, n)
        assert counts.dtype.kind == "i"
        assert counts.sum() == n
        assert np.all(np.abs(counts - fractions * n) < 1.0)


def test_one_ulp_in_a_quota_decides_a_tie():
    # 0.6, 0.3, 0.1 sum to 0.9999999999999999 in floating point: normalising
    # them would turn the tie 93212.4 / 15535.4 the other way, which is why
    # the caller passes its quotas rather than shares.
    fractions = np.array([0.6, 0.3, 0.1])
    n = 155_354
    assert largest_remainder_counts(fractions * n, n).tolist() == [93212, 46606, 15536]
    normalised = n * fractions / fractions.sum()
    assert largest_remainder_counts(normalised, n).tolist() == [93213, 46606, 15535]
