import json
import shutil

import pandas as pd
import pytest

from platform_abm.batch.store import JOURNAL_FILE, RUNS_DIR, SweepIdentity, SweepStore
from platform_abm.cli import main


@pytest.fixture(scope="module")
def twelve_runs(tiny_sweep):
    """The tiny sweep with a second parameter and three seeds: 2 ε × 2 levels × 3 = 12 runs."""
    return (
        tiny_sweep.replace("seeds = 2", "seeds = 3") + '"users.levels" = [{1 = 1.0}, {2 = 1.0}]\n'
    )


@pytest.fixture(scope="module")
def swept_once(tmp_path_factory, twelve_runs, write_scenario):
    root = tmp_path_factory.mktemp("batch-cli")
    scenario = write_scenario(root, twelve_runs, "tiny.toml")
    out = root / "results"
    assert main(["sweep", str(scenario), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    return scenario, out


@pytest.fixture
def swept(swept_once, tmp_path):
    """A private copy of one completed 12-run sweep."""
    scenario, out = swept_once
    copy = tmp_path / "results"
    shutil.copytree(out, copy)
    return scenario, copy


def test_sweep_then_aggregate_then_plot(swept, capsys):
    _, out = swept
    assert main(["aggregate", str(out), "--metrics", "utility", "accuracy"]) == 0
    printed = capsys.readouterr().out
    assert "ci_low" in printed and f"wrote {out / 'aggregate.csv'}" in printed
    summary = pd.read_csv(out / "aggregate.csv")
    assert len(summary) == 4 * 2 and set(summary["n"]) == {3}
    assert list(summary.columns[:2]) == ["users.epsilon", "users.levels"]

    assert main(["aggregate", str(out), "--by", "epsilon", "--metrics", "utility"]) == 0
    pooled = pd.read_csv(out / "aggregate.csv")
    assert list(pooled["users.epsilon"]) == [0.25, 1.0] and set(pooled["n"]) == {6}
    capsys.readouterr()

    assert main(["plot", str(out), "--x", "epsilon", "--y", "utility", "--hue", "levels"]) == 0
    png = out / "plots" / "utility-vs-epsilon-by-levels.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(png) in capsys.readouterr().out


def test_rerunning_the_command_runs_nothing_again(swept, capsys):
    scenario, out = swept
    files = sorted(p.name for p in (out / RUNS_DIR).iterdir())
    assert main(["sweep", str(scenario), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "tiny: 4 points x 3 seeds = 12 runs" in printed
    assert (
        "12 (12 completed before this command, 0 run now)" in printed and "failed     0" in printed
    )
    assert sorted(p.name for p in (out / RUNS_DIR).iterdir()) == files
    assert len((out / JOURNAL_FILE).read_text().splitlines()) == 12


def test_a_torn_journal_and_an_unjournalled_run_file_are_recovered(swept, capsys):
    scenario, out = swept
    journal = out / JOURNAL_FILE
    lines_before = journal.read_text().splitlines()
    # As if killed between a run file's rename and its journal line, and mid-write.
    journal.write_text("\n".join(lines_before[:-1]) + '\n{"key": "abc", "sta')
    (out / RUNS_DIR / ".0123.parquet.x.tmp").write_bytes(b"partial")
    store = SweepStore.read(out)
    assert len(store.done_keys()) == 12
    assert main(["sweep", str(scenario), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    assert "12 (12 completed before this command, 0 run now)" in capsys.readouterr().out
    assert not list((out / RUNS_DIR).glob(".*"))
    lines = journal.read_text().splitlines()
    assert lines[len(lines) - 2] == '{"key": "abc", "sta'  # the torn line stays torn
    recovered = json.loads(lines[-1])  # the lost line is rebuilt from the run file
    assert recovered["state"] == "done" and recovered["key"] == json.loads(lines_before[-1])["key"]


def test_a_second_sweep_cannot_write_to_a_folder_in_use(swept, capsys):
    scenario, out = swept
    meta = json.loads((out / "sweep.json").read_text())
    holder = SweepStore.open(
        out, SweepIdentity(meta["fingerprint"], "platform", meta["scenario"], meta["sweep"])
    )
    try:
        code = main(["sweep", str(scenario), "--out", str(out), "--backend", "serial", "--quiet"])
    finally:
        holder.close()
    err = capsys.readouterr().err
    assert code == 2 and "no other sweep is writing" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sweep", "{scenario}", "--workers", "0"], "workers: got 0"),
        (["sweep", "{bad}"], "sweep.parameters.users.epsilon"),
        (["sweep", "{scenario}", "--backend", "serial", "--address", "tcp://h:1"], "address"),
        (["aggregate", "{tmp}"], "a sweep results folder"),
        (["aggregate", "{out}", "--metrics", "status"], "metrics: got 'status'"),
        (["plot", "{out}", "--x", "nothing", "--y", "utility"], "--x: got 'nothing'"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    swept, tmp_path, capsys, args, message, twelve_runs, write_scenario
):
    scenario, out = swept
    bad = write_scenario(tmp_path, twelve_runs.replace("[0.25, 1.0]", "[0.25, -1.0]"), "bad.toml")
    names = {"scenario": scenario, "bad": bad, "tmp": tmp_path, "out": out}
    code = main([a.format(**names) for a in args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_platform_abm_cli_offers_the_batch_commands():
    from platform_abm.cli import build_parser

    parser = build_parser()
    for command in ("sweep", "aggregate", "plot"):
        args = parser.parse_args(
            [command, "x", *(["--x", "a", "--y", "b"] if command == "plot" else [])]
        )
        assert args.command == command and callable(args.handler)
