"""Figures of curation runs, drawn on ``matplotlib.figure.Figure`` (no pyplot, no backend)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from platform_abm.curation.rewards import DiscReward

Array = np.ndarray
_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def grid_image(p: np.ndarray, size: int) -> np.ndarray:
    """A distribution over the grid's cells as the image :func:`draw_heatmap` shows.

    Cell ``i * size + j`` is the point ``(xs[i], ys[j])``
    (:func:`~platform_abm.curation.rewards.grid_points`); image rows are y.

    Args:
        p: Probability vector over the ``size²`` cells.
        size: Grid points per axis.

    Returns:
        Array of shape ``(size, size)`` indexed ``[iy, ix]``.
    """
    return np.asarray(p).reshape(size, size).T


def draw_heatmap(
    ax: Axes,
    p: Array,
    size: int,
    low: float,
    high: float,
    discs: Mapping[str, DiscReward],
    title: str = "",
) -> None:
    """Draw a distribution over the grid with the curators' discs outlined.

    Args:
        ax: Target axes.
        p: Probability vector over the ``size²`` cells.
        size: Grid points per axis.
        low: Lower bound.
        high: Upper bound.
        discs: Curator name → reward (its disc is outlined).
        title: Axes title.
    """
    half = 0.5 * (high - low) / (size - 1)
    image = ax.imshow(
        grid_image(p, size),
        origin="lower",
        extent=(low - half, high + half, low - half, high + half),
        cmap="viridis",
        interpolation="nearest",
    )
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="probability")
    for i, (name, disc) in enumerate(discs.items()):
        ax.add_patch(
            Circle(
                disc.centre,
                disc.radius,
                fill=False,
                lw=1.2,
                ls="-" if i == 0 else "--",
                color=_COLOURS[i % len(_COLOURS)],
                label=name,
            )
        )
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.legend(loc="upper right", fontsize="small")
    if title:
        ax.set_title(title)


def heatmap_figure(
    panels: Sequence[tuple[str, Array]],
    size: int,
    low: float,
    high: float,
    discs: Sequence[Mapping[str, DiscReward]],
    zoom: float | None = 4.5,
) -> Figure:
    """One heat map per panel, side by side.

    Args:
        panels: (title, distribution) pairs.
        size: Grid points per axis.
        low: Lower bound.
        high: Upper bound.
        discs: Per panel, the discs to outline.
        zoom: Half-width of the shown window around the origin (None: whole grid).

    Returns:
        The figure.
    """
    fig = Figure(figsize=(4.6 * len(panels), 4.0), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, p), panel_discs in zip(axes, panels, discs, strict=True):
        draw_heatmap(ax, p, size, low, high, panel_discs, title)
        if zoom is not None:
            ax.set_xlim(max(low, -zoom), min(high, zoom))
            ax.set_ylim(max(low, -zoom), min(high, zoom))
    return fig


def metrics_figure(table: pd.DataFrame, curators: Sequence[str], title: str = "") -> Figure:
    """Round-by-round curves: distances, satisfactions, masses outside target sets, entropy.

    Args:
        table: The DataCollector table (one row per round, column ``round``).
        curators: Curator names (``owner`` first, then the factions).
        title: Figure title.

    Returns:
        The figure.
    """
    fig = Figure(figsize=(10, 7), layout="constrained")
    (a, b), (c, d) = fig.subplots(2, 2)
    rounds = table["round"].to_numpy()
    for i, name in enumerate(curators):
        colour = _COLOURS[i % len(_COLOURS)]
        a.plot(rounds, table[f"{name}_distance"], color=colour, label=name)
        b.plot(rounds, table[f"{name}_satisfaction"], color=colour, label=name)
        c.semilogy(
            rounds,
            _positive(table[f"mass_outside_{name}"]),
            color=colour,
            label=f"outside A ({name})",
        )
        if name != "owner":
            c.semilogy(
                rounds,
                _positive(table[f"mass_outside_target_{name}"]),
                color=colour,
                ls="--",
                label=f"outside target ({name})",
            )
    a.set_ylabel("mean distance to centre")
    b.set_ylabel("satisfaction (mass in own disc)")
    b.set_ylim(-0.05, 1.05)
    c.set_ylabel("mass outside (log)")
    d.plot(rounds, table["entropy"], color="black", label="entropy (nats)")
    d.set_ylabel("entropy (nats)")
    support = d.twinx()
    support.plot(rounds, table["support_size"], color="grey", ls=":", label="support size")
    support.set_ylabel("support size")
    for ax in (a, b, c, d):
        ax.set_xlabel("round")
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def curves_figure(
    tables: Mapping[str, pd.DataFrame], column: str, curators: Sequence[str], ylabel: str
) -> Figure:
    """One panel per regime with one curve per curator (the paper's distance/satisfaction plots).

    Args:
        tables: Regime name → table (columns ``round``, ``{curator}_{column}``).
        column: ``"distance"`` or ``"satisfaction"``.
        curators: Curator names.
        ylabel: Label of the y axis.

    Returns:
        The figure.
    """
    fig = Figure(figsize=(4.2 * len(tables), 3.4), layout="constrained")
    axes = fig.subplots(1, len(tables), squeeze=False, sharey=True)[0]
    for ax, (regime, table) in zip(axes, tables.items(), strict=True):
        for i, name in enumerate(curators):
            ax.plot(
                table["round"],
                table[f"{name}_{column}"],
                color=_COLOURS[i % len(_COLOURS)],
                label=name,
            )
        ax.set_title(regime)
        ax.set_xlabel("round")
        ax.legend(fontsize="small")
    axes[0].set_ylabel(ylabel)
    return fig


def _positive(values: pd.Series) -> Array:
    """Values with non-positive entries masked (for log axes)."""
    v = np.asarray(values, dtype=float)
    return np.where(v > 0, v, np.nan)
