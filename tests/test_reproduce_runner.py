"""The one path every ``reproduce`` figure runs through: options, progress bar, files, summary."""

from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest
from matplotlib.figure import Figure

from platform_abm.cli import build_parser
from platform_abm.common.errors import InputError
from platform_abm.platform.reproduce import FIGURES, figure_module
from platform_abm.platform.reproduce.runner import FigureRun, Reproduction, Request
from platform_abm.platform.reproduce.summary import Headline


def _toy(calls: list) -> FigureRun:
    def reproduce(request: Request, *, size: int = 2, label: str | None = None) -> Reproduction:
        calls.append((request, size, label))
        runs = request.count(5, 2, minimum=2, why="a spread")
        figure = Figure()
        figure.subplots().plot(range(size))
        return Reproduction(
            tables={"toy_table": pd.DataFrame({"x": range(size)})},
            figures={"toy": figure},
            headlines=[Headline("size", float(size), published=2.0)],
            settings={"runs": runs, "label": label},
        )

    return FigureRun("fig9", reproduce)


def test_a_figure_run_writes_tables_figures_and_summary(tmp_path):
    calls: list = []
    run = _toy(calls)
    summary = run(tmp_path / "out", variant="notebook", quick=True, progress=False, size=3)
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["summary.json", "toy.png", "toy_table.csv"]
    assert (tmp_path / "out" / "toy.png").read_bytes()[:4] == b"\x89PNG"
    assert pd.read_csv(tmp_path / "out" / "toy_table.csv")["x"].tolist() == [0, 1, 2]
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written == json.loads(json.dumps(summary))
    assert written["figure"] == "fig9" and written["variant"] == "notebook"
    # the runner adds the grid flag and the wall time to the figure's own settings
    assert written["settings"]["runs"] == 2 and written["settings"]["quick"] is True
    assert written["settings"]["seconds"] >= 0
    assert written["headlines"][0]["agrees"] is False
    request, size, label = calls[0]
    assert (request.figure, request.variant, request.quick, size, label) == (
        "fig9",
        "notebook",
        True,
        3,
        None,
    )


def test_options_are_the_keyword_only_parameters_and_are_checked_first(tmp_path):
    calls: list = []
    run = _toy(calls)
    assert run.options == {"size", "label"}
    for kwargs, field in (
        ({"variant": "draft"}, "--variant"),
        ({"rounds": 4}, "rounds"),
        ({"seeds": 1}, "--seeds"),  # below the figure's minimum
        ({"seeds": True}, "--seeds"),
    ):
        with pytest.raises(InputError) as error:
            run(tmp_path / "out", progress=False, **kwargs)
        assert error.value.field == field
    assert not (tmp_path / "out").exists()
    # the variant and the unknown option are refused before the figure runs; the count
    # is the figure's own check, made before it computes anything
    assert len(calls) == 2


def test_request_counts_runs():
    assert Request("fig9").count(10, 2) == 10
    assert Request("fig9", quick=True).count(10, 2) == 2
    assert Request("fig9", seeds=7, quick=True).count(10, 2) == 7
    with pytest.raises(InputError) as error:
        Request("fig9", seeds=0).count(10, 2)
    assert error.value.allowed == "a whole number ≥ 1"
    with pytest.raises(InputError) as error:
        Request("fig9", seeds=1).count(10, 2, minimum=2, why="the spread")
    assert error.value.allowed == "a whole number ≥ 2 (the spread)"


def test_a_silent_request_has_a_silent_progress_bar(capsys):
    with Request("fig9", progress=False).progress_bar(3, "fit") as bar:
        bar.update(3)
    assert capsys.readouterr().err == ""


def _reproduce_flags() -> set[str]:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {action.dest for action in commands.choices["reproduce"]._actions}


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_runs_through_the_runner_and_the_cli_offers_its_options(name):
    module = figure_module(name)
    assert isinstance(module.run, FigureRun) and module.run.figure == name
    assert module.OPTIONS == module.run.options
    missing = module.OPTIONS - _reproduce_flags()
    assert not missing, f"{name} takes options the command line cannot set: {sorted(missing)}"
