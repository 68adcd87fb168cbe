import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from platform_abm.batch import aggregate, load_results, run_sweep
from platform_abm.batch.runner import SweepOptions, execute_sweep
from platform_abm.batch.store import JOURNAL_FILE, MANIFEST_FILE, RUNS_DIR
from platform_abm.cli import main as batch_main
from platform_abm.common.errors import InputError

SERIAL = SweepOptions(backend="serial", progress=False)

# Eight small runs (2 ε × 2 level mixes × 2 seeds) keeping every round: enough
# for the tables to differ if a seed or a parameter went to the wrong run.
SMALL = """
[scenario]
name = "small"
seed = 11
rounds = 4

[population]
source = "gaussian"
n = 300
strategic_features = [0, 1]

[users]
epsilon = 0.5

[sweep]
seeds = 2
record = "rounds"

[sweep.parameters]
"users.epsilon" = [0.2, 0.6]
"users.levels" = [{1 = 1.0}, {1 = 0.5, 2 = 0.5}]
"""

N_SLOWER = 8


@pytest.fixture(scope="module")
def slower_reference(tmp_path_factory, slow_sweep, write_scenario):
    """The uninterrupted serial table of the slow sweep."""
    root = tmp_path_factory.mktemp("slower-reference")
    return execute_sweep(write_scenario(root, slow_sweep), root / "out", SERIAL).table


def _run_files(out):
    return {p.name: p.stat().st_mtime_ns for p in (Path(out) / RUNS_DIR).glob("*.parquet")}


@pytest.mark.slow
def test_serial_local_processes_and_dask_give_identical_tables(tmp_path, write_scenario):
    from distributed import LocalCluster

    scenario = write_scenario(tmp_path, SMALL)
    serial = run_sweep(scenario, tmp_path / "serial", backend="serial", progress=False)
    assert serial["run_key"].nunique() == 8 and len(serial) == 8 * 4
    assert list(serial.columns[:7]) == [
        "run_key",
        "replicate",
        "seed",
        "status",
        "message",
        "users.epsilon",
        "users.levels",
    ]
    assert serial["run_key"].is_monotonic_increasing
    # Every run has its own seed, and each run's rows are its rounds in order.
    assert serial.groupby("run_key")["seed"].nunique().eq(1).all()
    assert serial.drop_duplicates("run_key")["seed"].nunique() == 8
    assert serial.groupby("run_key")["round"].apply(list).map(lambda r: r == [1, 2, 3, 4]).all()
    # Different ε and level mixes lead to different deployed models.
    finals = serial.groupby(["users.epsilon", "users.levels"])["theta[x0]"].last()
    assert finals.nunique() == 4

    local = run_sweep(scenario, tmp_path / "local", backend="local", workers=2, progress=False)
    pd.testing.assert_frame_equal(serial, local, check_exact=True)

    # In-process Dask workers (processes=False): the client/scheduler path is the
    # one used against any cluster; process workers are exercised by
    # benchmarks/batch.py, and starting two more interpreters here would cost
    # ~15 s on a shared 2-core machine for no extra coverage of this package.
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        dask = run_sweep(
            scenario,
            tmp_path / "dask",
            backend="dask",
            address=cluster.scheduler_address,
            progress=False,
        )
    pd.testing.assert_frame_equal(serial, dask, check_exact=True)
    assert load_results(tmp_path / "dask").equals(dask)


def test_ray_gives_the_same_table(tmp_path, write_scenario):
    pytest.importorskip(
        "ray", reason="Ray is not installed (optional extra: pip install 'platform_abm[ray]')"
    )
    scenario = write_scenario(tmp_path, SMALL)
    serial = run_sweep(scenario, tmp_path / "serial", backend="serial", progress=False)
    ray_table = run_sweep(scenario, tmp_path / "ray", backend="ray", workers=2, progress=False)
    pd.testing.assert_frame_equal(serial, ray_table, check_exact=True)


def _start_sweep(scenario, out, backend):
    command = [
        sys.executable,
        "-m",
        "platform_abm.batch",
        "sweep",
        str(scenario),
        "--out",
        str(out),
        "--backend",
        backend,
        "--workers",
        "2",
        "--quiet",
    ]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the driver and its workers
    )


def _live_processes_in_group(group):
    """Processes of a process group that are still running (zombies are dead: skipped)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            live.append(int(stat.parent.name))
    return live


def _signal_after(process, out, finished, signum):
    """Send ``signum`` to the sweep's process group once ``finished`` runs are journalled."""
    journal = out / JOURNAL_FILE
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if journal.is_file() and journal.read_text().count("\n") >= finished:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the sweep ended before the signal"
        os.killpg(process.pid, signum)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
    return process.returncode, err


@pytest.mark.slow
def test_sigkill_then_ctrl_c_then_resume_gives_the_uninterrupted_table(
    tmp_path, slower_reference, slow_sweep, write_scenario
):
    scenario = write_scenario(tmp_path, slow_sweep)
    out = tmp_path / "interrupted"

    code, _ = _signal_after(_start_sweep(scenario, out, "serial"), out, 2, signal.SIGKILL)
    assert code == -signal.SIGKILL
    killed = _run_files(out)
    assert 2 <= len(killed) < N_SLOWER
    assert not (out / MANIFEST_FILE).exists()  # it never got to finish cleanly

    # Ctrl-C (SIGINT to the process group, as a terminal sends it) stops the
    # driver and its worker processes cleanly.
    process = _start_sweep(scenario, out, "local")
    code, err = _signal_after(process, out, len(killed) + 2, signal.SIGINT)
    interrupted = _run_files(out)
    assert code == 130, err
    assert _live_processes_in_group(process.pid) == []  # no worker outlived the driver
    assert f"runs are saved in {out}" in err and "Traceback" not in err
    assert {name: interrupted[name] for name in killed} == killed
    assert len(interrupted) < N_SLOWER
    manifest = pd.read_parquet(out / MANIFEST_FILE)
    assert set(manifest["state"]) == {"done", "pending"}
    assert manifest["state"].eq("done").sum() == len(interrupted)

    resumed = execute_sweep(scenario, out, SERIAL)
    assert resumed.skipped == len(interrupted)
    assert resumed.executed == N_SLOWER - len(interrupted)  # nothing done ran again
    after = _run_files(out)
    assert {name: after[name] for name in interrupted} == interrupted
    assert not [p for p in (out / RUNS_DIR).iterdir() if p.name.startswith(".")]
    table = resumed.table
    assert table["run_key"].is_unique and len(table) == N_SLOWER

    pd.testing.assert_frame_equal(table, slower_reference, check_exact=True)
    manifest = pd.read_parquet(out / MANIFEST_FILE)
    assert manifest["run_key"].is_unique and set(manifest["state"]) == {"done"}


def _pool_workers(driver):
    """PIDs of the worker processes a sweep driver started (not its resource tracker)."""
    workers = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == driver and b"spawn_main" in command:
            workers.append(int(proc.name))
    return workers


@pytest.mark.slow
def test_a_lost_worker_loses_its_runs_only_and_the_same_command_completes(
    tmp_path, slower_reference, slow_sweep, write_scenario
):
    scenario = write_scenario(tmp_path, slow_sweep)
    out = tmp_path / "lost"
    process = _start_sweep(scenario, out, "local")
    journal = out / JOURNAL_FILE
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if journal.is_file() and journal.read_text().count("\n") >= 1:
                break
            time.sleep(0.02)
        workers = _pool_workers(process.pid)
        assert len(workers) == 2 and process.poll() is None
        os.kill(workers[0], signal.SIGKILL)  # as the OOM killer would
        output, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
    assert process.returncode == 1, err
    assert "worker process lost" in output and "run again with the same command" in output
    manifest = pd.read_parquet(out / MANIFEST_FILE)
    lost = manifest[manifest["state"] == "lost"]  # not "failed": the run did not raise
    assert 1 <= len(lost) <= 4  # at most the runs in flight (2 per worker)
    assert lost["error"].str.startswith("worker process lost").all()
    assert (manifest["state"] == "done").sum() == N_SLOWER - len(lost)  # the sweep went on

    # The same command, without --retry-failed, runs the lost runs again.
    retried = execute_sweep(scenario, out, SERIAL)
    assert retried.executed == len(lost) and not retried.failed and not retried.lost
    pd.testing.assert_frame_equal(retried.table, slower_reference, check_exact=True)


def _csv(path, rows, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, 3))
    y = (x @ [1.0, -0.5, 0.3] + 0.5 * rng.standard_normal(rows) > 0).astype(int)
    frame = pd.DataFrame(x, columns=["f0", "f1", "f2"]).assign(y=y)
    frame.to_csv(path, index=False)


FROM_CSV = """
[scenario]
name = "csv-sweep"
seed = 2
rounds = 3

[population]
source = "csv"
path = "good.csv"
label = "y"
strategic_features = ["f0", "f1"]

[users]
epsilon = 0.5

[sweep]
seeds = 2

[sweep.parameters]
"population.path" = ["good.csv", "late.csv"]
"""


def test_a_failing_run_is_recorded_and_retried_with_retry_failed(tmp_path, capsys, write_scenario):
    _csv(tmp_path / "good.csv", 200, 0)
    scenario = write_scenario(tmp_path, FROM_CSV)
    out = tmp_path / "out"
    report = execute_sweep(scenario, out, SERIAL)
    assert report.total == 4 and report.done == 2 and len(report.failed) == 2
    for error in report.failed.values():
        assert error.startswith("InputError: population.path") and "late.csv" in error
    assert set(report.table["population.path"]) == {"good.csv"}
    manifest = pd.read_parquet(out / MANIFEST_FILE).set_index("run_key")
    assert manifest.loc[list(report.failed), "state"].eq("failed").all()
    assert manifest.loc[list(report.failed), "error"].str.contains("late.csv").all()
    lines = [json.loads(line) for line in (out / JOURNAL_FILE).read_text().splitlines()]
    assert all("Traceback" in e["traceback"] for e in lines if e["state"] == "failed")

    # A plain re-run leaves failed runs alone.
    again = execute_sweep(scenario, out, SERIAL)
    assert again.executed == 0 and set(again.failed) == set(report.failed)

    _csv(tmp_path / "late.csv", 150, 1)
    done_before = _run_files(out)
    capsys.readouterr()
    code = batch_main(
        [
            "sweep",
            str(scenario),
            "--out",
            str(out),
            "--backend",
            "serial",
            "--retry-failed",
            "--quiet",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "4 (2 completed before this command, 2 run now)" in printed
    after = _run_files(out)
    assert {name: after[name] for name in done_before} == done_before
    table = load_results(out)
    assert len(table) == 4 and table["run_key"].is_unique
    fresh = run_sweep(scenario, tmp_path / "fresh", backend="serial", progress=False)
    pd.testing.assert_frame_equal(table, fresh, check_exact=True)


def test_failed_runs_make_the_command_exit_1_and_list_them(tmp_path, capsys, write_scenario):
    _csv(tmp_path / "good.csv", 120, 0)
    scenario = write_scenario(tmp_path, FROM_CSV)
    code = batch_main(
        ["sweep", str(scenario), "--out", str(tmp_path / "o"), "--backend", "serial", "--quiet"]
    )
    printed = capsys.readouterr().out
    assert code == 1
    assert printed.count("failed run ") == 2 and "--retry-failed" in printed


def test_a_different_sweep_is_refused_naming_what_differs(tmp_path, write_scenario):
    # Today's code merged a sweep with more seeds or other values into the folder.
    scenario = write_scenario(tmp_path, SMALL.replace("seeds = 2", "seeds = 1"))
    out = tmp_path / "out"
    first = execute_sweep(scenario, out, SERIAL)
    assert first.executed == 4
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for text, differs in (
        (SMALL, "sweep.seeds: [0] → [0,1]"),
        (
            SMALL.replace("seeds = 2", "seeds = 1").replace("[0.2, 0.6]", "[0.2, 0.7]"),
            "sweep.parameters.users.epsilon: [0.2,0.6] → [0.2,0.7]",
        ),
        (
            SMALL.replace("seeds = 2", "seeds = 1").replace("n = 300", "n = 301"),
            "population.n: 300 → 301",
        ),
    ):
        scenario.write_text(text)
        with pytest.raises(InputError, match="different sweep") as info:
            execute_sweep(scenario, out, SERIAL)
        assert differs in info.value.allowed
        after = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert after == before  # nothing merged, nothing rewritten
    scenario.write_text(SMALL.replace("seeds = 2", "seeds = 1"))  # the same sweep resumes
    again = execute_sweep(scenario, out, SERIAL)
    assert again.skipped == 4 and again.executed == 0
    pd.testing.assert_frame_equal(again.table, first.table, check_exact=True)


def test_a_different_base_scenario_cannot_reuse_the_folder(tmp_path, write_scenario):
    scenario = write_scenario(tmp_path, SMALL.replace("seeds = 2", "seeds = 1"))
    out = tmp_path / "out"
    run_sweep(scenario, out, backend="serial", progress=False)
    scenario.write_text(SMALL.replace("seeds = 2", "seeds = 1").replace("rounds = 4", "rounds = 5"))
    with pytest.raises(InputError, match="same sweep") as info:
        run_sweep(scenario, out, backend="serial", progress=False)
    assert info.value.field == "out_dir"
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="empty folder"):
        run_sweep(scenario, other, backend="serial", progress=False)


def test_python_documents_and_sweep_override(tmp_path):
    doc = {
        "scenario": {"name": "py", "seed": 1, "rounds": 2},
        "population": {"source": "gaussian", "n": 200, "strategic_features": [0]},
    }
    table = run_sweep(
        doc,
        tmp_path / "out",
        backend="serial",
        progress=False,
        sweep={"seeds": 3, "parameters": {"scenario.rounds": {"start": 1, "stop": 3, "num": 3}}},
    )
    assert len(table) == 9 and table["run_key"].is_unique
    assert table.groupby("scenario.rounds")["round"].max().to_dict() == {1: 1, 2: 2, 3: 3}
    summary = aggregate(table, metrics=["utility"])
    assert list(summary["scenario.rounds"]) == [1, 2, 3] and set(summary["n"]) == {3}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"backend": "threads"}, "backend"),
        ({"backend": "local", "workers": 0}, "workers"),
        ({"backend": "serial", "address": "tcp://127.0.0.1:1"}, "address"),
    ],
)
def test_bad_backend_options_name_the_option(tmp_path, options, field, write_scenario):
    scenario = write_scenario(tmp_path, SMALL)
    with pytest.raises(InputError) as info:
        run_sweep(scenario, tmp_path / "out", progress=False, **options)
    assert info.value.field == field
    assert not (tmp_path / "out").exists()


def test_a_curation_sweep_runs_each_point_like_its_own_scenario(tmp_path):
    import tomllib

    from platform_abm.curation.model import CurationModel
    from platform_abm.curation.run import run_model
    from platform_abm.curation.scenario import CurationScenario

    root = Path(__file__).resolve().parents[1]
    with (root / "scenarios" / "curation" / "perfect.toml").open("rb") as handle:
        doc = tomllib.load(handle)
    doc.pop("output", None)
    doc["scenario"]["rounds"] = 3
    doc["curation"]["grid"]["size"] = 21
    doc["sweep"] = {"parameters": {"curation.owner.temperature": [0.5, 1.0]}}
    table = run_sweep(doc, tmp_path / "out", backend="serial", progress=False)
    assert len(table) == 2 and set(table["status"]) == {"round-limit"}
    for _, row in table.iterrows():
        single = {key: value for key, value in doc.items() if key != "sweep"}
        single["scenario"] = {**doc["scenario"], "seed": int(row["seed"])}
        single["curation"] = {
            **doc["curation"],
            "owner": {**doc["curation"]["owner"], "temperature": row["curation.owner.temperature"]},
        }
        model = CurationModel.from_scenario(CurationScenario.from_dict(single))
        expected = run_model(model, progress=False).iloc[-1]
        for column, value in expected.items():
            assert row[column] == value, column
    temperatures = table.set_index("curation.owner.temperature")["entropy"]
    assert temperatures[0.5] != temperatures[1.0]


def test_sweep_runs_record_model_level_data_only():
    # A sweep keeps each run's round table; an [output] agent_sample in the base
    # scenario must neither be recorded nor fail runs whose population is smaller.
    from platform_abm.families import FAMILIES

    family = FAMILIES["platform"]
    scenario = family.validate(
        {"population": {"n": 200}, "output": {"agent_sample": 300}, "scenario": {"rounds": 2}},
        None,
    )
    model = family.build(scenario)
    assert model.agent_results() is None
    assert len(family.run(model)) == 2
