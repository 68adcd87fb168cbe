"""Implicit-function-theorem gradients through the platform's argmin (docs/model.md §4).

The platform deploys θ(X', y') = argmin_θ L(θ; X', y', w), L the learner's
weighted regularised objective. At the minimiser ∇θL = 0, so a perturbation of
the reported data moves θ by

    dθ = −H⁻¹ d(∇θL),   H = ∇²θL(θ),

and a collective objective U(X', y') = Σ_{i∈M} ω_i u(x'_i, y'_i; θ(X', y'))
has the gradient

    ∂U/∂x'_i = ω_i ∇x u_i − w_i Σ_k v_k ∂(∇θℓ_i)_k/∂x'_i,   v = H⁻¹ ∇θU,

(the second term is the learner's ``mixed_vjp`` with v), and likewise for the
labels. H is only ever *solved* against, never inverted. All functions are pure
numpy/scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from platform_abm.common.errors import InputError, SimulationError
from platform_abm.common.learners import Learner
from platform_abm.platform.user_utility import (
    LabelTarget,
    LinearQuadratic,
    LossAlignment,
    TargetModel,
    Utility,
)

Array = np.ndarray


def normalised(weights: Array | None, n: int) -> Array:
    """Weights summing to one (uniform when None)."""
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def counts(weights: Array | None, n: int) -> Array:
    """Training weights in sample-count units (ones when None).

    The learners read Σ w as the effective sample size (it sets their default
    penalty λ = 1/Σw), so weights are passed to them un-normalised.
    """
    return np.ones(n) if weights is None else np.asarray(weights, dtype=float)


def solve_hessian(H: Array, rhs: Array) -> Array:
    """Solve H x = rhs for a symmetric positive definite Hessian (Cholesky).

    Args:
        H: Hessian, shape (d, d).
        rhs: Right-hand side(s), shape (d,) or (d, k).

    Returns:
        The solution.

    Raises:
        SimulationError: If H is singular or not positive definite.
    """
    try:
        return linalg.solve(H, rhs, assume_a="pos")
    except (linalg.LinAlgError, ValueError) as exc:
        raise SimulationError(
            "the learner's Hessian at the deployed model is singular; the implicit gradient "
            "is undefined (add regularisation: learner.reg > 0)"
        ) from exc


def loss_label_derivative(learner: Learner, theta: Array, X: Array, y: Array) -> Array:
    """∂ℓ(x_i, y_i; θ)/∂y_i per sample.

    Exact for losses that are polynomials of degree ≤ 2 in the label (logistic:
    linear; squared: quadratic), by a central difference of unit step.
    """
    return 0.5 * (learner.sample_loss(theta, X, y + 1.0) - learner.sample_loss(theta, X, y - 1.0))


def gradient_label_derivative(learner: Learner, theta: Array, X: Array, y: Array) -> Array:
    """∂(∇θℓ_i)/∂y_i per sample, shape (n, d).

    Exact for losses whose θ-gradient is affine in the label (logistic and
    squared loss: ∇θℓ = (f(x·θ) − y)x).
    """
    return learner.sample_gradient(theta, X, y + 1.0) - learner.sample_gradient(theta, X, y)


def utility_grad_y(utility: Utility, theta: Array, X: Array, y: Array, X_base: Array) -> Array:
    """Per-user derivative of the utility in the reported label.

    Args:
        utility: The utility.
        theta: Parameters.
        X: Reported features.
        y: Reported labels.
        X_base: Base features.

    Returns:
        ∂u_i/∂y'_i, shape (n,).

    Raises:
        InputError: If the utility depends on the label in an unknown way.
    """
    grad_y = getattr(utility, "grad_y", None)
    if callable(grad_y):
        return np.asarray(grad_y(theta, X, y, X_base), dtype=float)
    if isinstance(utility, LossAlignment):
        return utility.sign * loss_label_derivative(utility.learner, theta, X, y)
    if isinstance(utility, TargetModel | LabelTarget | LinearQuadratic):
        return np.zeros(len(y))
    raise InputError(
        f"utility '{utility.name}'.grad_y", None, "a gradient in the reported label for label edits"
    )


@dataclass
class LeaderGradient:
    """Value and implicit gradient of a collective objective at one data set.

    Attributes:
        value: U = Σ_{i∈M} ω_i u_i.
        grad_theta: ∇θU, shape (d,).
        v: H⁻¹ ∇θU, shape (d,).
        grad_x: Total derivative ∂U/∂x'_i for the members, shape (m, d).
        grad_y: Total derivative ∂U/∂y'_i for the members, shape (m,) (zeros
            unless labels were requested).
        direct_x: The direct part ω_i ∇x u_i, shape (m, d).
        direct_y: The direct part in the labels, shape (m,).
    """

    value: float
    grad_theta: Array
    v: Array
    grad_x: Array
    grad_y: Array
    direct_x: Array
    direct_y: Array


def leader_gradient(
    learner: Learner,
    theta: Array,
    X: Array,
    y: Array,
    weights: Array | None,
    members: Array,
    utility: Utility,
    X_base_members: Array,
    member_weights: Array | None = None,
    labels: bool = False,
) -> LeaderGradient:
    """Implicit gradient of the members' utility through the learner's argmin.

    Args:
        learner: The platform's learner (θ must be its minimiser on X, y, w).
        theta: The deployed parameters.
        X: Reported features of the whole training population, shape (n, d).
        y: Reported labels, shape (n,).
        weights: Training weights in sample-count units (ones if None); their
            normalised values are the w_i of the objective.
        members: Row indices of the members in X.
        utility: The members' utility.
        X_base_members: The members' base features, shape (m, d).
        member_weights: Weights ω of the members in U (normalised; uniform).
        labels: Also compute the gradient in the reported labels.

    Returns:
        The value, ∇θU, H⁻¹∇θU and the total and direct data gradients.
    """
    w = normalised(weights, len(y))
    members = np.asarray(members)
    omega = normalised(member_weights, len(members))
    Xm, ym = X[members], y[members]
    value = float(omega @ utility.value(theta, Xm, ym, X_base_members))
    g_theta = omega @ utility.grad_theta(theta, Xm, ym, X_base_members)
    v = solve_hessian(learner.hessian(theta, X, y, counts(weights, len(y))), g_theta)
    direct_x = omega[:, None] * utility.grad_x(theta, Xm, ym, X_base_members)
    grad_x = direct_x - w[members, None] * learner.mixed_vjp(theta, Xm, ym, v)
    if labels:
        direct_y = omega * utility_grad_y(utility, theta, Xm, ym, X_base_members)
        grad_y = direct_y - w[members] * (gradient_label_derivative(learner, theta, Xm, ym) @ v)
    else:
        direct_y = np.zeros(len(members))
        grad_y = direct_y.copy()
    return LeaderGradient(
        value=value,
        grad_theta=g_theta,
        v=v,
        grad_x=grad_x,
        grad_y=grad_y,
        direct_x=direct_x,
        direct_y=direct_y,
    )
