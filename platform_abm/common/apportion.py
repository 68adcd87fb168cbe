"""Apportionment: whole counts per group, summing to a total, by the largest-remainder rule."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def largest_remainder_counts(quotas: ArrayLike, total: int) -> np.ndarray:
    """Round real quotas to integer counts that sum to ``total`` (Hamilton's method).

    Every group first gets the floor of its quota; the units still missing to
    reach ``total`` go one each to the groups with the largest fractional
    parts, ties to the earlier group. The caller states the quotas (for
    instance ``fractions · n``) so that they are computed exactly as the caller
    defines them: one ulp in a quota can decide a tie between remainders.

    Args:
        quotas: Non-negative quotas, one per group, summing to ``total`` up to
            rounding.
        total: The whole number the counts must add up to.

    Returns:
        Integer counts, one per quota, summing to ``total``.
    """
    raw = np.asarray(quotas, dtype=float)
    counts = np.floor(raw).astype(int)
    missing = total - counts.sum()
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:missing]] += 1
    return counts
