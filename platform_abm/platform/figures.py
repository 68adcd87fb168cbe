"""The platform family's run figures: what ``platform-abm run`` draws from a round table."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure


def drift_figure(table: pd.DataFrame, title: str) -> Figure:
    """Drift ||θ_{t+1} − θ_t|| per round on a log scale.

    Args:
        table: Round table with ``round`` and ``drift`` columns.
        title: Figure title.

    Returns:
        The figure.
    """
    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    positive = table[table["drift"] > 0]
    axes.semilogy(positive["round"], positive["drift"], marker="o")
    axes.set_xlabel("round t")
    axes.set_ylabel(r"$\|\theta_{t+1}-\theta_t\|$")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    return figure
