"""Metrics of the alignment game (docs/curation.md), as pure numpy functions.

Distributions are probability vectors over a finite set of points (the grid
cells, or equally weighted samples). Target sets are boolean masks over the
same points.
"""

from __future__ import annotations

import numpy as np

from platform_abm.curation.rewards import DiscReward

Array = np.ndarray

#: Cells with less probability than this do not count towards the support size.
SUPPORT_TOLERANCE = 1e-12
#: Rewards within this of the maximum count as maximisers (edge cells).
ARGMAX_TOLERANCE = 1e-9

REGIMES = ("perfect", "partial", "disjoint")


def mean_distance(p: Array, points: Array, centre: tuple[float, float]) -> float:
    """Expected distance E_p||x − c||.

    Args:
        p: Probability vector over ``points``.
        points: Array of shape ``(n, 2)``.
        centre: The centre c.

    Returns:
        The mean distance.
    """
    diff = points - np.asarray(centre, dtype=float)
    return float(np.dot(p, np.sqrt(np.sum(diff * diff, axis=1))))


def mass_on(p: Array, mask: Array) -> float:
    """Probability of a set.

    Args:
        p: Probability vector.
        mask: Boolean mask of the set.

    Returns:
        Σ_{x∈set} p(x).
    """
    return float(np.sum(p[mask]))


def mass_outside(p: Array, mask: Array) -> float:
    """Probability of the complement of a set, summed directly (exact for tiny masses).

    Args:
        p: Probability vector.
        mask: Boolean mask of the set.

    Returns:
        Σ_{x∉set} p(x).
    """
    return float(np.sum(p[~mask]))


def entropy(p: Array) -> float:
    """Shannon entropy in nats (0·log 0 = 0).

    Args:
        p: Probability vector.

    Returns:
        −Σ p log p.
    """
    q = p[p > 0]
    return float(-np.sum(q * np.log(q)))


def support_size(p: Array, tolerance: float = SUPPORT_TOLERANCE) -> int:
    """Number of cells carrying more than ``tolerance`` probability.

    Args:
        p: Probability vector.
        tolerance: Threshold.

    Returns:
        The support size.
    """
    return int(np.count_nonzero(p > tolerance))


def total_variation(p: Array, q: Array) -> float:
    """Total-variation distance ½·Σ|p − q|.

    Args:
        p: Probability vector.
        q: Probability vector of the same shape.

    Returns:
        The distance in [0, 1].
    """
    return 0.5 * float(np.sum(np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float))))


def influence_shares(owner_shift: float, public_shifts: Array) -> tuple[float, Array]:
    """Share of the distribution's movement attributable to each curator.

    Args:
        owner_shift: Total variation moved by the owner (possibly summed over rounds).
        public_shifts: Total variation moved by each faction (weighted by its share).

    Returns:
        The owner's share and each faction's share (NaN when nothing moved).
    """
    public_shifts = np.asarray(public_shifts, dtype=float)
    total = owner_shift + float(public_shifts.sum())
    if total <= 0:
        return float("nan"), np.full(public_shifts.shape, np.nan)
    return owner_shift / total, public_shifts / total


def classify_regime(owner_mask: Array, public_mask: Array) -> str:
    """Alignment regime of an owner and a public faction from their target sets.

    Args:
        owner_mask: A_O on the grid.
        public_mask: A_P on the grid.

    Returns:
        ``"perfect"`` if A_O = A_P, ``"partial"`` if they intersect, else ``"disjoint"``.
    """
    if np.array_equal(owner_mask, public_mask):
        return "perfect"
    if np.any(owner_mask & public_mask):
        return "partial"
    return "disjoint"


def edge_mask(points: Array, within: DiscReward, towards: DiscReward) -> Array:
    """Cells of ``within``'s disc that maximise ``towards``'s reward (argmax_{A} r).

    Args:
        points: Grid points, shape ``(n, 2)``.
        within: The curator whose target set is searched.
        towards: The curator whose reward is maximised.

    Returns:
        Boolean mask of the maximisers (empty if the disc holds no grid point).
    """
    inside = within.inside(points)
    if not inside.any():
        return inside
    r = towards(points)
    best = r[inside].max()
    return inside & (r >= best - ARGMAX_TOLERANCE)


def target_mask(points: Array, owner: DiscReward, public: DiscReward) -> tuple[str, Array]:
    """Regime and the set the limit of p_t concentrates on.

    Perfect: A_O (= A_P). Partial: A_O ∩ A_P. Disjoint: the union of the two
    edges argmax_{A_O} r_P and argmax_{A_P} r_O (which of them wins depends on
    move order and pool sizes).

    Args:
        points: Grid points.
        owner: The owner's reward.
        public: A faction's reward.

    Returns:
        The regime name and the boolean mask of its target set.
    """
    a_o = owner.inside(points)
    a_p = public.inside(points)
    regime = classify_regime(a_o, a_p)
    if regime == "perfect":
        return regime, a_o
    if regime == "partial":
        return regime, a_o & a_p
    return regime, edge_mask(points, owner, public) | edge_mask(points, public, owner)
