"""The curation page's plots: the distribution p_t as a heat map and the metrics over the rounds.

Each plot is a :class:`~platform_abm.viz.plots.LivePlot`: created once per
model, then updated from the model's state (its ``p``, its initial record and
its DataCollector) every round; the curves start at the initial state
(round 0). The heat map is drawn by the curation package's own
:func:`~platform_abm.curation.figures.draw_heatmap`; nothing here computes a
metric.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from platform_abm.curation.figures import draw_heatmap, grid_image
from platform_abm.viz.plots import LivePlot, SeriesPlot, plain_log_scale, series

if TYPE_CHECKING:
    from platform_abm.curation.model import CurationModel
    from platform_abm.curation.rewards import DiscReward

HEATMAP_FIGSIZE = (5.4, 3.5)
"""Size of the heat map, in inches (it fits a cell of the page's grid below its select)."""

HEATMAP_SCALES = ("log", "linear")
"""Colour scales of the heat map (the first is the page's default)."""

LOG_DECADES = 12
"""Decades below the largest cell shown by the log colour scale (less is drawn as the floor)."""


def curators(model: CurationModel) -> list[str]:
    """The curators' names: ``owner`` first, then the public factions."""
    return ["owner", *(faction.name for faction in model.factions)]


def curator_discs(model: CurationModel) -> dict[str, DiscReward]:
    """Each curator's reward, whose disc (target set) the heat map outlines."""
    return {"owner": model.owner_reward} | {f.name: f.reward for f in model.factions}


def history(model: CurationModel, name: str) -> np.ndarray:
    """One metric from the initial state (round 0) through every round run.

    Args:
        model: The model.
        name: The metric (a column of the model's results).

    Returns:
        The values, :attr:`~platform_abm.curation.model.CurationModel.initial_record`'s first.
    """
    return np.concatenate([[model.initial_record[name]], series(model, name)])


def _positive(values: np.ndarray) -> np.ndarray:
    """Values with non-positive entries masked (not drawn on a log axis)."""
    return np.where(values > 0, values, np.nan)


class HeatmapPlot(LivePlot):
    """p_t over the grid, with the owner's and the factions' discs outlined.

    Grid fidelity shows the model's distribution; sampled fidelity shows the
    histogram of the round's output on the grid. On the log colour scale the
    colours span :data:`LOG_DECADES` decades below the largest cell, so that
    the mass leaving a region stays visible long after it is negligible on a
    linear scale.

    Args:
        model: The model.
        scale: ``"log"`` or ``"linear"`` colour scale.
    """

    def __init__(self, model: CurationModel, scale: str = HEATMAP_SCALES[0]) -> None:
        super().__init__(model, "", figsize=HEATMAP_FIGSIZE)
        self.scale = scale
        self.note.set_visible(False)
        self.fig.subplots_adjust(left=0.1, right=0.86, top=0.9, bottom=0.13)
        draw_heatmap(self.ax, model.p, model.grid_size, model.low, model.high, curator_discs(model))
        self.image = self.ax.images[0]
        if scale == "log":
            cmap = self.image.get_cmap()
            self.image.set_cmap(cmap.with_extremes(bad=cmap(0.0), under=cmap(0.0)))
            self.image.set_norm(LogNorm())
            colorbar = self.image.colorbar
            colorbar.locator = LogLocator(numticks=7)
            colorbar.formatter = FuncFormatter(lambda value, _: f"{value:.0e}")
            colorbar.ax.yaxis.set_minor_locator(NullLocator())

    def update(self) -> None:
        """Show the current distribution, its colour scale fitted to it."""
        model = self.model
        p = np.asarray(model.p)
        top = float(p.max())
        self.image.set_data(grid_image(p, model.grid_size))
        if self.scale == "log":
            self.image.set_clim(top * 10.0**-LOG_DECADES, top)
        else:
            self.image.set_clim(float(p.min()), top)
        what = "p_t" if model.fidelity == "grid" else "output histogram"
        self.ax.set_title(
            f"{what} at round {model.steps} ({self.scale} scale, largest cell {top:.3g})",
            fontsize=10,
        )


class CuratorCurves(SeriesPlot):
    """One curve per curator of a per-curator metric (``<curator>_<metric>``) over the rounds.

    Args:
        model: The model.
        metric: ``"distance"`` or ``"satisfaction"``.
        title: The plot's title.
        ylabel: Label of the y axis.
    """

    read = staticmethod(history)

    def __init__(self, model: CurationModel, metric: str, title: str, ylabel: str) -> None:
        super().__init__(model, title)
        self.note.set_visible(False)
        self.ax.set_xlabel("round")
        self.ax.set_ylabel(ylabel, fontsize=8)
        for index, name in enumerate(curators(model)):
            (self.lines[f"{name}_{metric}"],) = self.ax.plot(
                [], [], color=f"C{index}", marker="o", markersize=2, label=name
            )
        self.ax.legend(fontsize=7, loc="best")

    def update(self) -> None:
        """Plot every curator's value of every round so far (round 0: the initial state)."""
        rounds = self._draw_series()
        self._rescale()
        self._fit_rounds(rounds, 0.0, 0.3)


class DistancePlot(CuratorCurves):
    """Mean distance of the output to each curator's disc centre."""

    def __init__(self, model: CurationModel) -> None:
        super().__init__(model, "distance", "Mean distance to each curator's centre", "E‖x − c‖")


class SatisfactionPlot(CuratorCurves):
    """Each curator's satisfaction: the mass inside its own disc."""

    def __init__(self, model: CurationModel) -> None:
        super().__init__(model, "satisfaction", "Satisfaction (mass in own disc)", "mass in disc")

    def update(self) -> None:
        """Plot the satisfactions on a fixed [0, 1] axis."""
        super().update()
        self.ax.set_ylim(-0.05, 1.05)


class MassEntropyPlot(SeriesPlot):
    """Mass outside each curator's disc and each faction's target set (log), and the entropy."""

    read = staticmethod(history)

    def __init__(self, model: CurationModel) -> None:
        super().__init__(model, "Mass outside (log) and entropy")
        self.note.set_visible(False)
        self.fig.subplots_adjust(right=0.86)
        ax = self.ax
        ax.set_xlabel("round")
        ax.set_ylabel("mass outside", fontsize=8)
        # Limits are set from the data in update(): no autoscaling (of an empty log axis).
        ax.autoscale(False)
        plain_log_scale(ax)
        ax.set_ylim(1e-3, 1.0)
        for index, name in enumerate(curators(model)):
            (self.lines[f"mass_outside_{name}"],) = ax.plot(
                [], [], color=f"C{index}", label=f"outside disc ({name})"
            )
            if name != "owner":
                (self.lines[f"mass_outside_target_{name}"],) = ax.plot(
                    [], [], color=f"C{index}", linestyle="--", label=f"outside target ({name})"
                )
        self.entropy_ax = ax.twinx()
        self.entropy_ax.set_ylabel("entropy (nats)", fontsize=8)
        (self.entropy,) = self.entropy_ax.plot(
            [], [], color="black", linestyle=":", label="entropy"
        )
        handles = [*self.lines.values(), self.entropy]
        ax.legend(handles=handles, fontsize=6, loc="lower left")

    def update(self) -> None:
        """Plot the masses (zeros are not drawn) and the entropy of every round so far."""
        rounds = self.read(self.model, "round")
        shown = []
        for key, line in self.lines.items():
            values = _positive(self.read(self.model, key))
            line.set_data(rounds, values)
            shown.append(values[np.isfinite(values)])
        masses = np.concatenate(shown) if shown else np.empty(0)
        low = float(masses.min()) if masses.size else 1e-3
        high = float(masses.max()) if masses.size else 1.0
        self.ax.set_ylim(low / 3, high * 3)
        entropy = self.read(self.model, "entropy")
        self.entropy.set_data(rounds, entropy)
        self.entropy_ax.set_ylim(0.0, max(1e-9, float(entropy.max(initial=0.0))) * 1.08)
        self._fit_rounds(rounds, 0.0, 0.3)
