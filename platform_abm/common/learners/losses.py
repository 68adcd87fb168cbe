"""Losses of a linear model and their derivatives: what the learners minimise, apart from how.

A loss here is the weighted, L2-regularised mean of a per-sample loss of the
score x·θ,

    L(θ) = Σ_i w_i ℓ(x_i·θ, y_i) / Σ_i w_i + (λ/2) ||P θ||²,

with P the penalty mask. Each loss gives the value, gradient and Hessian of L
in θ and the per-sample derivatives the theory needs: ∇θℓ_i, ∂ℓ_i/∂x_i and the
vector–Jacobian product of ∇θℓ_i with respect to x_i. The solvers
(:mod:`~platform_abm.common.learners.newton`, ...) only decide how to reach the
minimiser, as scikit-learn separates its ``LinearModelLoss`` from
``LogisticRegression``. The solvers' inner loops call the score-level pieces
(:meth:`LogisticLoss.data_value`, :meth:`LogisticLoss.data_gradient`,
:meth:`LogisticLoss.data_hessian`) on scores they keep up to date, in the same
arithmetic order as the θ-level methods, so both give the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import expit

from platform_abm.common.errors import InputError

Array = np.ndarray

GRAM_CHUNK_ROWS = 4096
"""Rows per block of :func:`weighted_gram` (a block stays in cache)."""


def sample_weights(sample_weight: Array | None, n: int) -> tuple[Array | float, float]:
    """Sample weights normalised to sum to one, and their total (the effective n).

    As in scikit-learn, weights count samples: uniform weights 1 (the default)
    make the effective sample size n, which sets the default penalty λ = 1/n.
    Uniform weights are returned as the scalar 1/n, which broadcasts to the
    same products without a pass over an array of n copies.

    Args:
        sample_weight: Non-negative weights, shape (n,), or None (all 1).
        n: Number of samples.

    Returns:
        The normalised weights (an array, or the scalar 1/n) and their total.

    Raises:
        InputError: When the weights are not n non-negative finite values with
            a positive sum.
    """
    if sample_weight is None:
        return 1.0 / n, float(n)
    w = np.asarray(sample_weight, dtype=float)
    total = float(w.sum())
    if w.shape != (n,) or not np.isfinite(total) or total <= 0 or (w < 0).any():
        raise InputError(
            "sample_weight", f"array of shape {w.shape}", f"{n} non-negative finite values"
        )
    return w / total, total


def logistic_loss(z: Array, y: Array) -> Array:
    """Per-sample logistic loss log(1 + e^z) − y·z, computed without overflow.

    Args:
        z: Linear scores x·θ.
        y: Labels in {0, 1}.

    Returns:
        The per-sample losses.
    """
    return np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0.0) - y * z


def weighted_gram(X: Array, c: Array) -> Array:
    """Σ_i c_i x_i x_iᵀ, accumulated over row blocks that stay in cache.

    Args:
        X: Rows x_i, shape (n, d).
        c: Weights, shape (n,).

    Returns:
        The (d, d) matrix.
    """
    gram = np.zeros((X.shape[1], X.shape[1]))
    for start in range(0, len(X), GRAM_CHUNK_ROWS):
        block = X[start : start + GRAM_CHUNK_ROWS]
        gram += block.T @ (block * c[start : start + GRAM_CHUNK_ROWS, None])
    return gram


class Loss(Protocol):
    """What a learner's declared loss provides (see the module docstring)."""

    def value(self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None) -> float:
        """L(θ): the regularised weighted mean loss."""
        ...

    def gradient(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Array:
        """∇L(θ), shape (d,)."""
        ...

    def hessian(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Array:
        """∇²L(θ), shape (d, d)."""
        ...

    def sample_loss(self, theta: Array, X: Array, y: Array) -> Array:
        """ℓ(x_i·θ, y_i), shape (n,)."""
        ...

    def sample_gradient(self, theta: Array, X: Array, y: Array) -> Array:
        """∇θℓ_i, shape (n, d)."""
        ...

    def sample_grad_x(self, theta: Array, X: Array, y: Array) -> Array:
        """∂ℓ_i/∂x_i, shape (n, d)."""
        ...

    def mixed_vjp(self, theta: Array, X: Array, y: Array, v: Array) -> Array:
        """Rows Σ_k v_k ∂(∇θℓ_i)_k/∂x_i, shape (n, d)."""
        ...


@dataclass(frozen=True, slots=True)
class LogisticLoss:
    """The weighted, L2-regularised mean logistic loss (labels 0/1).

    With λ = 1/(C·Σ_i w_i) (1/n for unit weights and C = 1) this is
    scikit-learn's ``LogisticRegression(C=C, fit_intercept=False)`` objective
    with the same sample weights, divided by C·Σ_i w_i.

    Attributes:
        reg: Penalty strength λ; ``None`` means 1/(C·Σ_i w_i).
        penalize_bias: Whether the bias column is penalised (P = I), or left
            out of the penalty.
        bias_index: Column holding the constant bias feature.
        C: scikit-learn's inverse penalty per unit of sample weight, used when
            ``reg`` is None (``inf``: no penalty).
    """

    reg: float | None = None
    penalize_bias: bool = True
    bias_index: int = -1
    C: float = 1.0

    def strength(self, total: float) -> float:
        """The penalty strength λ for data of total sample weight ``total``.

        Raises:
            InputError: For a negative or non-finite ``reg`` (field ``learner.reg``).
        """
        if self.reg is None:
            return 1.0 / (self.C * total)
        if not np.isfinite(self.reg) or self.reg < 0:
            raise InputError("learner.reg", self.reg, "a finite number >= 0 or None")
        return float(self.reg)

    def mask(self, d: int) -> Array:
        """The penalty mask P (ones, with 0 at the bias column when it is not penalised).

        Raises:
            InputError: For a bias column outside the d columns (field ``learner.bias_index``).
        """
        mask = np.ones(d)
        if not self.penalize_bias:
            if not -d <= self.bias_index < d:
                raise InputError(
                    "learner.bias_index", self.bias_index, f"a column index from {-d} to {d - 1}"
                )
            mask[self.bias_index] = 0.0
        return mask

    def penalty_diagonal(self, d: int, total: float) -> Array:
        """λ·P as a vector: the penalty's gradient is this times θ, its Hessian its diagonal."""
        return self.strength(total) * self.mask(d)

    @staticmethod
    def data_value(z: Array, y: Array, w: Array | float) -> float:
        """Σ_i w_i ℓ(z_i, y_i) for scores z and normalised weights w."""
        return float(np.sum(w * logistic_loss(z, y)))

    @staticmethod
    def data_gradient(X: Array, p: Array, y: Array, w: Array | float) -> Array:
        """Σ_i w_i (p_i − y_i) x_i for probabilities p = σ(z) and normalised weights w."""
        return X.T @ (w * (p - y))

    @staticmethod
    def data_hessian(X: Array, p: Array, w: Array | float) -> Array:
        """Σ_i w_i p_i (1 − p_i) x_i x_iᵀ for probabilities p = σ(z)."""
        return weighted_gram(X, w * p * (1.0 - p))

    def value(self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None) -> float:
        """L(θ) = Σ w_i ℓ(x_i·θ, y_i) + (λ/2)||Pθ||² (weights normalised)."""
        w, total = sample_weights(sample_weight, len(y))
        penalty = 0.5 * self.strength(total) * np.sum(self.mask(len(theta)) * theta**2)
        return float(self.data_value(X @ theta, y, w) + penalty)

    def gradient(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Array:
        """∇L(θ) = Σ w_i (σ(x_i·θ) − y_i) x_i + λ P θ."""
        w, total = sample_weights(sample_weight, len(y))
        data = self.data_gradient(X, expit(X @ theta), y, w)
        return data + self.penalty_diagonal(len(theta), total) * theta

    def hessian(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Array:
        """∇²L(θ) = Σ w_i σ_i(1 − σ_i) x_i x_iᵀ + λ P."""
        w, total = sample_weights(sample_weight, len(y))
        data = self.data_hessian(X, expit(X @ theta), w)
        return data + np.diag(self.penalty_diagonal(len(theta), total))

    def sample_loss(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample logistic loss."""
        return logistic_loss(X @ theta, y)

    def sample_gradient(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample gradient (σ(x_i·θ) − y_i) x_i."""
        return (expit(X @ theta) - y)[:, None] * X

    def sample_grad_x(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample (σ(x_i·θ) − y_i) θ."""
        return (expit(X @ theta) - y)[:, None] * theta[None, :]

    def mixed_vjp(self, theta: Array, X: Array, y: Array, v: Array) -> Array:
        """Rows σ'_i (v·x_i) θ + (σ_i − y_i) v."""
        p = expit(X @ theta)
        slope = p * (1.0 - p) * (X @ v)
        return slope[:, None] * theta[None, :] + (p - y)[:, None] * v[None, :]


@dataclass(frozen=True, slots=True)
class SquaredLoss:
    """The weighted mean squared loss with a ridge penalty, Σ_i w_i ½(x_i·θ − y_i)² + (reg/2)||θ||².

    The weights are normalised to sum to one; the ridge penalty does not scale
    with the sample size.

    Attributes:
        reg: Ridge penalty.
    """

    reg: float = 0.0

    def value(self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None) -> float:
        """Weighted mean squared loss plus the ridge penalty."""
        w = sample_weights(sample_weight, len(y))[0]
        return float(np.sum(w * self.sample_loss(theta, X, y)) + 0.5 * self.reg * theta @ theta)

    def gradient(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Array:
        """Gradient Σ w_i (x_i·θ − y_i) x_i + reg·θ."""
        w = sample_weights(sample_weight, len(y))[0]
        return X.T @ (w * (X @ theta - y)) + self.reg * theta

    def hessian(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Array:
        """Hessian Σ w_i x_i x_iᵀ + reg·I (independent of θ)."""
        w = sample_weights(sample_weight, len(y))[0]
        return (X.T * w) @ X + self.reg * np.eye(X.shape[1])

    def sample_loss(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample ½(x·θ − y)²."""
        return 0.5 * (X @ theta - y) ** 2

    def sample_gradient(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample (x·θ − y) x."""
        return (X @ theta - y)[:, None] * X

    def sample_grad_x(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample (x_i·θ − y_i) θ."""
        return (X @ theta - y)[:, None] * theta[None, :]

    def mixed_vjp(self, theta: Array, X: Array, y: Array, v: Array) -> Array:
        """Rows (v·x_i) θ + (x_i·θ − y_i) v."""
        return (X @ v)[:, None] * theta[None, :] + (X @ theta - y)[:, None] * v[None, :]
