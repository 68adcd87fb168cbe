"""Results folders: what `run` and `reproduce` may replace, and what they leave after a failure.

Every test here failed on the code before the marker (``.platform_abm.json``)
and the staging folder: ``--out notes.txt`` deleted the file, ``--out .``
emptied the working directory, a failed or interrupted write could leave
``.old``/``.tmp`` folders, and folders were created 0700.
"""

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import missing_resource

from platform_abm.cli import main
from platform_abm.common import results
from platform_abm.common.errors import InputError
from platform_abm.common.results import MARKER, OutputFolder, default_target

TINY = """
[scenario]
name = "tiny"
seed = {seed}
rounds = 3

[population]
source = "gaussian"
n = 300
strategic_features = [0, 1]
"""

# A real run that cycles (period 2) at its round limit: gradient steps too long
# for the strategic feedback (found by a scan of lr × steps × ε on this population).
CYCLING = """
[scenario]
name = "cycling"
seed = 0
rounds = 60

[population]
source = "gaussian"
n = 300
strategic_features = [0, 1]

[users]
epsilon = 1.0

[learner]
name = "gd"
lr = 5.0
steps = 3
"""


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A working directory and a home folder of the user's, with files in both."""
    home = tmp_path / "home"
    cwd = home / "project"
    cwd.mkdir(parents=True)
    (home / "diary.txt").write_text("mine")
    (cwd / "notes.txt").write_text("my notes")
    (cwd / "scenario.toml").write_text(TINY.format(seed=1))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    return cwd


def _snapshot(root):
    """Every file under a folder, with its bytes (and every folder)."""
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(Path(root).rglob("*"))
    }


def _run(*extra, scenario="scenario.toml"):
    return main(["run", scenario, "--quiet", *extra])


def _one_line(err):
    return err.count("\n") == 1 and "Traceback" not in err


def _hidden(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith("."))


# ---------------------------------------------------------------- refusals
def test_an_existing_file_is_never_replaced_even_with_force(work, capsys):
    for extra in ((), ("--force",)):
        assert _run("--out", "notes.txt", *extra) == 2
        err = capsys.readouterr().err
        assert _one_line(err) and str(work / "notes.txt") in err and "is a file" in err
        assert (work / "notes.txt").read_text() == "my notes"


def test_a_folder_of_the_users_files_is_refused_without_force(work, capsys):
    mydocs = work / "mydocs"
    mydocs.mkdir()
    (mydocs / "thesis.tex").write_text("chapter 1")
    (mydocs / ".hidden").write_text("also mine")
    before = _snapshot(mydocs)
    assert _run("--out", "mydocs") == 2
    err = capsys.readouterr().err
    assert _one_line(err) and str(mydocs) in err and "--force" in err and "thesis.tex" in err
    assert _snapshot(mydocs) == before


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        (".", "the working directory"),
        ("..", "a parent of the working directory"),
        ("~", "a parent of the working directory"),  # home is the project's parent here
        ("/", "the filesystem root"),
        ("results", "the results/ folder"),
    ],
)
def test_protected_folders_are_refused_even_with_force(work, capsys, out, reason):
    (work / "results").mkdir()
    home = work.parent
    before = _snapshot(home)
    for extra in ((), ("--force",)):
        assert _run("--out", out, *extra) == 2
        err = capsys.readouterr().err
        assert _one_line(err) and reason in err
        assert _snapshot(home) == before


def test_the_home_folder_is_refused(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    (home / "diary.txt").write_text("mine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "s.toml").write_text(TINY.format(seed=1))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(elsewhere)
    assert _run("--out", str(home), "--force", scenario="s.toml") == 2
    assert "your home folder" in capsys.readouterr().err
    assert sorted(p.name for p in home.iterdir()) == ["diary.txt"]


@pytest.mark.parametrize("name", [".", "..", "../..", "a/../.."])
def test_a_scenario_name_cannot_make_results_itself_or_a_folder_outside_the_target(
    work, capsys, name
):
    # The output check does not rely on the scenario loader refusing the name.
    with pytest.raises(InputError) as info:
        default_target(name, field="scenario.name")
    assert info.value.field == "scenario.name"
    (work / "results").mkdir()
    (work / "results" / "keep.txt").write_text("another run's notes")
    (work / "named.toml").write_text(TINY.format(seed=1).replace('"tiny"', json.dumps(name)))
    before = _snapshot(work.parent)
    assert _run(scenario="named.toml") == 2
    assert _one_line(capsys.readouterr().err)
    assert _snapshot(work.parent) == before


# --------------------------------------------------------------- replacing
def test_a_folder_written_by_the_program_is_replaced_and_carries_the_marker(work):
    (work / "first.toml").write_text(
        TINY.format(seed=1) + "[output]\nagent_sample = 5\ndir = 'results/tiny'\n"
    )
    assert _run(scenario="first.toml") == 0
    out = work / "results" / "tiny"
    marker = json.loads((out / MARKER).read_text())
    assert marker["package"] == "platform_abm" and marker["command"] == "run"
    assert marker["name"] == "tiny" and marker["version"]
    assert set(marker["files"]) == {p.name for p in out.iterdir()} - {MARKER}
    assert "agents.csv" in marker["files"]
    first = (out / "rounds.csv").read_bytes()

    (work / "mine.txt").write_text("x")
    assert _run("--seed", "2") == 0  # the default folder results/tiny, replaced
    assert (out / "rounds.csv").read_bytes() != first
    assert not (out / "agents.csv").exists()  # a file of ours the new run does not write
    assert set(json.loads((out / MARKER).read_text())["files"]) == {
        "drift.png",
        "rounds.csv",
        "rounds.parquet",
        "summary.json",
    }
    assert _hidden(out.parent) == []  # no .old or .tmp sibling


def test_files_the_user_adds_to_a_results_folder_survive_its_replacement(work):
    # Beyond the list: a marked folder may hold the user's own files too.
    out = work / "out"
    assert _run("--out", "out") == 0
    (out / "my-analysis.ipynb").write_text("{}")
    assert _run("--out", "out", "--seed", "5") == 0
    assert (out / "my-analysis.ipynb").read_text() == "{}"
    assert "my-analysis.ipynb" not in json.loads((out / MARKER).read_text())["files"]
    assert _hidden(out) == [MARKER]


def test_force_writes_next_to_the_users_files_and_deletes_nothing(work, capsys):
    mydocs = work / "mydocs"
    mydocs.mkdir()
    (mydocs / "thesis.tex").write_text("chapter 1")
    assert _run("--out", "mydocs", "--force") == 0
    assert (mydocs / "thesis.tex").read_text() == "chapter 1"
    assert (mydocs / "rounds.csv").is_file()
    assert "thesis.tex" not in json.loads((mydocs / MARKER).read_text())["files"]
    # A second run replaces its own files, and still not the user's (no --force needed).
    assert _run("--out", "mydocs", "--seed", "9") == 0
    assert (mydocs / "thesis.tex").read_text() == "chapter 1"
    assert _hidden(mydocs) == [MARKER]
    capsys.readouterr()


def test_force_never_overwrites_a_file_of_the_users_and_refuses_before_running(
    work, capsys, monkeypatch
):
    mydocs = work / "mydocs"
    mydocs.mkdir()
    (mydocs / "summary.json").write_text('{"my": "own"}')
    before = _snapshot(mydocs)
    built = []
    monkeypatch.setattr(
        "platform_abm.platform.model.PlatformModel.__init__", lambda *a, **k: built.append(1)
    )
    assert _run("--out", "mydocs", "--force") == 2
    err = capsys.readouterr().err
    assert _one_line(err) and "summary.json" in err
    assert built == [] and _snapshot(mydocs) == before


# ------------------------------------------------------------ writability
@contextlib.contextmanager
def read_only(folder):
    """Make a folder unwritable, also for root (whom permission bits do not stop)."""
    folder = Path(folder)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        missing_resource("running as root without chattr: no way to make a folder read-only")
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        missing_resource(f"chattr +i is not supported here ({made.stderr.strip()})")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize("existing", [False, True])
def test_a_read_only_location_fails_before_the_run_starts(work, capsys, monkeypatch, existing):
    parent = work / "locked"
    parent.mkdir()
    target = parent / "out"
    if existing:
        assert _run("--out", str(target)) == 0
    capsys.readouterr()
    before = _snapshot(parent)
    built = []
    monkeypatch.setattr(
        "platform_abm.platform.model.PlatformModel.__init__", lambda *a, **k: built.append(1)
    )
    with read_only(target if existing else parent):
        started = time.perf_counter()
        code = _run("--out", str(target))
        elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2 and _one_line(err) and str(target) in err
    assert built == []  # refused before the model (and its data) was even built
    assert elapsed < 1.0  # the bound; the check itself takes milliseconds
    assert _snapshot(parent) == before


# -------------------------------------------------------- nothing left over
class _Boom(Exception):
    pass


@pytest.mark.parametrize(
    ("raised", "code"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), 1),
        (KeyboardInterrupt(), 130),
        (_Boom("a bug while writing"), 70),
    ],
)
def test_a_failure_while_writing_leaves_the_previous_results_and_no_leftovers(
    work, capsys, monkeypatch, raised, code
):
    out = work / "results" / "tiny"
    assert _run() == 0
    before = _snapshot(work)
    fresh = work / "a" / "b" / "fresh"
    written = []

    def parquet_then_fail(self, path, *args, **kwargs):
        written.append(path)
        raise raised

    monkeypatch.setattr(pd.DataFrame, "to_parquet", parquet_then_fail)
    for extra in ((), ("--out", str(fresh))):
        capsys.readouterr()
        assert _run("--seed", "4", *extra) == code
        err = capsys.readouterr().err
        assert _one_line(err)
    assert len(written) == 2  # the failure came mid-write (after rounds.csv)
    assert _snapshot(work) == before  # old results intact, no .tmp/.old, no a/b/ folders
    assert _hidden(out.parent) == [] and _hidden(out) == [MARKER]


def test_ctrl_c_during_the_final_swap_is_held_until_the_swap_is_done(work, monkeypatch):
    # Beyond the list: the rename of the old folder and of the new one
    # cannot be separated by a Ctrl-C (it is delivered once both are done).
    assert _run() == 0
    real_rename = os.rename

    def interrupted_rename(source, destination):
        os.kill(os.getpid(), signal.SIGINT)
        return real_rename(source, destination)

    monkeypatch.setattr(results.os, "rename", interrupted_rename)
    assert _run("--seed", "4") == 130
    out = work / "results" / "tiny"
    assert json.loads((out / "summary.json").read_text())["scenario"]["seed"] == 4
    assert _hidden(out.parent) == [] and _hidden(out) == [MARKER]


def test_sigterm_during_a_run_leaves_nothing(tmp_path):
    # Beyond the list: SIGTERM (and SIGHUP) unwind like Ctrl-C.
    scenario = tmp_path / "slow.toml"
    scenario.write_text(
        TINY.format(seed=1).replace("rounds = 3", "rounds = 100000").replace("300", "20000")
        + "[run]\ntolerance = 0.0\n"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "platform_abm.cli",
            "run",
            str(scenario),
            "--quiet",
            "--out",
            str(tmp_path / "out"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _hidden(tmp_path):
            time.sleep(0.05)  # the staging folder appears once the checks passed
        assert _hidden(tmp_path), "the run never started"
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "SIGTERM" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.toml"]


# ---------------------------------------------------------------- umask
@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_folders_and_files_follow_the_umask(work, mask):
    previous = os.umask(mask)
    try:
        assert _run("--out", "deep/er/out") == 0
    finally:
        os.umask(previous)
    out = work / "deep" / "er" / "out"
    for folder in (work / "deep", work / "deep" / "er", out):
        assert folder.stat().st_mode & 0o777 == 0o777 & ~mask, folder  # was 0700
    for file in out.iterdir():
        assert file.stat().st_mode & 0o777 == 0o666 & ~mask, file


# ------------------------------------------------------------ reproduce
class FakeFigure:
    """A figure module that writes its files one by one, as the real ones do."""

    OPTIONS = frozenset()

    def __init__(self, fail_after=None):
        self.fail_after = fail_after
        self.seen = []

    def run(self, out_dir, *, variant, seeds, quick, data_path, progress):
        out_dir = Path(out_dir)
        self.seen.append((out_dir, variant, quick))
        out_dir.mkdir(parents=True, exist_ok=True)
        for index, name in enumerate(("figX.csv", "figX.png", "summary.json")):
            if self.fail_after == index:
                raise self.fail
            results.write_atomic(out_dir / name, f"{name} {variant}".encode())
        return {"headlines": []}


@pytest.fixture
def fake_figure(monkeypatch):
    import platform_abm.platform.reproduce as reproduce

    figure = FakeFigure()
    monkeypatch.setattr(reproduce, "figure_module", lambda name: figure)
    return figure


def test_reproduce_writes_into_a_staging_folder_swapped_in_with_the_marker(work, fake_figure):
    assert main(["reproduce", "fig1", "--quiet"]) == 0
    staging, variant, quick = fake_figure.seen[0]
    assert (variant, quick) == ("paper", False)
    out = work / "results" / "fig1"
    assert staging.parent == out.parent and staging.name.startswith(".fig1.")
    assert not staging.exists()
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "figX.csv", "figX.png", "summary.json"]
    assert json.loads((out / MARKER).read_text())["command"] == "reproduce fig1"
    # Each variant and the quick grid have their own default folder: a quick or
    # notebook run does not replace the full paper run.
    assert main(["reproduce", "fig1", "--variant", "notebook", "--quick", "--quiet"]) == 0
    assert (out / "figX.csv").read_text() == "figX.csv paper"
    quick_out = work / "results" / "fig1-notebook-quick"
    assert (quick_out / "figX.csv").read_text() == "figX.csv notebook"


@pytest.mark.parametrize(
    ("fail", "code"),
    [(InputError("--setting", "x", "one of ['saved']"), 2), (KeyboardInterrupt(), 130)],
)
def test_a_reproduction_that_fails_midway_leaves_nothing(work, fake_figure, capsys, fail, code):
    assert main(["reproduce", "fig1", "--quiet"]) == 0
    before = _snapshot(work)
    fake_figure.fail_after, fake_figure.fail = 2, fail
    for extra in ((), ("--out", "elsewhere/fig")):
        capsys.readouterr()
        assert main(["reproduce", "fig1", "--quiet", *extra]) == code
        assert _one_line(capsys.readouterr().err)
    assert _snapshot(work) == before


def test_reproduce_follows_the_same_rules_as_run(work, fake_figure, capsys):
    assert main(["reproduce", "fig1", "--quiet", "--out", "notes.txt"]) == 2
    assert main(["reproduce", "fig1", "--quiet", "--out", "."]) == 2
    assert fake_figure.seen == []
    assert (work / "notes.txt").read_text() == "my notes"


def test_reproduce_curation_is_staged_too(work, monkeypatch, capsys):
    import platform_abm.curation.reproduce as curation

    def half_written(out_dir, progress):
        results.write_atomic(Path(out_dir) / "curation_heatmaps.png", b"png")
        raise KeyboardInterrupt

    monkeypatch.setattr(curation, "reproduce_curation", half_written)
    assert main(["reproduce", "curation", "--quiet"]) == 130
    assert not (work / "results").exists()


# ----------------------------------------------------- statuses and errors
def test_a_cycling_run_is_reported_as_cycling_and_exits_0(tmp_path, capsys):
    scenario = tmp_path / "cycling.toml"
    scenario.write_text(CYCLING)
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--quiet", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "cycling (period 2: did not converge)" in captured.out
    assert "did not converge (status cycling)" in captured.err and _one_line(captured.err)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "cycling" and summary["cycle_period"] == 2


@pytest.mark.parametrize(
    "text",
    ["scenario = 5\n", "scenario = 5\n[population]\nn = 300\n", '[scenario]\nrounds = "many"\n'],
)
def test_malformed_scenario_documents_get_one_line(tmp_path, capsys, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    for command in ("run", "sweep"):
        code = main([command, str(path), "--quiet", "--out", str(tmp_path / "o")])
        err = capsys.readouterr().err
        assert code == 2 and _one_line(err) and "platform-abm: error:" in err
        assert not (tmp_path / "o").exists()


def test_an_unexpected_error_is_one_line_with_a_hint_and_the_traceback_on_request(
    work, capsys, monkeypatch
):
    def bug(*args, **kwargs):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr("platform_abm.platform.run.run", bug)
    assert _run() == 70
    err = capsys.readouterr().err
    assert _one_line(err) and "ZeroDivisionError: oops" in err and "PLATFORM_ABM_DEBUG=1" in err
    monkeypatch.setenv("PLATFORM_ABM_DEBUG", "1")
    assert _run() == 70
    assert "Traceback" in capsys.readouterr().err


def test_a_read_only_plot_and_bad_aggregate_outputs_get_messages(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text(TINY.format(seed=1) + "[sweep]\nseeds = 2\n")
    out = tmp_path / "sweep"
    assert main(["sweep", str(scenario), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "notes.txt").write_text("mine")
    capsys.readouterr()
    with read_only(locked):
        cases = [
            (
                [
                    "plot",
                    str(out),
                    "--x",
                    "round",
                    "--y",
                    "utility",
                    "--out",
                    str(locked / "p.png"),
                ],
                2,
            ),
            (["aggregate", str(out), "--out", str(locked / "a.csv")], 2),
            (["aggregate", str(out), "--out", str(tmp_path / "notes.txt")], 2),  # not a .csv
            (["aggregate", str(out), "--out", str(tmp_path)], 2),
            (["plot", str(out), "--x", "round", "--y", "utility", "--out", str(tmp_path)], 2),
        ]
        for argv, code in cases:
            assert main(argv) == code, argv
            err = capsys.readouterr().err
            assert _one_line(err), err
        assert list(locked.iterdir()) == []
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_output_folder_is_usable_from_python(tmp_path):
    target = tmp_path / "api"
    with OutputFolder(target, command="api", name="x") as staging:
        (staging / "table.csv").write_text("a\n1\n")
        assert not target.exists()
    assert json.loads((target / MARKER).read_text())["files"] == ["table.csv"]
    with pytest.raises(InputError) as info, OutputFolder(tmp_path, command="api", name="x"):
        pass
    assert info.value.field == "--out"


def test_an_option_for_a_figure_module_without_options_is_refused_in_one_line(
    work, monkeypatch, capsys
):
    # Beyond the list: a figure module that does not (yet) declare OPTIONS
    # made the option check end in an AttributeError (an internal error, exit 70).
    import platform_abm.platform.reproduce as reproduce

    class Bare:
        def run(self, out_dir, **kwargs):
            raise AssertionError("must not run")

    monkeypatch.setattr(reproduce, "figure_module", lambda name: Bare())
    assert main(["reproduce", "fig3", "--setting", "saved", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert _one_line(err) and "--setting" in err and "not fig3" in err
    assert not (work / "results").exists()


def test_a_file_in_the_way_of_an_output_path_is_named(work, capsys):
    # Beyond the list: a file where a folder of the path should be gave
    # "File exists" for plot/aggregate and named our temporary folder for run.
    assert _run("--out", "notes.txt/sub") == 2
    err = capsys.readouterr().err
    assert _one_line(err) and f"{work / 'notes.txt'}: Not a directory" in err
    assert ".tmp" not in err
    with pytest.raises(OSError) as info:
        results.write_atomic(work / "notes.txt" / "x.png", b"png")
    assert info.value.errno == errno.ENOTDIR and info.value.filename == str(
        work / "notes.txt" / "x.png"
    )
    assert (work / "notes.txt").read_text() == "my notes"
