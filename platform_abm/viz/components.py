"""Solara components of the visualization page; each takes the current model.

Every component reads Mesa's ``update_counter`` so that it re-renders after
each Step (and while playing), and caches its rendered plot on the model and
its round count, so that a re-render that changes nothing else (a message in
the sidebar, say) does not draw the plot again.

Text is rendered as plain HTML, not with ``solara.Markdown``: the Markdown
component loads KaTeX and Mermaid from the CDN, which the offline asset copy
(``solara-assets``) does not contain.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import solara
from mesa.visualization.utils import update_counter

from platform_abm.errors import InputError
from platform_abm.scenario import Scenario
from platform_abm.viz import figures
from platform_abm.viz.params import Controls, format_mix, model_kwargs, parse_controls

if TYPE_CHECKING:
    from platform_abm.model import PlatformModel

STATUS_COLOURS = {
    "running": "#1976d2",
    "converged": "#2e7d32",
    "round-limit": "#ef6c00",
    "diverged": "#c62828",
}
"""Colour of each run status in the status line."""

PLAN_METRICS = (("B", "B"), ("Φ", "phi"), ("Ψ", "psi"))
"""Collective measurements shown (display name, DataCollector prefix)."""


def _html(markup: str, css_class: str) -> None:
    """Show trusted markup (every value in it escaped by the caller)."""
    solara.HTML(tag="div", unsafe_innerHTML=markup, classes=[css_class])


def _live_plot(
    model: PlatformModel, make: Callable[..., figures.LivePlot], css_class: str, *extra: Any
) -> None:
    """Show ``make(model, *extra)`` as an image, redrawn only when the model moved on.

    The plot object lives as long as the model (and the extra arguments); its
    image is redrawn when the round count or the status changes.
    """
    plot = solara.use_memo(lambda: make(model, *extra), dependencies=[model, *extra])
    png = solara.use_memo(plot.png, dependencies=[plot, model.steps, model.status])
    solara.Image(png, format="png", width="100%", classes=["pabm-plot", css_class])


@solara.component
def StatusLine(model: PlatformModel) -> None:
    """Status (running / converged / round-limit / diverged), round, drift and regime."""
    update_counter.get()
    colour = STATUS_COLOURS.get(model.status, "#555555")
    status = html.escape(model.status)
    drift = "–" if model.steps == 0 else f"{model.last_drift:.3e}"
    with solara.Card("Status", classes=["pabm-status"], margin=0):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f'<span class="pabm-status-value" style="color:white;background:{colour};'
                f'padding:2px 8px;border-radius:10px;font-weight:600">{status}</span>'
                f"&nbsp; round {model.steps} of at most {model.max_rounds}"
                f" · last drift {drift}"
            ),
        )
        _html(
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
            value = record.get(f"{prefix}_{name}")
            cells.append("–" if value is None else f"{value:.4g}")
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{members:,}</td>"
            + "".join(f"<td>{cell}</td>" for cell in cells)
            + "</tr>"
        )
    with solara.Div(classes=["pabm-collectives"]):
        _html(
            f"<table><tr><th>collective</th><th>members</th>{head}</tr>{''.join(rows)}</table>",
            "pabm-collective-table",
        )
        if not record:
            solara.Text("B, Φ and Ψ appear after the first Step.")


@solara.component
def DriftChart(model: PlatformModel) -> None:
    """Drift ||θ_{t+1} − θ_t|| per round, log scale."""
    update_counter.get()
    _live_plot(model, figures.DriftPlot, "pabm-drift")


@solara.component
def ThetaChart(model: PlatformModel) -> None:
    """θ per feature over the rounds."""
    update_counter.get()
    _live_plot(model, figures.ThetaPlot, "pabm-theta")


@solara.component
def UtilityChart(model: PlatformModel) -> None:
    """Mean utility per level and per collective over the rounds."""
    update_counter.get()
    _live_plot(model, figures.UtilityPlot, "pabm-utility")


@solara.component
def FeatureHistogram(model: PlatformModel) -> None:
    """Histogram of one chosen strategic feature, base vs reported values."""
    update_counter.get()
    names = [model.feature_names[i] for i in model.strategic] or list(model.feature_names)
    chosen = solara.use_reactive(names[0])
    name = chosen.value if chosen.value in names else names[0]
    solara.Select(label="Strategic feature", values=names, value=name, on_value=chosen.set)
    _live_plot(model, figures.HistogramPlot, "pabm-histogram", model.feature_names.index(name))


@solara.component
def GroupView(model: PlatformModel) -> None:
    """Who belongs to which collective or level: a networkx layout over a sample of users."""
    update_counter.get()
    # Membership is fixed when the model is built: draw it once per model.
    png = solara.use_memo(
        lambda: figures.to_png(figures.groups_figure(model)), dependencies=[model]
    )
    solara.Image(png, format="png", width="100%", classes=["pabm-plot", "pabm-groups"])


def _controls_summary(controls: Controls, fractions: tuple[float, ...]) -> str:
    reg = "1/n" if controls.reg is None else f"{controls.reg:g}"
    return (
        f"ε {controls.epsilon:g} · level mix {format_mix(fractions)} · "
        f"α {controls.alpha:g} · λ {controls.collective_lambda:g} · reg {reg} · "
        f"rounds {controls.max_rounds} · seed {controls.seed}"
    )


@solara.component
def ParametersCard(
    model: PlatformModel, notice: str | None, scenario: Scenario, pending: dict[str, Any]
) -> None:
    """Sidebar card: what Reset will apply, why the last Reset was refused, the model in use.

    Args:
        model: The model in use.
        notice: Message of the last refused Reset (None: the last Reset worked).
        scenario: The page's base scenario.
        pending: The sidebar controls' current values.
    """
    with solara.Card("Parameters", classes=["pabm-parameters"]):
        if notice:
            with solara.Div(classes=["pabm-notice"]):
                solara.Error(f"Reset refused, the previous model is kept: {notice}")
        try:
            controls = parse_controls(scenario, pending)
            fractions = tuple(model_kwargs(scenario, controls)["levels"])
        except InputError as exc:
            with solara.Div(classes=["pabm-pending-error"]):
                solara.Warning(f"Reset would be refused: {exc}")
        else:
            _html(
                f"<b>On Reset:</b> {html.escape(_controls_summary(controls, fractions))}",
                "pabm-pending",
            )
        in_use = getattr(model, "controls", None)
        text = f"{len(model.levels):,} users ({model.population.source}) · "
        if in_use is not None:
            text += _controls_summary(in_use, tuple(model.fractions))
        else:
            text += f"level mix {format_mix(model.fractions)}"
        _html(f"<b>In use:</b> {html.escape(text)}", "pabm-in-use")


COMPONENTS = (StatusLine, DriftChart, ThetaChart, UtilityChart, FeatureHistogram, GroupView)
"""The page's main components, in display order."""
