"""How users respond to a model: level-k look-ahead (docs/model.md §3).

Level 0 reports its base point; level 1 best-responds to the deployed θ; level
k ≥ 2 assumes everybody else is level k−1, anticipates the model the platform
would fit on that population and best-responds to it. With G1(θ) = A(D1(θ))
(everyone level 1), level k responds to G1^{k−1}(θ). The anticipated models are
shared by every user of a level, so a round costs K−1 extra fits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import optimize

from platform_abm.common.errors import SimulationError
from platform_abm.common.learners import Learner
from platform_abm.platform.user_utility import (
    LinearQuadratic,
    Utility,
    best_response_linear_quadratic,
)

Array = np.ndarray


def best_response(
    utility: Utility,
    theta: Array,
    X_base: Array,
    y: Array,
    strategic: Array,
    out: Array | None = None,
) -> Array:
    """Each user's best response to θ: argmax over the strategic features of u(x', θ).

    Linear-quadratic users get the closed form x'_S = x_S − ε θ_S; any other
    utility is maximised numerically (L-BFGS on the sum of the users' utilities,
    which is separable across users), using the utility's gradient in x'.

    Args:
        utility: The users' utility.
        theta: Parameters the users respond to, shape (d,).
        X_base: Base features, shape (n, d).
        y: Labels, shape (n,).
        strategic: Indices of the features users may change.
        out: Array to write the reports into (its non-strategic columns must
            hold the base features); a new array when None.

    Returns:
        Reported features, shape (n, d).

    Raises:
        SimulationError: If the numerical maximisation does not converge.
    """
    if isinstance(utility, LinearQuadratic):
        return best_response_linear_quadratic(X_base, theta, utility.epsilon, strategic, out)
    n = len(X_base)

    def negative_total(flat: Array) -> tuple[float, Array]:
        X = X_base.copy()
        X[:, strategic] = flat.reshape(n, len(strategic))
        value = utility.value(theta, X, y, X_base).sum()
        grad = utility.grad_x(theta, X, y, X_base)[:, strategic]
        return -float(value), -grad.ravel()

    start = X_base[:, strategic].ravel()
    result = optimize.minimize(negative_total, start, jac=True, method="L-BFGS-B")
    if not result.success or not np.all(np.isfinite(result.x)):
        raise SimulationError(
            f"the numerical best response of utility '{utility.name}' did not converge "
            f"({result.message}); check that the utility is concave in the features"
        )
    if out is None:
        out = X_base.copy()
    out[:, strategic] = result.x.reshape(n, len(strategic))
    return out


def anticipated_models(
    theta: Array,
    depth: int,
    learner: Learner,
    utility: Utility,
    X_base: Array,
    y: Array,
    strategic: Array,
    warm_starts: Sequence[Array] | None = None,
    scratch: Array | None = None,
) -> list[Array]:
    """The models level 1..depth respond to: [θ, G1(θ), G1²(θ), ..., G1^{depth−1}(θ)].

    Args:
        theta: The deployed parameters.
        depth: The highest reasoning level present (K).
        learner: The platform's learner, used to fit G1.
        utility: The utility with which every user would best-respond.
        X_base: Base features of the whole population.
        y: Labels.
        strategic: Indices of the strategic features.
        warm_starts: Optional previous anticipated models (same layout) to
            warm-start each fit.
        scratch: Optional buffer holding a copy of ``X_base``, reused for the
            all-level-1 populations instead of allocating one per fit.

    Returns:
        A list whose entry k−1 is the model level k best-responds to.
    """
    models = [np.asarray(theta, dtype=float)]
    for j in range(1, depth):
        reported = best_response(utility, models[-1], X_base, y, strategic, out=scratch)
        start = warm_starts[j] if warm_starts is not None and j < len(warm_starts) else models[-1]
        models.append(learner.fit(reported, y, warm_start=start).coef_.copy())
    return models


def level_k_response(
    level: int,
    models: Sequence[Array],
    utility: Utility,
    X_base: Array,
    y: Array,
    strategic: Array,
    out: Array | None = None,
) -> Array:
    """Reports of users of one level, given the shared anticipated models.

    Args:
        level: Reasoning level k ≥ 0.
        models: Output of :func:`anticipated_models` with depth ≥ k.
        utility: The users' utility (restricted to these users' rows).
        X_base: These users' base features.
        y: These users' labels.
        strategic: Indices of the strategic features.
        out: Array to write the reports into (its non-strategic columns must
            hold the base features); a new array when None.

    Returns:
        The reported features of these users.
    """
    if level == 0:
        if out is None:
            return X_base.copy()
        out[...] = X_base
        return out
    return best_response(utility, models[level - 1], X_base, y, strategic, out)
