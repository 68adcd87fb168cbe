"""Metrics of coordination: B, Φ (Theorem 5), the Theorem-5' norm, Ψ and ∂U_α/∂α.

Notation (docs/model.md §4): h* is the selfish equilibrium with stable model θ*,
h♯ the collective's (Stackelberg) strategy, U(h) the members' mean utility at
the model the platform fits on the data h produces.

* Benefit of coordination B = U(h♯) − U(h*).
* Alignment Φ = ⟨E_{D*}∇θu(θ*), ∇θL_{D♯}(θ*)⟩_{H*⁻¹} with H* the learner's
  Hessian on D*; Theorem 5 bounds B ≤ Φ²/(2γ) when U is γ-strongly concave
  along the (linear) strategy space.
* Theorem 5': B is bounded through the squared norm of the implicit gradient of
  U in the strategy at h*; :func:`implicit_gradient_rows` gives its rows with the
  correct contraction (``"paper"``) or with the figure-2 notebook's contraction
  over the data-feature index (``"notebook"``).
* Ψ = ⟨E_{D_h}∇θu, ∇θL_{D_h}⟩_{H⁻¹} at θ*_α, H the Hessian on
  D_α = αD_h + (1−α)D0; Proposition 6: ∂U_α/∂α = −Ψ/(1−α)
  (:func:`mixture_psi`; :func:`replacement_psi` for members who report in
  place of their own points).

:func:`collective_metrics` computes all of them for a solved plan. All functions
are pure numpy; Hessians are solved against, never inverted.
"""

from __future__ import annotations

import numpy as np

from platform_abm.common.errors import InputError
from platform_abm.common.learners import Learner
from platform_abm.platform.collective.implicit import counts, normalised, solve_hessian
from platform_abm.platform.collective.solvers import StrategyResult
from platform_abm.platform.collective.strategies import Strategy
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


def zero_crossing(alphas: Array, values: Array) -> float:
    """First collective size α where a curve (Ψ, ∂U_α/∂α) changes sign from negative to positive.

    Linear interpolation between the two sizes that bracket the change.

    Args:
        alphas: Increasing collective sizes.
        values: The curve at those sizes.

    Returns:
        The size, or NaN when there is no such change.
    """
    for k in range(len(values) - 1):
        if values[k] < 0 <= values[k + 1]:
            frac = -values[k] / (values[k + 1] - values[k])
            return float(alphas[k] + frac * (alphas[k + 1] - alphas[k]))
    return float("nan")


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


def replacement_psi(
    learner: Learner,
    theta: Array,
    X: Array,
    y: Array,
    weights: Array,
    group: Array,
    utility: Utility,
    X_base_group: Array,
) -> float:
    """Ψ for a collective whose reports *replace* its members' own points.

    When members are drawn from a pool (figure 4: the label-1 users) and report
    in place of their base points, a larger collective moves the data by
    E_h∇θℓ(reported) − E_h∇θℓ(base) rather than by E_h∇θℓ − E_0∇θℓ; this is
    ⟨E_h∇θu, E_h∇θℓ(x') − E_h∇θℓ(x)⟩_{H⁻¹} (the sign convention of
    :func:`mixture_psi`, with the same arguments).

    Args:
        learner: The learner (θ its minimiser on X, y, weights).
        theta: The fitted model.
        X: Training features (the members' reports in the rows ``group``).
        y: Training labels.
        weights: Training weights in sample-count units.
        group: Row indices of the members' reports.
        utility: The members' utility.
        X_base_group: The members' base features.

    Returns:
        Ψ.
    """
    yg = y[group]
    diff = np.mean(
        learner.sample_gradient(theta, X[group], yg)
        - learner.sample_gradient(theta, X_base_group, yg),
        axis=0,
    )
    grad_u = np.mean(utility.grad_theta(theta, X[group], yg, X_base_group), axis=0)
    return h_inner(learner.hessian(theta, X, y, weights), grad_u, diff)


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


def collective_metrics(
    learner: Learner,
    utility: Utility,
    strategy: Strategy,
    sharp: StrategyResult,
    star: StrategyResult | None,
    X_base_members: Array,
    n: int,
) -> dict[str, float]:
    """B, Φ, Theorem-5' norms, Ψ and ∂U/∂α of a solved plan (NaN where undefined).

    Args:
        learner: The platform's learner.
        utility: The members' utility.
        strategy: The strategy family.
        sharp: The collective's strategy and the platform's response.
        star: The selfish equilibrium (or None).
        X_base_members: The members' base features.
        n: Population size.

    Returns:
        The metrics dictionary of
        :class:`~platform_abm.platform.collective.plan.CollectivePlan`.
    """
    nan = float("nan")
    rows = sharp.member_rows
    m = len(rows)
    alpha = m / n
    out = {
        "U": sharp.value,
        "U_selfish": nan,
        "B": nan,
        "phi": nan,
        "t5_norm": nan,
        "t5_norm_notebook": nan,
        "psi": nan,
        "dU_dalpha": nan,
        "alpha": alpha,
    }
    Xb = X_base_members
    if alpha < 1:
        out["psi"] = mixture_psi(
            learner, sharp.theta, sharp.X, sharp.y, sharp.weights, rows, utility, Xb
        )
        out["dU_dalpha"] = du_dalpha(out["psi"], alpha)
    if star is None:
        return out
    out["U_selfish"] = star.value
    out["B"] = benefit(sharp.value, star.value)
    theta_s = star.theta
    srows = star.member_rows
    w_s = star.weights
    H = learner.hessian(theta_s, star.X, star.y, w_s)
    grad_u = np.mean(utility.grad_theta(theta_s, star.X[srows], star.y[srows], Xb), axis=0)
    # ∇θ of the learner's objective on D♯ at θ* (same weights, so the same λ).
    grad_l = learner.gradient(theta_s, sharp.X, sharp.y, sharp.weights)
    out["phi"] = alignment_phi(H, grad_u, grad_l)
    if strategy.edited_features():
        for key, contraction in (("t5_norm", "paper"), ("t5_norm_notebook", "notebook")):
            rows = implicit_gradient_rows(
                learner, theta_s, star.X, star.y, w_s, srows, grad_u, contraction
            )
            grad = strategy.vjp(star.params, Xb, star.y[srows], rows, np.zeros(len(srows)))
            out[key] = float(np.sum(grad**2))
    return out
