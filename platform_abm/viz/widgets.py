"""Rendering helpers shared by the pages' components: badges, numbers, HTML and live plots.

Text is rendered as plain HTML, not with ``solara.Markdown``: the Markdown
component loads KaTeX and Mermaid from the CDN, which the offline asset copy
(``solara-assets``) does not contain.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Hashable
from typing import Any

import solara

from platform_abm.viz.platform.figures import LivePlot


def status_badge(text: str, colour: str) -> str:
    """A status word as a coloured badge (HTML, the text escaped).

    Args:
        text: The status.
        colour: CSS background colour.

    Returns:
        The markup.
    """
    return (
        f'<span class="pabm-status-value" style="color:white;background:{colour};'
        f'padding:2px 8px;border-radius:10px;font-weight:600">{html.escape(text)}</span>'
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
