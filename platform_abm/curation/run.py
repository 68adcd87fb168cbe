"""Run one curation scenario: round-by-round table, summary and figures (no file output)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from platform_abm.curation.figures import heatmap_figure, metrics_figure
from platform_abm.curation.model import CurationModel
from platform_abm.curation.sampled import histogram_on_grid
from platform_abm.curation.scenario import CurationScenario

#: The sampled loop's heat map pools the outputs of this many final rounds.
HEATMAP_ROUNDS = 10


def run_model(
    model: CurationModel,
    progress: bool = True,
    desc: str = "curation",
    on_step: Callable[[CurationModel], None] | None = None,
) -> pd.DataFrame:
    """Step a model until it stops and return its DataCollector table.

    Args:
        model: A fresh model.
        progress: Show a tqdm bar advancing once per round.
        desc: Label of the bar.
        on_step: Called with the model after every round.

    Returns:
        The table, one row per round (row 0 is the initial state).
    """
    with tqdm(total=model.rounds, disable=not progress, desc=desc, unit="round") as bar:
        while model.running:
            model.step()
            if on_step is not None:
                on_step(model)
            bar.update()
    table = model.datacollector.get_model_vars_dataframe()
    table["round"] = table["round"].astype(int)
    table["support_size"] = table["support_size"].astype(int)
    return table.reset_index(drop=True)


def run_curation(
    sc: CurationScenario, progress: bool = True
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Figure]]:
    """Run a curation scenario.

    Args:
        sc: The validated scenario.
        progress: Show a progress bar (one tick per round).

    Returns:
        The round-by-round metrics table, a JSON-serialisable summary (final
        metrics, regime of each faction, most probable cell, convergence,
        status) and the figures ``"heatmap"`` (initial and final distribution)
        and ``"metrics"`` (curves of every recorded metric).
    """
    model = CurationModel.from_scenario(sc)
    initial = model.p.copy()
    recent: deque[np.ndarray] = deque(maxlen=HEATMAP_ROUNDS)

    def remember(m: CurationModel) -> None:
        if m.output is not None:
            recent.append(m.output)

    table = run_model(model, progress, desc=sc.name, on_step=remember)

    summary = model.summary()
    summary["scenario"] = sc.name
    summary["seed"] = sc.seed

    discs = {"owner": model.owner_reward} | {f.name: f.reward for f in model.factions}
    if model.fidelity == "grid":
        final, final_title = model.p, f"round {model.steps}"
    else:
        final = histogram_on_grid(np.vstack(list(recent)), model.grid_size, model.low, model.high)
        final_title = f"outputs of rounds {model.steps - len(recent) + 1}–{model.steps}"
    heatmap = heatmap_figure(
        [("initial", initial), (final_title, final)],
        model.grid_size,
        model.low,
        model.high,
        [discs, discs],
    )
    heatmap.suptitle(f"{sc.name}: {model.fidelity} dynamics, {model.order}")
    metrics = metrics_figure(table, list(discs), title=f"{sc.name} ({model.fidelity})")
    return table, summary, {"heatmap": heatmap, "metrics": metrics}
