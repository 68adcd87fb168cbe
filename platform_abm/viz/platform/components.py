"""Solara components of the platform page; each takes the current model.

Every component reads Mesa's ``update_counter`` so that it re-renders after
each Step (and while playing), and caches its rendered plot on the model, its
round count and its status (:func:`~platform_abm.viz.widgets.live_plot`).
"""

from __future__ import annotations

import html
from operator import attrgetter
from typing import TYPE_CHECKING

import solara
from mesa.visualization.utils import update_counter

from platform_abm.viz.platform import figures
from platform_abm.viz.platform.params import SIDEBAR
from platform_abm.viz.plots import to_png
from platform_abm.viz.widgets import (
    html_block,
    live_plot,
    number_text,
    plot_component,
    status_badge,
)

if TYPE_CHECKING:
    from platform_abm.platform.model import PlatformModel
    from platform_abm.viz.platform.model import VizPlatformModel

PLAN_METRICS = (("B", "B"), ("Φ", "phi"), ("Ψ", "psi"))
"""Collective measurements shown (display name, DataCollector prefix)."""

_status = attrgetter("status")
"""A platform plot is also redrawn when the model's status changes."""


@solara.component
def StatusLine(model: PlatformModel) -> None:
    """Status (running / converged / round-limit / diverged / cycling), round, drift and regime."""
    update_counter.get()
    badge = status_badge(model.status)
    drift = "–" if model.steps == 0 else f"{model.last_drift:.3e}"
    with solara.Card("Status", classes=["pabm-status"], margin=0):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"{badge}&nbsp; round {model.steps} of at most {model.max_rounds}"
                f" · last drift {drift}"
            ),
        )
        html_block(
            f"<b>Regime:</b> <code>{html.escape(model.regime.code)}</code>: "
            f"{html.escape(model.regime.explanation)}",
            "pabm-regime",
        )
        if model.message:
            solara.Warning(model.message)
        CollectiveMetrics(model)


@solara.component
def CollectiveMetrics(model: PlatformModel) -> None:
    """Current B, Φ and Ψ of each collective (rendered only when the model has one)."""
    update_counter.get()
    if not model.collective_names:
        return
    record = model.round_record
    head = "".join(f"<th>{name}</th>" for name, _ in PLAN_METRICS)
    rows = []
    for index, name in enumerate(model.collective_names):
        members = int((model.collective_ids == index).sum())
        cells = []
        for _, prefix in PLAN_METRICS:
            cells.append(number_text(record.get(f"{prefix}_{name}")))
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{members:,}</td>"
            + "".join(f"<td>{cell}</td>" for cell in cells)
            + "</tr>"
        )
    with solara.Div(classes=["pabm-collectives"]):
        html_block(
            f"<table><tr><th>collective</th><th>members</th>{head}</tr>{''.join(rows)}</table>",
            "pabm-collective-table",
        )
        if not record:
            solara.Text("B, Φ and Ψ appear after the first Step.")


DriftChart = plot_component(
    "DriftChart",
    figures.DriftPlot,
    "pabm-drift",
    "Drift ||θ_{t+1} − θ_t|| per round, log scale.",
    redraw_on=_status,
)
ThetaChart = plot_component(
    "ThetaChart",
    figures.ThetaPlot,
    "pabm-theta",
    "θ per feature over the rounds.",
    redraw_on=_status,
)
UtilityChart = plot_component(
    "UtilityChart",
    figures.UtilityPlot,
    "pabm-utility",
    "Mean utility per level and per collective over the rounds.",
    redraw_on=_status,
)


@solara.component
def FeatureHistogram(model: PlatformModel) -> None:
    """Histogram of one chosen strategic feature, base vs reported values."""
    update_counter.get()
    names = [model.feature_names[i] for i in model.strategic] or list(model.feature_names)
    chosen = solara.use_reactive(names[0])
    name = chosen.value if chosen.value in names else names[0]
    solara.Select(label="Strategic feature", values=names, value=name, on_value=chosen.set)
    index = model.feature_names.index(name)
    live_plot(model, figures.HistogramPlot, "pabm-histogram", index, key=model.status)


@solara.component
def GroupView(model: PlatformModel) -> None:
    """Who belongs to which collective or level: a networkx layout over a sample of users."""
    update_counter.get()
    # Membership is fixed when the model is built: draw it once per model.
    png = solara.use_memo(lambda: to_png(figures.groups_figure(model)), dependencies=[model])
    solara.Image(png, format="png", width="100%", classes=["pabm-plot", "pabm-groups"])


def in_use_text(model: VizPlatformModel) -> str:
    """The model in use: its users and the controls it was built with."""
    users = f"{len(model.levels):,} users ({model.population.source})"
    return f"{users} · {SIDEBAR.describe(model.base, model.controls)}"


COMPONENTS = (StatusLine, DriftChart, ThetaChart, UtilityChart, FeatureHistogram, GroupView)
"""The page's main components, in display order."""
