import json
import subprocess
import sys
from pathlib import Path

import mesa
import pandas as pd
import pytest

from platform_abm.cli import main
from platform_abm.platform.model import PlatformModel

ROOT = Path(__file__).resolve().parents[1]


def test_default_scenario_end_to_end(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "platform_abm.cli",
            "run",
            str(ROOT / "scenarios/default.toml"),
            "--rounds",
            "6",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for line in (
        "rounds run",
        "final drift",
        "utility, level 1",
        "utility, level 2",
        "learner accuracy",
        "wall time",
        "regime",
    ):
        assert line in result.stdout
    table = pd.read_csv(out / "rounds.csv")
    assert list(table["round"]) == list(range(1, 7))
    pd.testing.assert_frame_equal(table, pd.read_parquet(out / "rounds.parquet"), check_dtype=False)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"]["name"] == "default"
    assert summary["platform_abm_version"]
    assert summary["regime"] == "performative"
    assert summary["rounds"] == 6
    assert (out / "drift.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "agents.csv").exists()  # per-agent data is opt-in
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_same_seed_gives_identical_tables(tmp_path):
    tables = []
    for name in ("a", "b"):
        assert (
            main(["run", "--rounds", "4", "--seed", "7", "--quiet", "--out", str(tmp_path / name)])
            == 0
        )
        tables.append(pd.read_parquet(tmp_path / name / "rounds.parquet"))
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)
    assert (
        main(["run", "--rounds", "4", "--seed", "8", "--quiet", "--out", str(tmp_path / "c")]) == 0
    )
    other = pd.read_parquet(tmp_path / "c" / "rounds.parquet")
    assert not other.equals(tables[0])


COLLECTIVE = """[population]
n = 400
[[collectives]]
name = "c"
members = {{ {members} }}
strategy = {{ family = "shift", features = {features}, direction = "ones", shared = true }}
utility = {{ kind = "loss-alignment", lambda = 0.5 }}
"""


def test_collective_whose_solve_fails_exits_1_and_writes_nothing(tmp_path, capsys):
    # a per-feature shift with no budget: the selfish best response is unbounded
    text = COLLECTIVE.format(
        members="fraction = 0.2", features='["RevolvingUtilizationOfUnsecuredLines"]'
    )
    text = text.replace(', direction = "ones", shared = true', "")
    code = main(["run", str(_write(tmp_path, text)), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "unbounded" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_collective_scenario_runs_and_records_its_metrics(tmp_path):
    text = COLLECTIVE.format(
        members="fraction = 0.2", features='["RevolvingUtilizationOfUnsecuredLines"]'
    )
    text = text.replace("shared = true", "shared = true, budget = 0.5")
    out = tmp_path / "o"
    assert (
        main(["run", str(_write(tmp_path, text)), "--rounds", "3", "--out", str(out), "--quiet"])
        == 0
    )
    table = pd.read_csv(out / "rounds.csv")
    for column in ("utility_c", "count_c", "B_c", "phi_c", "psi_c", "dU_dalpha_c"):
        assert column in table and table[column].notna().all()
    assert (table["count_c"] == 80).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["collectives"]["c"]["members"] == 80


def test_sampled_agent_table_is_written_when_asked_for(tmp_path):
    text = "[population]\nn = 800\n[output]\nagent_sample = 30\n"
    out = tmp_path / "o"
    assert (
        main(["run", str(_write(tmp_path, text)), "--rounds", "4", "--out", str(out), "--quiet"])
        == 0
    )
    agents = pd.read_csv(out / "agents.csv")
    assert len(agents) == 4 * 30 and agents["AgentID"].nunique() == 30
    assert list(agents.columns[:3]) == ["round", "AgentID", "row"]
    assert {"level", "epsilon", "score", "moved", "utility"} <= set(agents.columns)
    parquet = pd.read_parquet(out / "agents.parquet")
    assert agents["collective"].isna().all() and parquet["collective"].isna().all()
    pd.testing.assert_frame_equal(
        agents.drop(columns="collective"), parquet.drop(columns="collective"), check_dtype=False
    )


def _write(tmp_path, text):
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[users]\nlevels = {1 = 0.7, 2 = 0.7}\n", "users.levels"),
        ("[users]\nepsilon = -2\n", "users.epsilon: got -2"),
        ('[population]\nstrategic_features = ["height"]\n', "height"),
        ("[population]\nstrategic_features = [42]\n", "42"),
        ('[scenario]\nrounds = "many"\n', "scenario.rounds"),
        ('[population]\nsource = "csv"\npath = "nothing.csv"\nlabel = "y"\n', "nothing.csv"),
        ("[scenario\n", "valid TOML"),
        ("[population]\nn = 500\n[output]\nagent_sample = 501\n", "output.agent_sample: got 501"),
        ("[output]\nagent_sample = -3\n", "output.agent_sample: got -3"),
        (
            COLLECTIVE.format(members="fraction = 1.5", features='["age"]'),
            "collectives[0].members.fraction",
        ),
        (COLLECTIVE.format(members="ids = []", features='["age"]'), "collectives[0].members.ids"),
        (
            COLLECTIVE.format(members="fraction = 0.2", features='["age"]'),
            "collectives[0].strategy.features",
        ),
    ],
)
def test_bad_input_exits_2_with_one_message_and_writes_nothing(tmp_path, text, message, capsys):
    out = tmp_path / "out"
    code = main(["run", str(_write(tmp_path, text)), "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert code == 2
    assert message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert not out.exists()


def test_cli_subprocess_has_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "platform_abm.cli", "run", str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "scenario file" in result.stderr


def test_missing_credit_file_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PLATFORM_ABM_CREDIT_CSV", str(tmp_path / "absent.csv"))
    code = main(["run", "--data", str(tmp_path / "absent.csv"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "absent.csv" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_diverging_run_exits_1_and_writes_nothing(tmp_path, capsys):
    path = _write(
        tmp_path, '[learner]\nname = "gd"\nlr = 1e6\nsteps = 50\n[run]\ndivergence_bound = 100.0\n'
    )
    code = main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "diverged" in err and "run.divergence_bound" in err
    assert not (tmp_path / "o").exists()


def test_previous_results_survive_a_failed_run(tmp_path):
    out = tmp_path / "o"
    assert main(["run", "--rounds", "2", "--quiet", "--out", str(out)]) == 0
    before = (out / "rounds.csv").read_bytes()
    bad = _write(tmp_path, "[users]\nepsilon = 0\n")
    assert main(["run", str(bad), "--out", str(out), "--quiet"]) == 2
    assert (out / "rounds.csv").read_bytes() == before


def test_mesa_batch_run_works_unchanged():
    results = mesa.batch_run(
        PlatformModel,
        parameters={"n_users": 500, "levels": [(0.0, 1.0), (0.0, 0.5, 0.5)], "max_rounds": 3},
        rng=[1, 2],
        max_steps=3,
        number_processes=1,
        display_progress=False,
    )
    frame = pd.DataFrame(results)
    assert len(frame) == 2 * 2  # two parameter points × two seeds, last step each
    assert (frame["Step"] == 3).all()
    assert frame["drift"].notna().all() and (frame["drift"] > 0).all()


def test_help_everywhere():
    for argv in (["--help"], ["run", "--help"], ["reproduce", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0


@pytest.mark.parametrize("figure", ["fig2", "fig3", "fig4", "curation"])
def test_reproduce_honours_or_rejects_data(figure, tmp_path, capsys):
    # fig2-4 read the credit file given with --data (a missing one is an error, not ignored);
    # curation needs no data and says so
    code = main(
        [
            "reproduce",
            figure,
            "--data",
            str(tmp_path / "absent.csv"),
            "--quiet",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert ("absent.csv" in err) and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_curation_scenario_runs_through_the_same_command(tmp_path, capsys):
    out = tmp_path / "curation"
    scenario = str(ROOT / "scenarios/curation/perfect.toml")
    argv = ["run", scenario, "--rounds", "3", "--seed", "2", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "rounds run      3" in printed and "regime, public" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["rounds"], summary["seed"], summary["family"]) == (3, 2, "curation")
    assert len(pd.read_csv(out / "rounds.csv")) == 3
    assert main(["run", scenario, "--data", "x.csv", "--out", str(tmp_path / "d")]) == 2
    assert "--data" in capsys.readouterr().err and not (tmp_path / "d").exists()
