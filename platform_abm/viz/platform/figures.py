"""The platform page's plots, and the :class:`LivePlot` machinery both pages' plots use.

A plot of the rounds so far (drift, θ, utilities, the histogram of a feature;
the curation page's plots in :mod:`platform_abm.viz.curation.figures`) is a
:class:`LivePlot`: its figure, axes and artists are created once per
model, and every round only replaces the artists' data and draws the figure
again. Re-using the figure roughly halves the cost of a round's plots
(creating axes and laying out text dominates a fresh figure). Nothing here
touches Solara or pyplot, so the plots can be drawn from any thread and tested
on their own; :meth:`LivePlot.png` gives the image the page shows.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

if TYPE_CHECKING:
    from mesa import Model

    from platform_abm.platform.model import PlatformModel

FIGSIZE = (5.4, 3.1)
"""Size of every plot, in inches."""

DPI = 90
"""Resolution of the rendered plots."""

GROUP_SAMPLE = 120
"""Number of users drawn in the group view."""

HISTOGRAM_BINS = 40
"""Number of bins of the feature histogram."""

_LAYOUT_SEED = 0
"""Seed of the group view's sample and layout (never the model's generator)."""

_NO_ROUND = "no round yet: press Step"


def to_png(fig: Figure, canvas: FigureCanvasAgg | None = None) -> bytes:
    """Render a figure as PNG bytes.

    The figure is drawn once with Agg and encoded with light compression: the
    images only travel to a browser on this machine, and the default
    compression costs about as much as drawing the plot.

    Args:
        fig: The figure.
        canvas: The figure's Agg canvas when it has one already (its renderer,
            and with it the text layout cache, is then re-used).

    Returns:
        The PNG file's bytes.
    """
    canvas = canvas if canvas is not None else FigureCanvasAgg(fig)
    canvas.draw()
    image = PIL.Image.fromarray(np.asarray(canvas.buffer_rgba()))
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def series(model: Model, name: str) -> np.ndarray:
    """One model variable of the DataCollector, one value per recorded round."""
    return np.asarray(model.datacollector.model_vars.get(name, []), dtype=float)


def plain_log_scale(ax: Axes) -> None:
    """Put the y axis on a log scale with plain ``1e-06`` labels and no minor ticks.

    Mathtext labels and the minor ticks of many decades cost more to draw than
    the rest of the plot.

    Args:
        ax: The axes.
    """
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
    ax.yaxis.set_minor_locator(NullLocator())


class LivePlot:
    """A plot of one model, created once and updated from the model's state each round.

    Args:
        model: The model to plot (any Mesa model).
        title: The plot's title.
        figsize: Size of the figure, in inches.

    Attributes:
        model: The model.
        fig: The figure.
        ax: Its axes.
    """

    def __init__(self, model: Model, title: str, figsize: tuple[float, float] = FIGSIZE) -> None:
        self.model = model
        self.fig = Figure(figsize=figsize, dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_subplot()
        self.fig.subplots_adjust(left=0.14, right=0.97, top=0.9, bottom=0.16)
        self.ax.set_title(title, fontsize=10)
        self.ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        self.note = self.ax.text(
            0.5, 0.5, _NO_ROUND, ha="center", va="center", transform=self.ax.transAxes, color="0.4"
        )

    def update(self) -> None:
        """Bring the artists up to date with the model (subclasses)."""

    def png(self) -> bytes:
        """Update the plot and render it as PNG bytes."""
        self.update()
        return to_png(self.fig, self.canvas)

    def _rescale(self) -> None:
        self.ax.relim()
        self.ax.autoscale_view()


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
        self.ax.set_xlim(0, max(1.0, float(rounds.max(initial=0.0))) + 0.5)


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
        self.ax.set_xlim(-0.3, max(1.0, rounds[-1]) + 0.3)


class UtilityPlot(LivePlot):
    """Mean utility per reasoning level and per collective over the rounds."""

    def __init__(self, model: PlatformModel) -> None:
        super().__init__(model, "Mean utility per group")
        self.ax.set_xlabel("round")
        self.lines = {}
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
        rounds = series(self.model, "round")
        for key, line in self.lines.items():
            line.set_data(rounds, series(self.model, key))
        self.note.set_visible(len(rounds) == 0)
        self._rescale()
        self.ax.set_xlim(0.5, max(1.0, float(rounds.max(initial=0.0))) + 0.5)


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
