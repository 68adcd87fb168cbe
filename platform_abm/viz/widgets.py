"""Rendering helpers shared by the pages' components: status badges, numbers, HTML, live plots.

Text is rendered as plain HTML, not with ``solara.Markdown``: the Markdown
component loads KaTeX and Mermaid from the CDN, which the offline asset copy
(``solara-assets``) does not contain.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Hashable
from typing import Any

import reacton
import solara
from mesa.visualization.utils import update_counter

from platform_abm.viz.plots import LivePlot

STATUS_COLOURS = {
    "running": "#1976d2",
    "converged": "#2e7d32",
    "round-limit": "#ef6c00",
    "diverged": "#c62828",
    "cycling": "#6a1b9a",
}
"""Colour of each run status (the status words both families use)."""

OTHER_STATUS_COLOUR = "#555555"
"""Colour of a status word not in :data:`STATUS_COLOURS`."""


def status_badge(status: str) -> str:
    """A run status as a coloured badge (HTML, the text escaped).

    Args:
        status: The status word (its colour from :data:`STATUS_COLOURS`).

    Returns:
        The markup.
    """
    colour = STATUS_COLOURS.get(status, OTHER_STATUS_COLOUR)
    return (
        f'<span class="pabm-status-value" style="color:white;background:{colour};'
        f'padding:2px 8px;border-radius:10px;font-weight:600">{html.escape(status)}</span>'
    )


def number_text(value: float | None) -> str:
    """A measurement for display: four significant digits, a dash when undefined.

    Args:
        value: The value (None or non-finite: not defined yet).

    Returns:
        The text.
    """
    return "–" if value is None or not math.isfinite(value) else f"{value:.4g}"


def html_block(markup: str, css_class: str) -> None:
    """Show trusted markup (every value in it escaped by the caller).

    Args:
        markup: The HTML.
        css_class: CSS class of the enclosing ``div`` (tests and the browser find it by it).
    """
    solara.HTML(tag="div", unsafe_innerHTML=markup, classes=[css_class])


def live_plot(
    model: Any,
    make: Callable[..., LivePlot],
    css_class: str,
    *extra: Any,
    key: Hashable = None,
) -> None:
    """Show ``make(model, *extra)`` as an image, redrawn only when the model moved on.

    The plot object lives as long as the model (and the extra arguments); its
    image is redrawn when the model's step count or ``key`` changes, so that a
    re-render that changes nothing else (a message in the sidebar, say) does
    not draw the plot again.

    Args:
        model: The model (any Mesa model with ``steps``).
        make: The plot's class, or any callable building it.
        css_class: CSS class of the image, besides ``pabm-plot``.
        *extra: Further arguments of ``make``.
        key: Anything else whose change should redraw the plot (a status, say).
    """
    plot = solara.use_memo(lambda: make(model, *extra), dependencies=[model, *extra])
    png = solara.use_memo(plot.png, dependencies=[plot, model.steps, key])
    solara.Image(png, format="png", width="100%", classes=["pabm-plot", css_class])


def plot_component(
    name: str,
    make: Callable[[Any], LivePlot],
    css_class: str,
    doc: str,
    redraw_on: Callable[[Any], Hashable] | None = None,
) -> Callable[[Any], Any]:
    """A page component showing ``make(model)`` as a :func:`live_plot`, re-rendered every Step.

    The component reads Mesa's ``update_counter``, so that it re-renders after
    each Step (and while playing).

    Args:
        name: The component's name.
        make: The plot's class (called with the model).
        css_class: CSS class of the image, besides ``pabm-plot``.
        doc: The component's docstring.
        redraw_on: Reads from the model anything else whose change should
            redraw the plot (its status, say).

    Returns:
        The Solara component, called with the model.
    """

    def render(model: Any) -> None:
        update_counter.get()
        live_plot(model, make, css_class, key=None if redraw_on is None else redraw_on(model))

    render.__name__ = render.__qualname__ = name
    render.__doc__ = doc
    # reacton.component is what solara.component wraps, without its hook check,
    # which cannot parse the source of a function defined inside another one.
    return reacton.component(render)
