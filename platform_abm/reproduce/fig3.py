"""Figure 3: participants' utility against the collective size α (SPEC.md §6).

A random fraction α ∈ linspace(0.01, 0.99, 10) of the users forms a zero-sum
collective (u = ℓ) that shifts one column with a size-aware strategy; the
others report truthfully; 10 seeds redraw the members. ``notebook``: columns 2
('age') and 10 ('#dependents', the bias), Adam (lr 0.01, 250 steps) through
100 unrolled GD steps; ``paper``: columns 1 and 9, exact learner, implicit
gradients. See :func:`platform_abm.collective.experiments.fig3_utilities`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tqdm import tqdm

from platform_abm import data
from platform_abm.collective.experiments import FEATURE_COLUMNS, check_variant, fig3_utilities
from platform_abm.results import save_figure, save_table

ALPHAS = tuple(float(v) for v in np.linspace(0.01, 0.99, 10))
MAX_BATCH = 20
PUBLISHED = {"age": (0.714, 0.685), "#dependents": (0.698, 0.684), "baseline": 0.650}


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
