"""Figure 4: a fixed strategy's utility U and Ψ against the collective size (SPEC.md §6).

Members are a random fraction α ∈ linspace(0.1, 0.99, 20) of the label-1
users; they shift the features S by η·mean_S(label 0) with η ∈ {0.559, 0.340,
0.2159} (designed for sizes 0.3 / 0.5 / 0.8); target-model utility with
θ_target built from η = 0.552 at size 0.3; 10 trials. ``notebook`` shifts the
columns the notebooks shift (1..10: column 0 dropped, bias kept), ``paper`` the
ten features 0..9. See :func:`platform_abm.collective.experiments.fig4_curves`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tqdm import tqdm

from platform_abm import data
from platform_abm.collective import metrics as M
from platform_abm.collective.experiments import (
    check_variant,
    zero_crossing,
)
from platform_abm.collective.solvers import LeaderProblem
from platform_abm.collective.strategies import FeatureShift
from platform_abm.learners import ExactLogistic, Learner
from platform_abm.results import save_figure, save_table
from platform_abm.utilities import TargetModel

Array = np.ndarray
Progress = Callable[[int], None] | None


ALPHAS = tuple(float(v) for v in np.linspace(0.1, 0.99, 20))
PUBLISHED = {"psi_zero": (0.31, 0.52, 0.84), "U(0.99)": (-0.91, -0.19, -0.011)}


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


def figure(table: pd.DataFrame, variant: str) -> Figure:
    """U and Ψ (mean over trials) against α, one line per strategy."""
    fig = Figure(figsize=(9, 3.6))
    ax_u, ax_p = fig.subplots(1, 2)
    for eta, rows in table.groupby("eta", sort=False):
        label = f"η = {eta:g} (design {rows['design'].iloc[0]:g})"
        ax_u.plot(rows["alpha"], rows["utility_mean"], marker="o", ms=3, label=label)
        ax_p.plot(rows["alpha"], rows["psi_mean"], marker="o", ms=3, label=label)
    ax_p.axhline(0.0, color="grey", lw=0.8)
    ax_u.set(xlabel="collective size α", ylabel="U", title=f"Figure 4 ({variant})")
    ax_p.set(xlabel="collective size α", ylabel="Ψ")
    ax_u.legend(fontsize=8)
    fig.tight_layout()
    return fig


def run(
    out_dir: Path,
    variant: str = "notebook",
    seeds: int = 10,
    progress: bool = True,
    data_path: str | None = None,
    alphas: tuple[float, ...] = ALPHAS,
) -> pd.DataFrame:
    """Compute figure 4 on the real credit data and write ``fig4.png`` and ``fig4.csv``.

    Args:
        out_dir: Output folder.
        variant: ``notebook`` or ``paper``.
        seeds: Number of trials (member draws).
        progress: Show a progress bar.
        data_path: An explicit copy of the Kaggle credit file (default: as
            :func:`~platform_abm.data.find_credit_file` finds it).
        alphas: Collective sizes (share of the label-1 users).

    Returns:
        One row per (strategy, α) with means over trials, plus each strategy's
        Ψ zero crossing and maximiser of U.
    """
    check_variant(variant)
    pop = data.load_credit(data_path, seed=0)
    bar = tqdm(total=len(FIG4_STRATEGIES) * seeds * len(alphas), desc="fig4", disable=not progress)

    def tick(done: int) -> None:
        bar.update(done - bar.n)

    curves = fig4_curves(pop.X, pop.y, variant, alphas, seeds, progress=tick)
    bar.close()
    rows = []
    for c in curves:
        U, P, Q = c.utility.mean(axis=1), c.psi.mean(axis=1), c.psi_pool.mean(axis=1)
        for a, alpha in enumerate(c.alphas):
            rows.append(
                {
                    "variant": variant,
                    "eta": c.eta,
                    "design": c.design,
                    "alpha": float(alpha),
                    "utility_mean": float(U[a]),
                    "utility_std": float(c.utility[a].std()),
                    "psi_mean": float(P[a]),
                    "psi_pool_mean": float(Q[a]),
                    "psi_zero": zero_crossing(c.alphas, P),
                    "psi_pool_zero": zero_crossing(c.alphas, Q),
                    "argmax_U": float(c.alphas[int(np.argmax(U))]),
                    "trials": seeds,
                }
            )
    table = pd.DataFrame(rows)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_table(table, out_dir / "fig4.csv")
    save_figure(figure(table, variant), out_dir / "fig4.png")
    return table
