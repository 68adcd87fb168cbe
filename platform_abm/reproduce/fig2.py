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

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tqdm import tqdm

from platform_abm import data
from platform_abm.collective.experiments import check_variant, fig2_points
from platform_abm.results import save_figure, save_table

LAMBDAS = tuple(float(v) for v in np.linspace(0, 1, 10))
PUBLISHED = {"B(1) age": 1.76, "alignment(1) age": 31.8, "B(0)": 0.0}


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
