"""Metrics of coordination: B, Φ (Theorem 5), the Theorem-5' norm, Ψ and ∂U_α/∂α.

Notation (docs/model.md §4): h* is the selfish equilibrium with stable model θ*,
h♯ the collective's (Stackelberg) strategy, U(h) the members' mean utility at
the model the platform fits on the data h produces.

* Benefit of coordination B = U(h♯) − U(h*).
* Alignment Φ = ⟨E_{D*}∇θu(θ*), ∇θL_{D♯}(θ*)⟩_{H*⁻¹} with H* the learner's
  Hessian on D*; Theorem 5 bounds B ≤ Φ²/(2γ) when U is γ-strongly concave
  along the (linear) strategy space.
* Theorem 5': B is bounded through the squared norm of the implicit gradient of
  U in the strategy at h*; :func:`implicit_gradient_norm` computes it with the
  correct contraction (``"paper"``) or with the figure-2 notebook's contraction
  over the data-feature index (``"notebook"``).
* Ψ = ⟨E_{D_h}∇θu, ∇θL_{D_h}⟩_{H⁻¹} at θ*_α, H the Hessian on
  D_α = αD_h + (1−α)D0; Proposition 6: ∂U_α/∂α = −Ψ/(1−α).

All functions are pure numpy; Hessians are solved against, never inverted.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from platform_abm.common.errors import InputError
from platform_abm.common.learners import Learner
from platform_abm.platform.collective.implicit import counts, normalised, solve_hessian
from platform_abm.platform.user_utility import Utility

Array = np.ndarray


def mean_utility(
    utility: Utility,
    theta: Array,
    X: Array,
    y: Array,
    X_base: Array,
    weights: Array | None = None,
) -> float:
    """Weighted mean utility E u(z'; θ) of a group (the U of docs/model.md §1).

    Args:
        utility: The group's utility.
        theta: Deployed parameters.
        X: Reported features of the group.
        y: Reported labels.
        X_base: Base features of the group.
        weights: Optional weights (normalised).

    Returns:
        The mean utility.
    """
    return float(normalised(weights, len(y)) @ utility.value(theta, X, y, X_base))


def benefit(u_sharp: float, u_star: float) -> float:
    """Benefit of coordination B = U(h♯) − U(h*)."""
    return float(u_sharp - u_star)


def h_inner(H: Array, a: Array, b: Array) -> float:
    """⟨a, b⟩_{H⁻¹} = aᵀ H⁻¹ b, by a Cholesky solve.

    Args:
        H: Symmetric positive definite matrix, shape (d, d).
        a: Vector, shape (d,).
        b: Vector, shape (d,).

    Returns:
        The inner product.
    """
    return float(np.asarray(a, float) @ solve_hessian(np.asarray(H, float), np.asarray(b, float)))


def alignment_phi(H_star: Array, grad_u_star: Array, grad_loss_sharp: Array) -> float:
    """Φ of Theorem 5: ⟨E_{D*}∇θu(θ*), ∇θL_{D♯}(θ*)⟩_{H*⁻¹}.

    Args:
        H_star: Learner's Hessian on D* at θ*.
        grad_u_star: E_{D*}∇θu(z, θ*) of the members.
        grad_loss_sharp: Gradient of the learner's objective on D♯ at θ*.

    Returns:
        Φ.
    """
    return h_inner(H_star, grad_u_star, grad_loss_sharp)


def theorem5_bound(phi: float, gamma: float) -> float:
    """Upper bound Φ²/(2γ) of Theorem 5.

    Raises:
        InputError: If γ is not positive.
    """
    if not gamma > 0:
        raise InputError("gamma", gamma, "a strong-concavity constant > 0")
    return float(phi**2 / (2.0 * gamma))


def segment_gamma(u_start: float, u_mid: float, u_end: float) -> float:
    """Concavity γ = −U''(t) of U along the segment from h* (t = 0) to h♯ (t = 1).

    Exact when U is quadratic along the segment (as in the Appendix-B
    triangle); a second difference otherwise.

    Args:
        u_start: U at t = 0.
        u_mid: U at t = 1/2.
        u_end: U at t = 1.

    Returns:
        γ.
    """
    return float(-4.0 * (u_start - 2.0 * u_mid + u_end))


def psi(H: Array, grad_u_h: Array, grad_loss_h: Array) -> float:
    """Ψ of Proposition 6: ⟨E_{D_h}∇θu, ∇θL_{D_h}⟩_{H⁻¹} at θ*_α.

    ``grad_loss_h`` is the gradient of the learner's objective with all the
    weight on the collective's points (it includes the regulariser, which
    makes −Ψ/(1−α) the exact derivative).

    Args:
        H: Learner's Hessian on D_α at θ*_α.
        grad_u_h: E_{D_h}∇θu.
        grad_loss_h: ∇θ of the learner's objective on D_h.

    Returns:
        Ψ.
    """
    return h_inner(H, grad_u_h, grad_loss_h)


def du_dalpha(psi_value: float, alpha: float) -> float:
    """∂U_α/∂α = −Ψ/(1−α) (Proposition 6).

    Raises:
        InputError: If α is outside [0, 1).
    """
    if not 0 <= alpha < 1:
        raise InputError("alpha", alpha, "a collective size in [0, 1)")
    return float(-psi_value / (1.0 - alpha))


def mixture_psi(
    learner: Learner,
    theta: Array,
    X: Array,
    y: Array,
    weights: Array,
    group: Array,
    utility: Utility,
    X_base_group: Array,
) -> float:
    """Ψ on a weighted training set whose rows ``group`` carry the collective's points.

    Args:
        learner: The learner (θ its minimiser on X, y, weights).
        theta: θ*_α.
        X: Training features (collective's reports and the other points).
        y: Training labels.
        weights: Training weights in sample-count units (α of the total on the
            group, 1−α elsewhere).
        group: Row indices of the collective's points.
        utility: The members' utility.
        X_base_group: Base features of the group's rows.

    Returns:
        Ψ.
    """
    raw = counts(weights, len(y))
    w = normalised(raw, len(y))
    group = np.asarray(group)
    per_sample = learner.sample_gradient(theta, X, y)
    # The regulariser's gradient, read off the full objective (its λ depends on Σw).
    reg = learner.gradient(theta, X, y, raw) - w @ per_sample
    w_h = normalised(w[group], len(group))
    Xg, yg = X[group], y[group]
    grad_u = w_h @ utility.grad_theta(theta, Xg, yg, X_base_group)
    grad_l = w_h @ per_sample[group] + reg
    return psi(learner.hessian(theta, X, y, raw), grad_u, grad_l)


def implicit_gradient_rows(
    learner: Learner,
    theta: Array,
    X: Array,
    y: Array,
    weights: Array | None,
    members: Array,
    grad_theta_u: Array,
    contraction: str = "paper",
    pseudo_inverse: bool = False,
) -> Array:
    """Implicit (through-the-learner) part of ∂U/∂x'_i for the members, up to sign.

    With J[k, i, f] = ∂(∇θL)_k/∂x_{i,f} = w_i ∂(∇θℓ_i)_k/∂x_{i,f} and
    v = H⁻¹∇θU, the paper's row i is Σ_k J[k, i, ·] v_k (Theorem 5'). The
    figure-2 notebook contracts J over its data-feature index instead,
    Σ_f J[·, i, f] v_f; for the logistic loss that row is
    w_i[σ'_i (θ·v) x_i + (σ_i − y_i) v].

    Args:
        learner: The learner.
        theta: Parameters at h*.
        X: Training features at h*.
        y: Training labels.
        weights: Training weights (sample-count units; ones if None).
        members: Rows whose data the collective controls.
        grad_theta_u: ∇θU at h*.
        contraction: ``"paper"`` or ``"notebook"``.
        pseudo_inverse: Use the Moore–Penrose pseudo-inverse of H (what the
            notebook does; needed for an unregularised, singular H).

    Returns:
        Rows of shape (m, d); the Theorem-5' norm is the squared norm of their
        image under the strategy's vector–Jacobian product.

    Raises:
        InputError: For an unknown contraction.
    """
    w = normalised(weights, len(y))
    members = np.asarray(members)
    H = learner.hessian(theta, X, y, counts(weights, len(y)))
    if pseudo_inverse:
        v = np.linalg.lstsq(H, grad_theta_u, rcond=None)[0]
    else:
        v = solve_hessian(H, grad_theta_u)
    Xm, ym = X[members], y[members]
    if contraction == "paper":
        rows = learner.mixed_vjp(theta, Xm, ym, v)
    elif contraction == "notebook":
        rows = learner.mixed_derivative(theta, Xm, ym) @ v  # contracts f: [i, k]
    else:
        raise InputError("contraction", contraction, "'paper' or 'notebook'")
    return w[members, None] * rows


def implicit_gradient_norm(
    learner: Learner,
    theta: Array,
    X: Array,
    y: Array,
    weights: Array | None,
    members: Array,
    grad_theta_u: Array,
    columns: Array | list[int],
    contraction: str = "paper",
    pseudo_inverse: bool = False,
) -> float:
    """Theorem-5' squared norm for per-member edits of ``columns`` (free edits).

    Σ_{i∈M, f∈columns} row_i[f]² with the rows of :func:`implicit_gradient_rows`.
    """
    rows = implicit_gradient_rows(
        learner, theta, X, y, weights, members, grad_theta_u, contraction, pseudo_inverse
    )
    return float(np.sum(rows[:, list(columns)] ** 2))


def finite_difference(func: Callable[[float], float], x: float, step: float = 1e-4) -> float:
    """Central difference (f(x+h) − f(x−h))/(2h), used to check analytic slopes.

    Args:
        func: Scalar function.
        x: Point.
        step: Step h.

    Returns:
        The slope estimate.
    """
    return float((func(x + step) - func(x - step)) / (2.0 * step))
