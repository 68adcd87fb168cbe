"""Round-level measurements and the dynamics regime of a scenario (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def drift(theta_new: Array, theta_old: Array) -> float:
    """Parameter drift ||θ_{t+1} − θ_t|| (Euclidean norm)."""
    return float(np.linalg.norm(theta_new - theta_old))


MAX_CYCLE_PERIOD = 8
"""Longest cycle :func:`cycle_period` looks for."""

CYCLE_RTOL = 1e-3
"""How closely a cycle must repeat, relative to its smallest step (see :func:`cycle_period`)."""

CYCLE_NOISE_FLOOR = 1e-9
"""Steps below this fraction of max(1, ||θ||) are rounding noise, not movement."""


def cycle_period(
    history: Array,
    tolerance: float = 0.0,
    max_period: int = MAX_CYCLE_PERIOD,
    rtol: float = CYCLE_RTOL,
) -> int | None:
    """The period p ≥ 2 with which the latest iterates repeat, or None.

    With θ_t the last of the iterates, the run cycles with period p when the
    last p iterates repeat the p before them, much more closely than the run
    moves between consecutive rounds:

        gap_p  = max_{0 ≤ j < p} ||θ_{t−j} − θ_{t−j−p}||
        step_p = min_{0 ≤ j < p} ||θ_{t−j} − θ_{t−j−1}||
        gap_p ≤ rtol · step_p   and   step_p > max(tolerance, 1e-9 · max(1, ||θ_t||)).

    The smallest such p is returned. A converging run never qualifies: if it
    converges monotonically (θ_t = θ* + c·rᵗ, 0 < r < 1) the gap exceeds the
    step; if it converges while oscillating (θ_t = θ* + c·(−r)ᵗ) the ratio
    gap_2/step_2 is (1 − r)/r, so it qualifies only when the oscillation decays
    by less than 0.1 % per round (r ≥ 1/(1 + rtol)), which no round limit can
    tell from a cycle. The step must exceed the convergence tolerance (else the
    run has converged) and the rounding noise of θ (else an exactly converged
    run that flips its last bit would look like a cycle).

    Args:
        history: Iterates θ_0, ..., θ_t, shape (t + 1, d), oldest first; only
            the last 2·max_period + 1 are read.
        tolerance: The run's convergence tolerance.
        max_period: Longest period looked for.
        rtol: How closely a period must repeat, relative to its smallest step.

    Returns:
        The period, or None when the iterates do not cycle.
    """
    thetas = np.asarray(history, dtype=float)
    if thetas.ndim != 2 or len(thetas) < 5:
        return None
    thetas = thetas[-(2 * max_period + 1) :]
    count = len(thetas)
    steps = np.linalg.norm(np.diff(thetas, axis=0), axis=1)  # steps[i]: θ_i to θ_{i+1}
    floor = max(float(tolerance), CYCLE_NOISE_FLOOR * max(1.0, float(np.linalg.norm(thetas[-1]))))
    for period in range(2, max_period + 1):
        if count < 2 * period + 1:
            break
        gap = float(
            np.max(np.linalg.norm(thetas[-period:] - thetas[-2 * period : -period], axis=1))
        )
        step = float(np.min(steps[-period:]))
        if step > floor and gap <= rtol * step:
            return period
    return None


@dataclass(frozen=True)
class Regime:
    """Which dynamics regime a scenario is in (``docs/model.md`` §3).

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
