"""Round-level measurements and the dynamics regime of a scenario (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def drift(theta_new: Array, theta_old: Array) -> float:
    """Parameter drift ||θ_{t+1} − θ_t|| (Euclidean norm)."""
    return float(np.linalg.norm(theta_new - theta_old))


def largest_remainder_counts(fractions: Array, n: int) -> Array:
    """Integer counts per group that sum to ``n`` and are closest to ``fractions · n``.

    Args:
        fractions: Non-negative fractions summing to 1.
        n: Total count.

    Returns:
        Integer counts, one per fraction.
    """
    raw = np.asarray(fractions, dtype=float) * n
    counts = np.floor(raw).astype(int)
    missing = n - counts.sum()
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:missing]] += 1
    return counts


@dataclass(frozen=True)
class Regime:
    """Which dynamics regime a scenario is in (SPEC.md §3).

    Attributes:
        code: ``static``, ``degenerate``, ``near-degenerate`` or ``performative``.
        explanation: One sentence for the summary and the final table.
    """

    code: str
    explanation: str


def classify_regime(
    levels: Array,
    homogeneous_epsilon: bool,
    has_collectives: bool,
    exact_learner: bool,
    penalize_bias: bool,
) -> Regime:
    """Tell whether the users' responses can move the platform at all.

    Linear-quadratic users with one common ε who respond to (anticipations of)
    the same model all shift the strategic features by nearly the same amount.
    An exact learner whose bias is not penalised absorbs a uniform shift in the
    bias, so θ on the strategic features does not move and RRM is stable after
    one round; a penalised bias makes the absorption approximate, and the
    iterates converge within a few rounds.

    Args:
        levels: Fraction of users per reasoning level.
        homogeneous_epsilon: Whether every user has the same ε.
        has_collectives: Whether any collective is present.
        exact_learner: Whether the learner solves its problem exactly.
        penalize_bias: Whether the learner penalises the bias.

    Returns:
        The regime.
    """
    strategic_share = float(np.sum(levels[1:])) if len(levels) > 1 else 0.0
    if strategic_share == 0.0 and not has_collectives:
        return Regime("static", "no strategic users: the platform is fitted once and stays put")
    if has_collectives or not homogeneous_epsilon or levels[0] > 0:
        return Regime(
            "performative",
            "responses differ across users, so the deployed model shapes the data it is "
            "retrained on (genuinely performative dynamics)",
        )
    if exact_learner and not penalize_bias:
        return Regime(
            "degenerate",
            "every user shifts the strategic features by the same amount and the exact "
            "learner absorbs that shift in its unpenalised bias: stable after one round "
            "(add heterogeneous costs, level-0 users or collectives for real dynamics)",
        )
    return Regime(
        "near-degenerate",
        "every user shifts the strategic features by nearly the same amount, which the "
        "bias almost absorbs: expect convergence within a few rounds whatever ε "
        "(heterogeneous costs, level-0 users or collectives give slower dynamics)",
    )
