"""The platform page's plots: drift, θ, utilities, a feature's histogram and the group view.

Every plot of the rounds so far is a :class:`~platform_abm.viz.plots.LivePlot`
(made once per model, updated every round); the group view, fixed when the
model is built, is one figure (:func:`groups_figure`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from platform_abm.viz.plots import DPI, FIGSIZE, LivePlot, SeriesPlot, plain_log_scale, series

if TYPE_CHECKING:
    from platform_abm.platform.model import PlatformModel

GROUP_SAMPLE = 120
"""Number of users drawn in the group view."""

HISTOGRAM_BINS = 40
"""Number of bins of the feature histogram."""

_LAYOUT_SEED = 0
"""Seed of the group view's sample and layout (never the model's generator)."""


class DriftPlot(LivePlot):
    """Drift ||θ_{t+1} − θ_t|| per round on a log scale, with the convergence tolerance."""

    def __init__(self, model: PlatformModel) -> None:
        super().__init__(model, "Drift ‖θ_{t+1} − θ_t‖")
        ax = self.ax
        ax.set_xlabel("round")
        # Limits are set from the data in update(): no autoscaling (of an empty log axis).
        ax.autoscale(False)
        plain_log_scale(ax)
        ax.set_ylim(1e-16, 1.0)
        (self.line,) = ax.plot([], [], marker="o", markersize=3, color="tab:blue")
        self.tolerance_artists = []
        if model.tolerance > 0:
            self.tolerance_artists = [
                ax.axhline(model.tolerance, color="tab:red", linestyle="--", linewidth=0.8),
                ax.text(
                    0.99,
                    0.02,
                    f"tolerance {model.tolerance:.0e}",
                    ha="right",
                    va="bottom",
                    transform=ax.transAxes,
                    fontsize=7,
                    color="tab:red",
                ),
            ]

    def update(self) -> None:
        """Plot the positive drifts recorded so far."""
        rounds = series(self.model, "round")
        drift = series(self.model, "drift")
        positive = drift > 0
        self.line.set_data(rounds[positive], drift[positive])
        self.note.set_visible(not positive.any())
        low = float(drift[positive].min()) if positive.any() else 1e-16
        high = float(drift[positive].max()) if positive.any() else 1.0
        tolerance = self.model.tolerance
        # Show the tolerance line once the drift comes within four decades of it.
        near = tolerance > 0 and positive.any() and tolerance >= low * 1e-4
        if near:
            low = min(low, tolerance)
            high = max(high, tolerance)
        for artist in self.tolerance_artists:
            artist.set_visible(near)
        self.ax.set_ylim(low / 3, high * 3)
        self._fit_rounds(rounds, 0.5, 0.5)


class ThetaPlot(LivePlot):
    """θ per feature over the rounds, starting from θ_0; strategic features drawn bold."""

    def __init__(self, model: PlatformModel) -> None:
        super().__init__(model, "θ per feature (* strategic)")
        self.fig.subplots_adjust(right=0.68)
        self.ax.set_xlabel("round")
        self.note.set_visible(False)
        strategic = set(model.strategic.tolist())
        self.lines = []
        for index, name in enumerate(model.feature_names):
            bold = index in strategic
            (line,) = self.ax.plot(
                [],
                [],
                linewidth=1.8 if bold else 0.8,
                alpha=1.0 if bold else 0.55,
                marker="o" if bold else None,
                markersize=2.5,
                label=name[:22] + (" *" if bold else ""),
            )
            self.lines.append(line)
        self.ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=6, frameon=False)

    def update(self) -> None:
        """Plot θ_0 at round 0 and the retrained θ of every round since."""
        rounds = np.concatenate([[0.0], series(self.model, "round")])
        for index, (name, line) in enumerate(
            zip(self.model.feature_names, self.lines, strict=True)
        ):
            values = np.concatenate(
                [[self.model.theta0[index]], series(self.model, f"theta[{name}]")]
            )
            line.set_data(rounds, values)
        self._rescale()
        self._fit_rounds(rounds, 0.0, 0.3)


class UtilityPlot(SeriesPlot):
    """Mean utility per reasoning level and per collective over the rounds."""

    def __init__(self, model: PlatformModel) -> None:
        super().__init__(model, "Mean utility per group")
        self.ax.set_xlabel("round")
        for level in sorted(model.level_slices):
            (self.lines[f"utility_level_{level}"],) = self.ax.plot(
                [], [], marker="o", markersize=2.5, label=f"level {level}"
            )
        for name in model.collective_names:
            (self.lines[f"utility_{name}"],) = self.ax.plot(
                [], [], marker="s", markersize=2.5, linestyle="--", label=f"collective {name}"
            )
        if self.lines:
            self.ax.legend(fontsize=7, loc="best")

    def update(self) -> None:
        """Plot each group's mean utility of every round so far."""
        rounds = self._draw_series()
        self.note.set_visible(len(rounds) == 0)
        self._rescale()
        self._fit_rounds(rounds, 1.0, 0.5)


class HistogramPlot(LivePlot):
    """Distribution of one feature over all users: true (base) values and reported values.

    Args:
        model: The model.
        feature: Column index of the feature.
    """

    def __init__(self, model: PlatformModel, feature: int) -> None:
        super().__init__(model, f"{model.feature_names[feature]}: base vs reported")
        self.feature = feature
        self.note.set_visible(False)
        self.ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
        self.ax.set_xlabel("feature value")
        self.ax.set_ylabel("users")
        edges = np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
        zeros = np.zeros(HISTOGRAM_BINS)
        self.base = self.ax.stairs(
            zeros, edges, fill=True, alpha=0.35, color="tab:gray", label="base x"
        )
        self.reported = self.ax.stairs(
            zeros, edges, linewidth=1.5, color="tab:orange", label="reported x′"
        )
        self.ax.legend(fontsize=7, loc="best")

    def update(self) -> None:
        """Bin the base and the reported values on common bins."""
        base = self.model.X_base[:, self.feature]
        reported = self.model.X[:, self.feature]
        low = float(min(base.min(), reported.min()))
        high = float(max(base.max(), reported.max()))
        if not high > low:
            high = low + 1.0
        edges = np.linspace(low, high, HISTOGRAM_BINS + 1)
        self.base.set_data(np.histogram(base, bins=edges)[0], edges)
        self.reported.set_data(np.histogram(reported, bins=edges)[0], edges)
        self._rescale()


def group_labels(model: PlatformModel) -> np.ndarray:
    """Group of every user: ``collective <name>`` or ``level <k>``."""
    labels = np.array([f"level {k}" for k in range(int(model.levels.max(initial=0)) + 1)])
    out = np.empty(len(model.levels), dtype=object)
    free = model.levels >= 0
    out[free] = labels[model.levels[free]]
    for index, name in enumerate(model.collective_names):
        out[model.collective_ids == index] = f"collective {name}"
    return out


def group_graph(model: PlatformModel, sample: int = GROUP_SAMPLE) -> nx.Graph:
    """A star graph per group over a sample of users: each user is linked to its group's hub.

    Users are sampled proportionally to the group sizes (with at least one user
    from every group) by a generator of its own, so drawing the page never
    changes the simulation.

    Args:
        model: The model.
        sample: About how many users to include.

    Returns:
        The graph; hub nodes have ``kind="group"`` and ``size``, user nodes
        ``kind="user"``, ``group`` and ``row``.
    """
    rng = np.random.default_rng(_LAYOUT_SEED)
    labels = group_labels(model).astype(str)
    groups, counts = np.unique(labels, return_counts=True)
    n = len(labels)
    graph = nx.Graph()
    for group, count in zip(groups, counts, strict=True):
        graph.add_node(group, kind="group", size=int(count))
        rows = np.flatnonzero(labels == group)
        take = min(max(1, round(sample * count / n)), len(rows))
        for row in rng.choice(rows, size=take, replace=False):
            graph.add_node(f"user {row}", kind="user", group=group, row=int(row))
            graph.add_edge(group, f"user {row}")
    return graph


def groups_figure(model: PlatformModel, sample: int = GROUP_SAMPLE) -> Figure:
    """Who belongs to which group: a spring layout of :func:`group_graph`."""
    graph = group_graph(model, sample)
    positions = nx.spring_layout(graph, seed=_LAYOUT_SEED, iterations=60)
    hubs = [node for node, kind in graph.nodes(data="kind") if kind == "group"]
    colours = {hub: f"C{i % 10}" for i, hub in enumerate(hubs)}
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    ax: Axes = fig.add_axes((0.0, 0.0, 1.0, 0.9))
    segments = [(positions[a], positions[b]) for a, b in graph.edges()]
    ax.add_collection(LineCollection(segments, colors="0.8", linewidths=0.5, zorder=1))
    users = [node for node, kind in graph.nodes(data="kind") if kind == "user"]
    xy = np.array([positions[node] for node in users])
    ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=10,
        c=[colours[graph.nodes[node]["group"]] for node in users],
        zorder=2,
    )
    for hub in hubs:
        x, y = positions[hub]
        ax.scatter([x], [y], s=140, c=colours[hub], edgecolors="black", zorder=3)
        # Label above the group's cluster, clear of its users.
        top = max(positions[node][1] for node in graph.neighbors(hub)) if graph.degree(hub) else y
        ax.annotate(
            f"{hub} ({graph.nodes[hub]['size']:,})",
            (x, top),
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            fontweight="bold",
            zorder=4,
        )
    ax.set_axis_off()
    ax.margins(0.12)
    fig.suptitle(
        f"Group membership (sample of {len(users)} of {len(model.levels):,} users)", fontsize=10
    )
    return fig
