"""Solara components of the curation page; each takes the current model.

Every component reads Mesa's ``update_counter`` so that it re-renders after
each Step (and while playing); plots are cached on the model and its round
count (:func:`~platform_abm.viz.widgets.live_plot`). Values shown are read
from the model (its metrics, regimes and summary), never computed here.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import solara
from mesa.visualization.utils import update_counter

from platform_abm.viz.curation import figures
from platform_abm.viz.curation.params import SIDEBAR
from platform_abm.viz.widgets import (
    html_block,
    live_plot,
    number_text,
    plot_component,
    status_badge,
)

if TYPE_CHECKING:
    from platform_abm.curation.model import CurationModel
    from platform_abm.viz.curation.model import VizCurationModel


def _regimes(model: CurationModel) -> str:
    return ", ".join(
        f"{faction.name} {regime}"
        for faction, regime in zip(model.factions, model.regimes, strict=True)
    )


@solara.component
def CurationStatus(model: CurationModel) -> None:
    """Status (running / converged / round-limit), round, regimes and the current metrics."""
    update_counter.get()
    summary = model.summary()
    metrics = model.metrics
    with solara.Card("Status", classes=["pabm-status"], margin=0):
        html_block(
            f"{status_badge(model.status)}&nbsp; round {model.steps} of {model.max_rounds}"
            f" · change (TV) {number_text(metrics['change'])}"
            f" · {html.escape(model.fidelity)}, {html.escape(model.order)}",
            "pabm-curation-round",
        )
        html_block(f"<b>Regime:</b> {html.escape(_regimes(model))}", "pabm-regime")
        rows = []
        for name in figures.curators(model):
            cells = (
                metrics[f"{name}_distance"],
                metrics[f"{name}_satisfaction"],
                metrics[f"mass_outside_{name}"],
                metrics[f"influence_{name}"],
            )
            rows.append(
                f"<tr><td>{html.escape(name)}</td>"
                + "".join(f"<td>{number_text(value)}</td>" for value in cells)
                + "</tr>"
            )
        html_block(
            "<table><tr><th>curator</th><th>distance</th><th>satisfaction</th>"
            f"<th>mass outside disc</th><th>influence</th></tr>{''.join(rows)}</table>",
            "pabm-curation-metrics",
        )
        mode = summary["mode"]
        html_block(
            f"entropy {number_text(metrics['entropy'])} nats"
            f" · support {int(metrics['support_size']):,} cells"
            f" · most probable cell ({mode['cell'][0]:.3g}, {mode['cell'][1]:.3g})"
            f" with mass {number_text(mode['mass'])}",
            "pabm-curation-shape",
        )
        if summary["gmm_not_converged"]:
            solara.Warning(
                f"The Gaussian-mixture fit did not converge in {summary['gmm_not_converged']} "
                "round(s)."
            )


@solara.component
def HeatMap(model: CurationModel) -> None:
    """p_t over the grid with the curators' discs, redrawn every round; log or linear colours."""
    update_counter.get()
    scale = solara.use_reactive(figures.HEATMAP_SCALES[0])
    solara.Select(
        label="Heat map colour scale",
        values=list(figures.HEATMAP_SCALES),
        value=scale.value,
        on_value=scale.set,
        dense=True,
    )
    live_plot(model, figures.HeatmapPlot, "pabm-heatmap", scale.value)


DistanceChart = plot_component(
    "DistanceChart",
    figures.DistancePlot,
    "pabm-distance",
    "Mean distance to each curator's centre over the rounds.",
)
SatisfactionChart = plot_component(
    "SatisfactionChart",
    figures.SatisfactionPlot,
    "pabm-satisfaction",
    "Each curator's satisfaction over the rounds.",
)
MassEntropyChart = plot_component(
    "MassEntropyChart",
    figures.MassEntropyPlot,
    "pabm-mass",
    "Mass outside the discs and target sets (log scale) and the entropy over the rounds.",
)


def in_use_text(model: VizCurationModel) -> str:
    """The model in use: the controls it was built with and the factions' regimes."""
    return f"{SIDEBAR.describe(model.base, model.controls)} · regime {_regimes(model)}"


COMPONENTS = (CurationStatus, HeatMap, DistanceChart, SatisfactionChart, MassEntropyChart)
"""The curation page's main components, in display order."""
