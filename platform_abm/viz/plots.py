"""Live plots: a figure made once per model and brought up to date with it every round.

Both pages' plots (:mod:`platform_abm.viz.platform.figures`,
:mod:`platform_abm.viz.curation.figures`) are :class:`LivePlot` subclasses: the
figure, its axes and its artists are created once per model, and every round
only replaces the artists' data and draws the figure again. Re-using the
figure roughly halves the cost of a round's plots (creating axes and laying
out text dominates a fresh figure). Nothing here touches Solara or pyplot, so
the plots can be drawn from any thread and tested on their own;
:meth:`LivePlot.png` gives the image a page shows.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D
    from mesa import Model

FIGSIZE = (5.4, 3.1)
"""Size of every plot, in inches."""

DPI = 90
"""Resolution of the rendered plots."""

NO_ROUND = "no round yet: press Step"
"""The note a plot shows while it has nothing to draw."""


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
        canvas: Its Agg canvas.
        ax: Its axes.
        note: The centred :data:`NO_ROUND` note (subclasses hide it when they draw).
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
            0.5, 0.5, NO_ROUND, ha="center", va="center", transform=self.ax.transAxes, color="0.4"
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

    def _fit_rounds(self, rounds: np.ndarray, first: float, margin: float) -> None:
        """Set the x axis from round ``first`` to the last round (at least 1), with a margin."""
        self.ax.set_xlim(first - margin, max(1.0, float(rounds.max(initial=0.0))) + margin)


class SeriesPlot(LivePlot):
    """Lines of model variables over the rounds, one per entry of :attr:`lines`.

    Attributes:
        lines: The line of each model variable, keyed by the variable's name
            (filled by the subclass).
        read: ``(model, name) -> values``: a variable's values, one per point
            of the x axis (default :func:`series`, with ``round`` as x).
    """

    read = staticmethod(series)

    def __init__(self, model: Model, title: str, figsize: tuple[float, float] = FIGSIZE) -> None:
        super().__init__(model, title, figsize)
        self.lines: dict[str, Line2D] = {}

    def _draw_series(self) -> np.ndarray:
        """Give every line its variable's values of the rounds so far; return the rounds."""
        rounds = self.read(self.model, "round")
        for key, line in self.lines.items():
            line.set_data(rounds, self.read(self.model, key))
        return rounds
