"""Run one platform scenario into its results folder: round table, drift figure, summary."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from platform_abm import __version__
from platform_abm.common.errors import SimulationError
from platform_abm.common.progress import progress_bar
from platform_abm.common.results import RUN_FILES, OutputFolder, write_run_files
from platform_abm.platform.figures import drift_figure
from platform_abm.platform.model import STATUS_DIVERGED, PlatformModel
from platform_abm.platform.scenario import Scenario


def run(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    progress: bool = True,
    force: bool = False,
    field: str = "output.dir",
) -> dict[str, Any]:
    """Run a platform scenario to convergence or its round limit and write its results folder.

    The folder is checked (and its staging folder created) before the model is
    built, so an output location that cannot be used fails at once; the results
    replace it only when the run has succeeded (see
    :class:`~platform_abm.common.results.OutputFolder` for when a folder is replaced).
    The folder holds ``rounds.csv``/``rounds.parquet`` (one row per round),
    ``drift.png``, ``summary.json`` and, when the scenario samples users
    (``output.agent_sample``), their per-round table ``agents.csv``/``agents.parquet``.

    Args:
        scenario: The validated scenario.
        out_dir: Results folder.
        progress: Whether to show a progress bar (one tick per round).
        force: Also write into a non-empty folder without the package's marker
            (next to its files, deleting nothing).
        field: How the folder was given (for messages: ``--out``, ``output.dir``).

    Returns:
        The run's summary, as written to ``summary.json``: the package version,
        the scenario, :meth:`PlatformModel.summary
        <platform_abm.platform.model.PlatformModel.summary>` and ``wall_time_s``.

    Raises:
        InputError: When the folder may not be written, or for bad input.
        SimulationError: When the run diverges (nothing is written).
    """
    folder = OutputFolder(
        out_dir, command="run", name=scenario.name, force=force, field=field, expected=RUN_FILES
    )
    with folder as staging:
        started = time.perf_counter()
        model = PlatformModel.from_scenario(scenario)
        with progress_bar(scenario.rounds, scenario.name, enabled=progress) as bar:
            while model.running:
                model.step()
                bar.update(1)
                bar.set_postfix(drift=f"{model.last_drift:.2e}")
        if model.status == STATUS_DIVERGED:
            raise SimulationError(model.message)
        wall = time.perf_counter() - started
        table = model.results()
        summary = {
            "platform_abm_version": __version__,
            "scenario": asdict(scenario),
            **model.summary(),
            "wall_time_s": wall,
        }
        agents = model.agent_results()
        write_run_files(
            staging,
            table,
            summary,
            {"drift": drift_figure(table, scenario.name)},
            tables=None if agents is None else {"agents": agents},
        )
    return summary
