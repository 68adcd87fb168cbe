"""Figure 4: a fixed strategy's utility U and Ψ against the collective size (SPEC.md §6).

Members are a random fraction α ∈ linspace(0.1, 0.99, 20) of the label-1
users; they shift the features S by η·mean_S(label 0) with η ∈ {0.559, 0.340,
0.2159} (designed for sizes 0.3 / 0.5 / 0.8); target-model utility with
θ_target built from η = 0.552 at size 0.3; 10 trials. ``notebook`` shifts the
columns the notebooks shift (1..10: column 0 dropped, bias kept), ``paper`` the
ten features 0..9. See :func:`platform_abm.collective.experiments.fig4_curves`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tqdm import tqdm

from platform_abm import data
from platform_abm.collective.experiments import (
    FIG4_STRATEGIES,
    check_variant,
    fig4_curves,
    zero_crossing,
)
from platform_abm.results import save_figure, save_table

ALPHAS = tuple(float(v) for v in np.linspace(0.1, 0.99, 20))
PUBLISHED = {"psi_zero": (0.31, 0.52, 0.84), "U(0.99)": (-0.91, -0.19, -0.011)}


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
