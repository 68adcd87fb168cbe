"""The computations behind figures 2–4 of the paper (SPEC.md §6), without plotting.

Two variants:

* ``paper``: the features the paper names ('age' = column 1,
  '#dependents' = column 9), the exact Newton learner (λ = 1/n) and
  implicit-function-theorem solvers;
* ``notebook``: the columns the public notebooks actually edit (they drop
  column 0 before indexing: 'age' → column 2, '#dependents' → the bias
  column 10) and the notebooks' learners and optimisers (unrolled gradient
  descent, Adam on the data).

Interpretation choices, where the text of the paper leaves room, are stated in
each function's docstring and in the README's "Collectives" section.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from platform_abm.collective import metrics as M
from platform_abm.collective.notebook import (
    UnrolledGD,
    constant_step,
    members_masks,
    notebook_step,
    solve_free_edit_notebook,
    solve_shift_notebook,
)
from platform_abm.collective.solvers import LeaderProblem, stackelberg
from platform_abm.collective.strategies import FeatureShift, FreeEdit
from platform_abm.errors import InputError
from platform_abm.learners import ExactLogistic, GradientDescent, Learner
from platform_abm.utilities import LossAlignment, TargetModel

Array = np.ndarray
Progress = Callable[[int], None] | None

VARIANTS = ("paper", "notebook")
#: Edited column of each figure feature, per variant (SPEC.md §6 code-faithful notes).
FEATURE_COLUMNS: dict[str, dict[str, int]] = {
    "paper": {"age": 1, "#dependents": 9},
    "notebook": {"age": 2, "#dependents": 10},
}
#: Budget on the shift η in the paper variant: what 250 Adam steps of lr 0.01 can reach.
SHIFT_BOUND = 2.5


def check_variant(variant: str) -> None:
    """Raise InputError for an unknown variant."""
    if variant not in VARIANTS:
        raise InputError("variant", variant, f"one of {list(VARIANTS)}")


@dataclass
class Fig2Point:
    """One (feature, λ) point of figure 2."""

    feature: str
    column: int
    lam: float
    u_sharp: float
    u_star: float
    benefit: float
    alignment: float
    alignment_paper: float
    alignment_notebook: float
    alignment_members: float
    mean_edit: float


def _gd200() -> GradientDescent:
    return GradientDescent(steps=200, lr=0.1, reg=0.0)


def fig2_points(
    X: Array,
    y: Array,
    variant: str = "notebook",
    lambdas: Sequence[float] = tuple(np.linspace(0, 1, 10)),
    features: Sequence[str] = ("age", "#dependents"),
    iterations: int = 250,
    progress: Progress = None,
) -> list[Fig2Point]:
    """Benefit of coordination and alignment against λ (figure 2).

    Everybody is in the collective and freely edits one column (one value per
    user, starting from the base values); utility u = ℓ(z'; θ) − λ||θ||².
    h♯ maximises U through the platform's response (notebook: Adam, lr 0.01,
    through 200 steps of unregularised GD with lr 0.1 from θ0 = 0, all λ as
    one batch; paper: L-BFGS-B with implicit gradients through the exact
    learner, edits within ±2.5 of the base value — the reach of 250 Adam steps
    of lr 0.01). h* is the selfish equilibrium: a user's direct incentive
    (σ − y)θ_j does not depend on λ and vanishes only when the platform
    ignores the column; with the column set to 0 for everybody the platform's
    θ_j is exactly 0 (GD from θ0 = 0 never moves it; the penalised exact
    learner neither), so that profile is an equilibrium. B = U(h♯) − U(h*).

    The alignment is the squared norm of the implicit gradient of U along a
    uniform shift of the column, (Σ_i ∂U/∂x_ij)², evaluated on the
    unmanipulated data at the exact learner's model: ``alignment_notebook``
    with the notebook's contraction (J over its data-feature index,
    pseudo-inverse of the unregularised H), ``alignment_paper`` with the
    correct one; ``alignment`` is the variant's own. (At h* itself the
    implicit gradient along the zeroed column vanishes identically: θ*_j = 0
    and (H⁻¹∇θU)_j = 0, so Theorem 5' holds only in its non-concave reading
    there.) ``alignment_members`` is the per-member norm Σ_i (∂U/∂x_ij)²
    (paper contraction) at the same point.

    Args:
        X: Credit features (bias last).
        y: Labels.
        variant: ``paper`` or ``notebook``.
        lambdas: λ grid.
        features: Figure features ('age', '#dependents').
        iterations: Adam iterations (notebook variant).
        progress: Called with the number of finished points.

    Returns:
        One point per (feature, λ).
    """
    check_variant(variant)
    learner: Learner = _gd200() if variant == "notebook" else ExactLogistic()
    exact = ExactLogistic()
    unregularised = ExactLogistic(reg=0.0)
    theta_clean = exact.fit(X, y).coef_
    everyone = np.arange(len(y))
    out: list[Fig2Point] = []
    for feature in features:
        col = FEATURE_COLUMNS[variant][feature]
        X_star = X.copy()
        X_star[:, col] = 0.0
        theta_star = learner.fit(X_star, y).coef_
        if variant == "notebook":
            utilities = [LossAlignment(learner, lam=float(lam)) for lam in lambdas]
            res = solve_free_edit_notebook(
                X,
                y,
                np.ones((len(lambdas), len(y)), dtype=bool),
                col,
                utilities,
                UnrolledGD(steps=200, step_rule=constant_step(0.1)),
                iterations=iterations,
            )
            edits = [X[:, col] + res.delta[k] for k in range(len(lambdas))]
        else:
            strategy = FreeEdit(col, budget=SHIFT_BOUND)
            edits = []
            start = None
            for lam in lambdas:
                problem = LeaderProblem(
                    learner, strategy, LossAlignment(learner, lam=float(lam)), X, y, everyone
                )
                start = stackelberg(problem, params0=start, gtol=1e-7, max_iter=200).params
                edits.append(start)
        for k, lam in enumerate(lambdas):
            utility = LossAlignment(learner, lam=float(lam))
            X_sharp = X.copy()
            X_sharp[:, col] = edits[k]
            theta_sharp = learner.fit(X_sharp, y).coef_
            u_sharp = M.mean_utility(utility, theta_sharp, X_sharp, y, X)
            u_star = M.mean_utility(utility, theta_star, X_star, y, X)
            grad_u = np.mean(
                LossAlignment(exact, lam=float(lam)).grad_theta(theta_clean, X, y, X), axis=0
            )
            shared = {}
            for contraction, fitted in (("paper", exact), ("notebook", unregularised)):
                rows = M.implicit_gradient_rows(
                    fitted,
                    theta_clean,
                    X,
                    y,
                    None,
                    everyone,
                    grad_u,
                    contraction,
                    pseudo_inverse=contraction == "notebook",
                )
                shared[contraction] = float(np.sum(rows[:, col]) ** 2)
                if contraction == "paper":
                    per_member = float(np.sum(rows[:, col] ** 2))
            out.append(
                Fig2Point(
                    feature=feature,
                    column=col,
                    lam=float(lam),
                    u_sharp=u_sharp,
                    u_star=u_star,
                    benefit=M.benefit(u_sharp, u_star),
                    alignment=shared["notebook" if variant == "notebook" else "paper"],
                    alignment_paper=shared["paper"],
                    alignment_notebook=shared["notebook"],
                    alignment_members=per_member,
                    mean_edit=float(np.mean(np.abs(edits[k] - X[:, col]))),
                )
            )
            if progress is not None:
                progress(len(out))
    return out


def fig3_utilities(
    X: Array,
    y: Array,
    variant: str = "notebook",
    alphas: Sequence[float] = tuple(np.linspace(0.01, 0.99, 10)),
    seeds: Sequence[int] = tuple(range(10)),
    feature: str = "age",
    iterations: int = 250,
    progress: Progress = None,
) -> tuple[Array, Array, Array, float]:
    """Participants' utility against the collective size (figure 3).

    A random fraction α of the users (drawn per seed) shifts one column by a
    shared η, the rest report truthfully; zero-sum utility u = ℓ(z'; θ). The
    strategy is size-aware. Notebook: Adam (lr 0.01, ``iterations`` steps) on η
    through 100 unrolled GD steps of size max(1e-3, 1/(i+1)) from θ0 = 0 (all
    (α, seed) problems solved as one batch); paper: L-BFGS-B with implicit
    gradients through the exact learner on D_α = α·D_h + (1−α)·D0, |η| ≤ 2.5.

    Args:
        X: Credit features.
        y: Labels.
        variant: ``paper`` or ``notebook``.
        alphas: Collective sizes.
        seeds: Member-draw seeds.
        feature: 'age' or '#dependents'.
        iterations: Adam iterations (notebook variant).
        progress: Called with the number of finished problems.

    Returns:
        Utilities of shape (len(alphas), len(seeds)), the shifts η and the
        members' truthful utility (η = 0) of the same shape, and the
        no-manipulation baseline (the learner's mean loss over everybody).
    """
    check_variant(variant)
    col = FEATURE_COLUMNS[variant][feature]
    learner: Learner = ExactLogistic()
    utility = LossAlignment(learner, lam=0.0)
    masks = members_masks(len(y), alphas, seeds)
    if variant == "notebook":
        unrolled = UnrolledGD(steps=100, step_rule=notebook_step)
        res = solve_shift_notebook(X, y, masks, col, utility, unrolled, iterations=iterations)
        # Baseline over everybody (the learner's training loss without manipulation).
        everyone = np.ones((1, len(y)), dtype=bool)
        base = float(
            solve_shift_notebook(X, y, everyone, col, utility, unrolled, iterations=0).utility[0]
        )
        if progress is not None:
            progress(len(masks))
        shape = (len(alphas), len(seeds))
        truthful = res.history[0] if iterations else res.utility
        return res.utility.reshape(shape), res.eta.reshape(shape), truthful.reshape(shape), base
    values = np.empty(len(masks))
    etas = np.empty(len(masks))
    truthful = np.empty(len(masks))
    strategy = FeatureShift([col], bound=SHIFT_BOUND)
    for k, mask in enumerate(masks):
        alpha = alphas[k // len(seeds)]
        members = np.flatnonzero(mask)
        problem = LeaderProblem(learner, strategy, utility, X, y, members, alpha=float(alpha))
        sol = stackelberg(problem)
        values[k], etas[k] = sol.value, sol.params[0]
        truthful[k] = problem.value_at(np.zeros(1))[0]
        if progress is not None:
            progress(k + 1)
    theta0 = learner.fit(X, y).coef_
    baseline = float(np.mean(learner.sample_loss(theta0, X, y)))
    shape = (len(alphas), len(seeds))
    return values.reshape(shape), etas.reshape(shape), truthful.reshape(shape), baseline


#: Figure 4: η of the target model and of the three strategies, and their design sizes.
FIG4_TARGET_ETA = 0.552
FIG4_TARGET_ALPHA = 0.3
FIG4_STRATEGIES: tuple[tuple[float, float], ...] = ((0.559, 0.3), (0.340, 0.5), (0.2159, 0.8))
#: Shifted features S of figure 4: all features (the notebooks drop column 0 first and
#: shift the remaining columns, bias included; the paper's S is read as all ten
#: features without the bias).
FIG4_FEATURES: dict[str, tuple[int, ...]] = {
    "paper": tuple(range(10)),
    "notebook": tuple(range(1, 11)),
}


@dataclass
class Fig4Curve:
    """U and Ψ against α for one fixed strategy (figure 4)."""

    eta: float
    design: float
    alphas: Array
    utility: Array  # (len(alphas), trials)
    psi: Array  # (len(alphas), trials)
    psi_pool: Array  # (len(alphas), trials)


def fig4_curves(
    X: Array,
    y: Array,
    variant: str = "notebook",
    alphas: Sequence[float] = tuple(np.linspace(0.1, 0.99, 20)),
    trials: int = 10,
    strategies: Sequence[tuple[float, float]] = FIG4_STRATEGIES,
    progress: Progress = None,
) -> list[Fig4Curve]:
    """Collective utility U and Ψ against the collective size α (figure 4).

    Members are a random fraction α of the label-1 users (drawn per trial); they
    shift the features S by η·μ_S, μ the mean of the label-0 users; the other
    users report truthfully; target-model utility −||θ − θ_target||², with
    θ_target the exact model fitted when a collective of size 0.3 (trial 0's
    draw) plays η = 0.552. Ψ is Proposition 6's alignment of the members'
    utility and loss gradients at the fitted model (the mixture model
    α·D_h + (1−α)·D0); ``psi_pool`` is its analogue for members that replace
    their own points (see :func:`_pool_psi`).

    Args:
        X: Credit features.
        y: Labels.
        variant: ``paper`` or ``notebook`` (the shifted features S).
        alphas: Collective sizes (share of the label-1 users).
        trials: Number of member draws.
        strategies: (η, design size) pairs.
        progress: Called with the number of finished fits.

    Returns:
        One curve per strategy.
    """
    check_variant(variant)
    cols = list(FIG4_FEATURES[variant])
    mu = X[y == 0][:, cols].mean(axis=0)
    strategy = FeatureShift(cols, direction=mu, shared=True)
    learner = ExactLogistic()
    ones = np.flatnonzero(y == 1)
    dummy = TargetModel(np.zeros(X.shape[1]))

    def members_of(alpha: float, trial: int) -> Array:
        rng = np.random.default_rng(trial)
        return np.sort(rng.choice(ones, round(alpha * len(ones)), replace=False))

    target_problem = LeaderProblem(learner, strategy, dummy, X, y, members_of(FIG4_TARGET_ALPHA, 0))
    Xt, yt, wt, _ = target_problem.population(np.array([FIG4_TARGET_ETA]))
    utility = TargetModel(learner.fit(Xt, yt, wt).coef_)
    curves = []
    done = 0
    for eta, design in strategies:
        U = np.empty((len(alphas), trials))
        P = np.empty((len(alphas), trials))
        Q = np.empty((len(alphas), trials))
        for t in range(trials):
            warm = None
            for a, alpha in enumerate(alphas):
                members = members_of(float(alpha), t)
                problem = LeaderProblem(learner, strategy, utility, X, y, members)
                Xs, ys, w, rows = problem.population(np.array([eta]))
                theta = learner.fit(Xs, ys, w, warm_start=warm).coef_
                warm = theta
                U[a, t] = float(np.mean(utility.value(theta, Xs[rows], ys[rows], X[members])))
                P[a, t] = M.mixture_psi(learner, theta, Xs, ys, w, rows, utility, X[members])
                Q[a, t] = _pool_psi(learner, theta, Xs, ys, w, rows, X[members], utility)
                done += 1
                if progress is not None:
                    progress(done)
        curves.append(Fig4Curve(eta, design, np.asarray(alphas, float), U, P, Q))
    return curves


def _pool_psi(
    learner: Learner,
    theta: Array,
    X: Array,
    y: Array,
    weights: Array,
    rows: Array,
    X_base_rows: Array,
    utility: TargetModel,
) -> float:
    """Ψ for a collective that *replaces* its members' own points.

    When members are drawn from a pool (here the label-1 users) and report in
    place of their base points, a larger collective moves the data by
    E_h∇θℓ(reported) − E_h∇θℓ(base) rather than by E_h∇θℓ − E_0∇θℓ; this is
    ⟨E_h∇θu, E_h∇θℓ(x') − E_h∇θℓ(x)⟩_{H⁻¹} (same sign convention as Ψ).
    """
    yr = y[rows]
    diff = np.mean(
        learner.sample_gradient(theta, X[rows], yr)
        - learner.sample_gradient(theta, X_base_rows, yr),
        axis=0,
    )
    grad_u = np.mean(utility.grad_theta(theta, X[rows], yr, X_base_rows), axis=0)
    return M.h_inner(learner.hessian(theta, X, y, weights), grad_u, diff)


def zero_crossing(alphas: Array, values: Array) -> float:
    """First α where ``values`` changes sign from negative to positive (linear interpolation).

    Returns NaN when there is no such crossing.
    """
    for k in range(len(values) - 1):
        if values[k] < 0 <= values[k + 1]:
            frac = -values[k] / (values[k + 1] - values[k])
            return float(alphas[k] + frac * (alphas[k + 1] - alphas[k]))
    return float("nan")
