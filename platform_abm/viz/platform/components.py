"""Solara components of the platform page; each takes the current model.

Every component reads Mesa's ``update_counter`` so that it re-renders after
each Step (and while playing), and caches its rendered plot on the model, its
round count and its status (:func:`~platform_abm.viz.widgets.live_plot`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import solara
from mesa.visualization.utils import update_counter

from platform_abm.platform.scenario import Scenario
from platform_abm.viz.platform import figures
from platform_abm.viz.platform.params import Controls, format_mix, model_kwargs, parse_controls
from platform_abm.viz.session import ResetCard
from platform_abm.viz.widgets import html_block, live_plot, number_text, status_badge

if TYPE_CHECKING:
    from platform_abm.platform.model import PlatformModel

STATUS_COLOURS = {
    "running": "#1976d2",
    "converged": "#2e7d32",
    "round-limit": "#ef6c00",
    "diverged": "#c62828",
}
"""Colour of each run status in the status line."""

PLAN_METRICS = (("B", "B"), ("Φ", "phi"), ("Ψ", "psi"))
"""Collective measurements shown (display name, DataCollector prefix)."""


def _live_plot(
    model: PlatformModel, make: Callable[..., figures.LivePlot], css_class: str, *extra: Any
) -> None:
    """A live plot of a platform model, also redrawn when its status changes."""
    live_plot(model, make, css_class, *extra, key=model.status)


@solara.component
def StatusLine(model: PlatformModel) -> None:
    """Status (running / converged / round-limit / diverged), round, drift and regime."""
    update_counter.get()
    badge = status_badge(model.status, STATUS_COLOURS.get(model.status, "#555555"))
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
    model: PlatformModel, notice: str | None, pending: dict[str, Any], base: Scenario
) -> None:
    """Sidebar card: what Reset will apply, why the last Reset was refused, the model in use.

    Args:
        model: The model in use.
        notice: Message of the last refused Reset (None: the last Reset worked).
        pending: The sidebar controls' current values.
        base: The page's base scenario.
    """

    def on_reset() -> str:
        controls = parse_controls(base, pending)
        return _controls_summary(controls, tuple(model_kwargs(base, controls)["levels"]))

    in_use = getattr(model, "controls", None)
    text = f"{len(model.levels):,} users ({model.population.source}) · "
    if in_use is not None:
        text += _controls_summary(in_use, tuple(model.fractions))
    else:
        text += f"level mix {format_mix(model.fractions)}"
    ResetCard(notice, on_reset, text)


COMPONENTS = (StatusLine, DriftChart, ThetaChart, UtilityChart, FeatureHistogram, GroupView)
"""The page's main components, in display order."""
