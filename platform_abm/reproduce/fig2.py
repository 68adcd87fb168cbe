"""Figure 2: benefit of coordination B and alignment against λ (SPEC.md §6).

Everybody is in the collective and edits one column; the utility is
ℓ − λ||θ||², λ ∈ linspace(0, 1, 10). ``notebook`` edits the columns the public
notebooks edit ('age' → column 2, '#dependents' → the bias column) with their
learner (200 steps of unregularised GD, lr 0.1) and optimiser (Adam on the
data); ``paper`` edits 'age' (column 1) and 'NumberOfDependents' (column 9)
with the exact learner and implicit gradients. See
:func:`platform_abm.collective.experiments.fig2_points` for the definitions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tqdm import tqdm

from platform_abm import data
from platform_abm.collective import metrics as M
from platform_abm.collective.experiments import (
    FEATURE_COLUMNS,
    SHIFT_BOUND,
    check_variant,
)
from platform_abm.collective.notebook import (
    UnrolledGD,
    constant_step,
    solve_free_edit_notebook,
)
from platform_abm.collective.solvers import LeaderProblem, stackelberg
from platform_abm.collective.strategies import FreeEdit
from platform_abm.learners import ExactLogistic, GradientDescent, Learner
from platform_abm.results import save_figure, save_table
from platform_abm.utilities import LossAlignment

Array = np.ndarray
Progress = Callable[[int], None] | None


LAMBDAS = tuple(float(v) for v in np.linspace(0, 1, 10))
PUBLISHED = {"B(1) age": 1.76, "alignment(1) age": 31.8, "B(0)": 0.0}


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


def figure(table: pd.DataFrame, variant: str) -> Figure:
    """B and the alignment metric against λ, one line per feature."""
    fig = Figure(figsize=(9, 3.6))
    ax_b, ax_a = fig.subplots(1, 2)
    for feature, rows in table.groupby("feature", sort=False):
        ax_b.plot(rows["lam"], rows["benefit"], marker="o", label=feature)
        ax_a.plot(rows["lam"], rows["alignment"], marker="o", label=feature)
    ax_b.set(xlabel="λ", ylabel="benefit of coordination B", title=f"Figure 2 ({variant})")
    positive = bool((table["alignment"] > 0).all())
    ax_a.set(
        xlabel="λ", ylabel="alignment (Theorem 5′ norm)", yscale="log" if positive else "linear"
    )
    ax_b.legend()
    fig.tight_layout()
    return fig


def run(
    out_dir: Path,
    variant: str = "notebook",
    seeds: int = 1,
    progress: bool = True,
    data_path: str | None = None,
    lambdas: tuple[float, ...] = LAMBDAS,
    iterations: int = 250,
) -> pd.DataFrame:
    """Compute figure 2 on the real credit data and write ``fig2.png`` and ``fig2.csv``.

    Args:
        out_dir: Output folder (created if needed).
        variant: ``notebook`` or ``paper``.
        seeds: Unused (the experiment is deterministic); kept for the CLI.
        progress: Show a progress bar.
        data_path: An explicit copy of the Kaggle credit file (default: as
            :func:`~platform_abm.data.find_credit_file` finds it).
        lambdas: λ grid.
        iterations: Adam iterations of the notebook variant.

    Returns:
        One row per (feature, λ).
    """
    check_variant(variant)
    pop = data.load_credit(data_path, seed=0)
    features = ("age", "#dependents")
    bar = tqdm(total=len(features) * len(lambdas), desc="fig2", disable=not progress)

    def tick(done: int) -> None:
        bar.update(done - bar.n)

    points = fig2_points(
        pop.X, pop.y, variant, lambdas, features, iterations=iterations, progress=tick
    )
    bar.close()
    table = pd.DataFrame([asdict(p) for p in points])
    table.insert(0, "variant", variant)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_table(table, out_dir / "fig2.csv")
    save_figure(figure(table, variant), out_dir / "fig2.png")
    return table
