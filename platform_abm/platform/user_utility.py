"""Users' utilities u(z', θ) and their derivatives (docs/model.md §2).

A utility scores a reported point z' = (x', y') of a user whose base point is
(x, y) under deployed parameters θ. Each utility gives per-user values and the
derivatives the solvers need: in θ (for the alignment metrics Φ and Ψ and the
collective's implicit gradients) and in the reported features x' (for
best responses and strategy optimisation). All functions are pure numpy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

from platform_abm.common.errors import InputError
from platform_abm.common.learners import Learner

Array = np.ndarray


class Utility(ABC):
    """A user utility u(z', θ) evaluated row-wise on a population."""

    name: str = "utility"

    @abstractmethod
    def value(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """Per-user utility, shape (n,).

        Args:
            theta: Deployed parameters, shape (d,).
            X: Reported features, shape (n, d).
            y: Reported labels, shape (n,).
            X_base: Base (true) features, shape (n, d).
        """

    @abstractmethod
    def grad_theta(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """Per-user gradient ∇θu, shape (n, d)."""

    @abstractmethod
    def grad_x(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """Per-user gradient ∇x'u in the reported features, shape (n, d)."""


class LinearQuadratic(Utility):
    """u = −⟨θ, x'⟩ − ||x' − x||² / (2ε): lower score is better, moving costs.

    Args:
        epsilon: Manipulation budget ε > 0, a scalar or one value per user.
    """

    name = "linear-quadratic"

    def __init__(self, epsilon: float | Array) -> None:
        eps = np.asarray(epsilon, dtype=float)
        if not np.all(np.isfinite(eps)) or np.any(eps <= 0):
            raise InputError("users.epsilon", epsilon, "finite values > 0")
        self.epsilon = eps

    def _eps(self) -> Array:
        return self.epsilon[:, None] if self.epsilon.ndim == 1 else self.epsilon

    def value(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """−⟨θ, x'⟩ − ||x' − x||²/(2ε) per user."""
        moved = X - X_base
        cost = np.einsum("ij,ij->i", moved, moved) / (2.0 * self.epsilon)
        return -(X @ theta) - cost

    def grad_theta(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """∇θu = −x'."""
        return -X

    def grad_x(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """∇x'u = −θ − (x' − x)/ε."""
        return -theta[None, :] - (X - X_base) / self._eps()


def best_response_linear_quadratic(
    X_base: Array,
    theta: Array,
    epsilon: float | Array,
    strategic: Array,
    out: Array | None = None,
) -> Array:
    """Closed-form best response of linear-quadratic users: x'_S = x_S − ε θ_S.

    Args:
        X_base: Base features, shape (n, d).
        theta: Parameters the users respond to, shape (d,).
        epsilon: ε, a scalar or one value per user.
        strategic: Indices of the features users may change.
        out: Array to write the reports into (only the strategic columns are
            written: its other columns must already hold the base features).
            A new array when None.

    Returns:
        The reported features.
    """
    eps = np.asarray(epsilon, dtype=float)
    shift = eps[:, None] * theta[strategic][None, :] if eps.ndim else eps * theta[strategic]
    if out is None:
        out = X_base.copy()
    columns = _as_slice(strategic)
    if isinstance(columns, slice):  # write through the view, no temporary copy
        np.subtract(X_base[:, columns], shift, out=out[:, columns])
    else:
        out[:, columns] = X_base[:, columns] - shift
    return out


def _as_slice(indices: Array) -> Array | slice:
    """A run of consecutive column indices as a slice (a view, no gather), else as is."""
    idx = np.asarray(indices)
    if idx.ndim == 1 and len(idx) > 0 and np.all(np.diff(idx) == 1):
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


class LossAlignment(Utility):
    """u = c·ℓ(z'; θ) − λ||θ||²: the alignment family of docs/model.md §2.

    With c = 1 and λ = 0 the users' and the platform's goals are opposed
    (zero-sum); with c = −1 they share the platform's goal.

    Args:
        learner: The platform's learner, whose per-sample loss ℓ is used.
        lam: Weight λ of the −||θ||² term.
        sign: Coefficient c of the loss.
    """

    name = "loss-alignment"

    def __init__(self, learner: Learner, lam: float = 0.0, sign: float = 1.0) -> None:
        if not np.isfinite(lam):
            raise InputError("utility.lambda", lam, "a finite number")
        self.learner = learner
        self.lam = float(lam)
        self.sign = float(sign)

    def value(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """c·ℓ − λ||θ||² per user."""
        return self.sign * self.learner.sample_loss(theta, X, y) - self.lam * float(theta @ theta)

    def grad_theta(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """c·∇θℓ − 2λθ per user."""
        return self.sign * self.learner.sample_gradient(theta, X, y) - 2.0 * self.lam * theta

    def grad_x(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """c·∂ℓ/∂x' per user."""
        return self.sign * self.learner.sample_grad_x(theta, X, y)


class TargetModel(Utility):
    """u = −||θ − θ_target||²: the users want the platform to deploy θ_target.

    Args:
        theta_target: The target parameters, shape (d,).
    """

    name = "target-model"

    def __init__(self, theta_target: Array) -> None:
        self.theta_target = np.asarray(theta_target, dtype=float)

    def value(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """−||θ − θ_target||², the same for every user."""
        return np.full(len(X), -float(np.sum((theta - self.theta_target) ** 2)))

    def grad_theta(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """−2(θ − θ_target) for every user."""
        return np.broadcast_to(-2.0 * (theta - self.theta_target), X.shape).copy()

    def grad_x(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """Zero: the utility does not depend on the report directly."""
        return np.zeros_like(X)


class LabelTarget(Utility):
    """u = −(f_θ(x) − g(x))² for a linear predictor f_θ(x) = x·θ (docs/model.md, Example 1).

    Args:
        target: The function g giving each user's desired prediction from the
            base features.
    """

    name = "label-target"

    def __init__(self, target: Callable[[Array], Array]) -> None:
        self.target = target

    def value(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """−(x·θ − g(x))² evaluated at the base features."""
        return -((X_base @ theta - self.target(X_base)) ** 2)

    def grad_theta(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """−2(x·θ − g(x)) x."""
        return -2.0 * (X_base @ theta - self.target(X_base))[:, None] * X_base

    def grad_x(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """Zero: the prediction is taken at the base features."""
        return np.zeros_like(X)


class CallableUtility(Utility):
    """A user-supplied utility with user-supplied gradients.

    Args:
        value: ``value(theta, X, y, X_base) -> (n,)``.
        grad_theta: Its gradient in θ, ``-> (n, d)``; required by the
            collective solvers and the alignment metrics.
        grad_x: Its gradient in the reported features, ``-> (n, d)``;
            required by best responses and strategy optimisation.
        name: A label for tables.
    """

    def __init__(
        self,
        value: Callable[[Array, Array, Array, Array], Array],
        grad_theta: Callable[[Array, Array, Array, Array], Array] | None = None,
        grad_x: Callable[[Array, Array, Array, Array], Array] | None = None,
        name: str = "custom",
    ) -> None:
        self._value = value
        self._grad_theta = grad_theta
        self._grad_x = grad_x
        self.name = name

    def value(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """The user's value function."""
        return np.asarray(self._value(theta, X, y, X_base), dtype=float)

    def grad_theta(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """The user's θ-gradient; InputError when none was given."""
        if self._grad_theta is None:
            raise InputError(f"utility '{self.name}'.grad_theta", None, "a callable gradient in θ")
        return np.asarray(self._grad_theta(theta, X, y, X_base), dtype=float)

    def grad_x(self, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
        """The user's x'-gradient; InputError when none was given."""
        if self._grad_x is None:
            raise InputError(
                f"utility '{self.name}'.grad_x", None, "a callable gradient in the features"
            )
        return np.asarray(self._grad_x(theta, X, y, X_base), dtype=float)
