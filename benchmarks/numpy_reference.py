"""The "limit" of the design: one round of the simulator's arithmetic in plain numpy.

No Mesa, no agents, no DataCollector: struct-of-arrays state, the level-k
anticipation fits, the vectorised best responses, the collective's fixed
reports, the exact Newton retraining warm-started from θ_t, and the same
per-group aggregates. ``benchmarks/scale.py`` times PlatformModel against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from platform_abm.common.learners import ExactLogistic, single_threaded_blas


@dataclass
class ReferenceState:
    """Arrays of a population sorted by group (collective first, then levels)."""

    X_base: np.ndarray
    X: np.ndarray
    y: np.ndarray
    epsilon: np.ndarray
    strategic: np.ndarray
    blocks: dict[int, slice]
    collective: slice | None
    collective_report: np.ndarray | None
    theta: np.ndarray
    anticipated: list[np.ndarray]
    scratch: np.ndarray


def make_state(
    X: np.ndarray,
    y: np.ndarray,
    strategic: np.ndarray,
    fractions: tuple[float, ...],
    collective_share: float,
    seed: int = 0,
) -> ReferenceState:
    """Sort users into contiguous groups and fit the initial model.

    Args:
        X: Base features (bias last).
        y: Labels.
        strategic: Strategic feature indices.
        fractions: Fractions of the non-collective users per level.
        collective_share: Share of users in the collective.
        seed: Seed for ε and the group assignment.

    Returns:
        The state.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    order = rng.permutation(n)
    X, y = np.asfortranarray(X[order]), y[order]
    n_collective = round(collective_share * n)
    counts = np.floor(np.asarray(fractions) * (n - n_collective)).astype(int)
    counts[-1] = n - n_collective - counts[:-1].sum()
    bounds = np.cumsum([n_collective, *counts])
    blocks = {k: slice(int(bounds[k]), int(bounds[k + 1])) for k in range(len(counts))}
    collective = slice(0, n_collective) if n_collective else None
    report = None
    if collective is not None:
        mean_negative = X[y == 0][:, strategic].mean(axis=0)
        report = X[collective].copy()
        report[:, strategic] += 0.5 * mean_negative
    theta = ExactLogistic().fit(X, y).coef_
    return ReferenceState(
        X_base=X,
        X=X.copy(order="F"),
        y=y,
        epsilon=0.5 * np.exp(0.5 * rng.standard_normal(n)),
        strategic=strategic,
        blocks=blocks,
        collective=collective,
        collective_report=report,
        theta=theta,
        anticipated=[theta],
        scratch=X.copy(order="F"),
    )


def reference_round(state: ReferenceState, learner: ExactLogistic) -> dict[str, float]:
    """One round: anticipation, responses, retraining, aggregates.

    Args:
        state: The population state (updated in place).
        learner: The exact learner.

    Returns:
        The round's aggregates.
    """
    with single_threaded_blas():
        return _round(state, learner)


def _round(state: ReferenceState, learner: ExactLogistic) -> dict[str, float]:
    S, eps = state.strategic, state.epsilon
    depth = max(k for k in state.blocks if state.blocks[k].stop > state.blocks[k].start)
    models = [state.theta]
    scratch = state.scratch
    # consecutive strategic columns are written through a slice (a view, no gather)
    cols = slice(int(S[0]), int(S[-1]) + 1) if np.all(np.diff(S) == 1) else S
    for j in range(1, depth):
        scratch[:, cols] = state.X_base[:, cols] - eps[:, None] * models[-1][S]
        start = state.anticipated[j] if j < len(state.anticipated) else models[-1]
        models.append(learner.fit(scratch, state.y, warm_start=start).coef_.copy())
    state.anticipated = models
    for level, block in state.blocks.items():
        if level > 0:
            shift = eps[block, None] * models[level - 1][S]
            state.X[block, cols] = state.X_base[block, cols] - shift
    if state.collective is not None:
        state.X[state.collective] = state.collective_report
    theta = learner.fit(state.X, state.y, warm_start=state.theta).coef_.copy()
    drift = float(np.linalg.norm(theta - state.theta))
    state.theta = theta
    z = state.X @ theta
    record = {
        "drift": drift,
        "loss": learner.objective(theta, state.X, state.y),
        "accuracy": float(np.mean((z > 0) == (state.y > 0.5))),
    }
    for level, block in state.blocks.items():
        if block.stop == block.start:
            continue
        cost = np.sum((state.X[block] - state.X_base[block]) ** 2, axis=1) / (2 * eps[block])
        record[f"utility_level_{level}"] = float(np.mean(-z[block] - cost))
    return record
