"""Figure 3: participants' utility against the collective size α (SPEC.md §6).

A random fraction α ∈ linspace(0.01, 0.99, 10) of the users forms a zero-sum
collective (u = ℓ) that shifts one column with a size-aware strategy; the
others report truthfully; 10 seeds redraw the members. ``notebook``: columns 2
('age') and 10 ('#dependents', the bias), Adam (lr 0.01, 250 steps) through
100 unrolled GD steps; ``paper``: columns 1 and 9, exact learner, implicit
gradients. See :func:`platform_abm.collective.experiments.fig3_utilities`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tqdm import tqdm

from platform_abm import data
from platform_abm.collective.experiments import (
    FEATURE_COLUMNS,
    SHIFT_BOUND,
    check_variant,
)
from platform_abm.collective.notebook import (
    UnrolledGD,
    members_masks,
    notebook_step,
    solve_shift_notebook,
)
from platform_abm.collective.solvers import LeaderProblem, stackelberg
from platform_abm.collective.strategies import FeatureShift
from platform_abm.learners import ExactLogistic, Learner
from platform_abm.results import save_figure, save_table
from platform_abm.utilities import LossAlignment

Array = np.ndarray
Progress = Callable[[int], None] | None


ALPHAS = tuple(float(v) for v in np.linspace(0.01, 0.99, 10))
MAX_BATCH = 20
PUBLISHED = {"age": (0.714, 0.685), "#dependents": (0.698, 0.684), "baseline": 0.650}


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


def figure(table: pd.DataFrame, variant: str) -> Figure:
    """Mean participants' utility (± one standard deviation over seeds) against α."""
    fig = Figure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    for feature, rows in table.groupby("feature", sort=False):
        ax.plot(rows["alpha"], rows["utility_mean"], marker="o", label=feature)
        ax.fill_between(
            rows["alpha"],
            rows["utility_mean"] - rows["utility_std"],
            rows["utility_mean"] + rows["utility_std"],
            alpha=0.2,
        )
    ax.axhline(table["baseline"].iloc[0], color="grey", ls="--", label="no manipulation")
    ax.set(
        xlabel="collective size α", ylabel="participants' utility", title=f"Figure 3 ({variant})"
    )
    ax.legend()
    fig.tight_layout()
    return fig


def run(
    out_dir: Path,
    variant: str = "notebook",
    seeds: int = 10,
    progress: bool = True,
    data_path: str | None = None,
    alphas: tuple[float, ...] = ALPHAS,
    iterations: int = 250,
) -> pd.DataFrame:
    """Compute figure 3 on the real credit data and write ``fig3.png`` and ``fig3.csv``.

    Args:
        out_dir: Output folder.
        variant: ``notebook`` or ``paper``.
        seeds: Member draws per collective size.
        progress: Show a progress bar.
        data_path: An explicit copy of the Kaggle credit file (default: as
            :func:`~platform_abm.data.find_credit_file` finds it).
        alphas: Collective sizes.
        iterations: Adam iterations of the notebook variant.

    Returns:
        One row per (feature, α) with the mean and standard deviation over seeds.
    """
    check_variant(variant)
    pop = data.load_credit(data_path, seed=0)
    rows = []
    features = ("age", "#dependents")
    bar = tqdm(total=len(features) * len(alphas), desc="fig3", disable=not progress)
    per_batch = max(1, MAX_BATCH // seeds)  # problems per unrolled batch (memory ≈ 15 MB each)
    for feature in features:
        for start in range(0, len(alphas), per_batch):
            chunk = alphas[start : start + per_batch]
            U, eta, truthful, baseline = fig3_utilities(
                pop.X, pop.y, variant, chunk, tuple(range(seeds)), feature, iterations
            )
            for a, alpha in enumerate(chunk):
                rows.append(
                    {
                        "variant": variant,
                        "feature": feature,
                        "column": FEATURE_COLUMNS[variant][feature],
                        "alpha": alpha,
                        "utility_mean": float(U[a].mean()),
                        "utility_std": float(U[a].std()),
                        "eta_mean": float(eta[a].mean()),
                        "truthful_mean": float(truthful[a].mean()),
                        "seeds": seeds,
                        "baseline": baseline,
                    }
                )
            bar.update(len(chunk))
    bar.close()
    table = pd.DataFrame(rows)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_table(table, out_dir / "fig3.csv")
    save_figure(figure(table, variant), out_dir / "fig3.png")
    return table
