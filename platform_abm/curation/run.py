"""Run one curation scenario into its results folder: round table, figures and summary."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from platform_abm import __version__
from platform_abm.common.progress import progress_bar
from platform_abm.common.results import RUN_FILES, OutputFolder, write_run_files
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
    """Step a model until it stops (converged or at its round limit) and return its table.

    Args:
        model: A fresh model.
        progress: Show a progress bar advancing once per round.
        desc: Label of the bar.
        on_step: Called with the model after every round.

    Returns:
        :meth:`~platform_abm.curation.model.CurationModel.results`: one row per
        round run (row 0 is round 1).
    """
    with progress_bar(model.max_rounds, desc, enabled=progress) as bar:
        while model.running:
            model.step()
            if on_step is not None:
                on_step(model)
            bar.update(1)
    return model.results()


def run(
    scenario: CurationScenario,
    out_dir: str | Path,
    *,
    progress: bool = True,
    force: bool = False,
    field: str = "output.dir",
) -> dict[str, Any]:
    """Write a curation scenario's results folder: its round table, figures and summary.

    The target is checked before the model is built (a folder that may not be
    written fails at once), and the results take its place only once they are
    complete (:class:`~platform_abm.common.results.OutputFolder` says when a
    folder may be replaced). The files: ``rounds.csv`` and ``rounds.parquet``
    (one row per round run), ``heatmap.png`` (the initial and the final
    distribution), ``metrics.png`` (every metric from round 0) and ``summary.json``.

    Args:
        scenario: The validated curation scenario.
        out_dir: The results folder to write.
        progress: Show a progress bar, one tick per round.
        force: Write into a non-empty folder that lacks the package's marker
            too, next to its files (nothing is deleted).
        field: Where the folder came from, for messages (``--out``, ``output.dir``).

    Returns:
        The summary written to ``summary.json``: the package version,
        :meth:`CurationModel.summary
        <platform_abm.curation.model.CurationModel.summary>`, the scenario's
        name and seed, and the wall time ``wall_time_s``.

    Raises:
        InputError: When the folder may not be written.
    """
    folder = OutputFolder(
        out_dir, command="run", name=scenario.name, force=force, field=field, expected=RUN_FILES
    )
    with folder as staging:
        started = time.perf_counter()
        model = CurationModel.from_scenario(scenario)
        initial = model.p.copy()
        recent: deque[np.ndarray] = deque(maxlen=HEATMAP_ROUNDS)

        def remember(m: CurationModel) -> None:
            if m.output is not None:
                recent.append(m.output)

        table = run_model(model, progress, desc=scenario.name, on_step=remember)
        summary = {
            "platform_abm_version": __version__,
            **model.summary(),
            "scenario": scenario.name,
            "seed": scenario.seed,
            "wall_time_s": time.perf_counter() - started,
        }
        figures = _figures(model, initial, list(recent), scenario.name)
        write_run_files(staging, table, summary, figures)
    return summary


def _figures(
    model: CurationModel, initial: np.ndarray, recent: list[np.ndarray], name: str
) -> dict[str, Figure]:
    """The figures of a finished run: ``heatmap`` (initial and final p) and ``metrics``.

    Args:
        model: The model, run to its end.
        initial: Its distribution on the grid before the first round.
        recent: The sampled loop's outputs of its last rounds (pooled into its
            final heat map); unused on the grid, whose final p is exact.
        name: The scenario's name (for the titles).

    Returns:
        The figures by file stem.
    """
    discs = {"owner": model.owner_reward} | {f.name: f.reward for f in model.factions}
    if model.fidelity == "grid":
        final, final_title = model.p, f"round {model.steps}"
    else:
        final = histogram_on_grid(np.vstack(recent), model.grid_size, model.low, model.high)
        final_title = f"outputs of rounds {model.steps - len(recent) + 1}–{model.steps}"
    heatmap = heatmap_figure(
        [("initial", initial), (final_title, final)],
        model.grid_size,
        model.low,
        model.high,
        [discs, discs],
    )
    heatmap.suptitle(f"{name}: {model.fidelity} dynamics, {model.order}")
    metrics = metrics_figure(model.history(), list(discs), title=f"{name} ({model.fidelity})")
    return {"heatmap": heatmap, "metrics": metrics}
