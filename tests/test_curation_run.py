"""The curation runner and reproduce_curation: results folders, summaries, figures, limits."""

import json
from pathlib import Path

import pandas as pd
import pytest

from platform_abm import __version__
from platform_abm.common.errors import InputError
from platform_abm.common.progress import progress_bar
from platform_abm.common.results import MARKER
from platform_abm.curation.model import CurationModel
from platform_abm.curation.reproduce import reproduce_curation
from platform_abm.curation.run import run, run_model
from platform_abm.curation.scenario import CurationScenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios" / "curation"
PNG = b"\x89PNG\r\n\x1a\n"


def scenario(name, **curation):
    sc = CurationScenario.from_toml(SCENARIOS / f"{name}.toml")
    data = {
        "scenario": {"name": sc.name, "family": "curation", "seed": sc.seed, "rounds": 30},
        "curation": {
            "factions": [f.as_dict() for f in sc.factions],
            "grid": {"size": 41},
            **curation,
        },
    }
    return CurationScenario.from_dict(data)


def test_run_writes_the_table_figures_and_summary(tmp_path):
    out = tmp_path / "out"
    summary = run(scenario("disjoint"), out, progress=False)
    files = {"rounds.csv", "rounds.parquet", "summary.json", "heatmap.png", "metrics.png"}
    assert {p.name for p in out.iterdir()} == files | {MARKER}
    assert all((out / name).read_bytes()[:8] == PNG for name in ("heatmap.png", "metrics.png"))
    table = pd.read_csv(out / "rounds.csv")
    assert table["round"].tolist() == list(range(1, 31))  # one row per round, row 0 is round 1
    curators = ("owner", "public")
    expected = (
        {f"{c}_{m}" for c in curators for m in ("distance", "satisfaction")}
        | {f"mass_outside_{c}" for c in curators}
        | {f"influence_{c}" for c in curators}
        | {"round", "entropy", "support_size", "mass_outside_target_public", "change"}
    )
    assert set(table.columns) == expected
    pd.testing.assert_frame_equal(pd.read_parquet(out / "rounds.parquet"), table)
    assert json.loads((out / "summary.json").read_text()) == json.loads(json.dumps(summary))
    assert summary["platform_abm_version"] == __version__ and summary["wall_time_s"] > 0
    assert summary["scenario"] == "curation-disjoint" and summary["seed"] == 0
    assert summary["rounds"] == len(table) == 30 and summary["status"] == "round-limit"
    assert summary["regimes"] == {"public": "disjoint"}
    assert summary["mode"]["cell"] == [1.0, 0.0] and summary["mode"]["mass"] > 0.999
    assert summary["final"]["owner_distance"] == pytest.approx(1.0, abs=1e-6)
    assert json.loads((out / MARKER).read_text())["command"] == "run"


def test_a_grid_run_that_converges_counts_the_rounds_it_ran(tmp_path):
    summary = run(scenario("perfect"), tmp_path / "out", progress=False)
    table = pd.read_csv(tmp_path / "out" / "rounds.csv")
    assert summary["status"] == "converged"
    assert summary["rounds"] == len(table) < 30
    assert table["round"].tolist() == list(range(1, len(table) + 1))


def test_run_sampled_shows_one_tick_per_round(tmp_path, monkeypatch):
    import platform_abm.curation.run as curation_run

    bars = []

    def recording_bar(*args, **kwargs):
        bars.append(progress_bar(*args, **kwargs))
        return bars[-1]

    monkeypatch.setattr(curation_run, "progress_bar", recording_bar)
    summary = run(scenario("perfect", fidelity="sampled"), tmp_path / "out", progress=True)
    assert summary["fidelity"] == "sampled" and summary["rounds"] == 30
    assert summary["status"] == "round-limit"
    # The bar is cleared when the run ends (leave=False); its count is what was shown.
    assert [(bar.total, bar.n) for bar in bars] == [(30, 30)]


def test_run_refuses_a_folder_it_did_not_write_before_running(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    with pytest.raises(InputError) as err:
        run(scenario("partial"), out, progress=False, field="--out")
    assert err.value.field == "--out"
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    run(scenario("partial"), out, progress=False, force=True)
    assert (out / "notes.txt").read_text() == "keep" and (out / "summary.json").is_file()


def test_run_is_deterministic(tmp_path):
    sc = scenario("partial", fidelity="sampled")
    a = run(sc, tmp_path / "a", progress=False)
    b = run(sc, tmp_path / "b", progress=False)
    for summary in (a, b):
        del summary["wall_time_s"]
    assert a == b
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "a" / "rounds.parquet"),
        pd.read_parquet(tmp_path / "b" / "rounds.parquet"),
    )


def test_run_model_returns_the_models_results():
    model = CurationModel.from_scenario(scenario("partial"), max_rounds=4)
    table = run_model(model, progress=False)
    assert not model.running and table["round"].tolist() == [1, 2, 3, 4]
    pd.testing.assert_frame_equal(table, model.results())
    assert table["support_size"].dtype.kind == "i"


def test_reproduce_writes_figures_and_limits(tmp_path):
    out = tmp_path / "fig"
    result = reproduce_curation(out, progress=False)
    assert sorted(p.name for p in out.iterdir()) == sorted(result["files"])
    assert sorted(result["files"]) == [
        "curation_distance.png",
        "curation_heatmaps.png",
        "curation_limits.csv",
        "curation_satisfaction.png",
    ]
    for name in result["files"]:
        if name.endswith(".png"):
            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    json.dumps(result, allow_nan=False)
    limits = pd.read_csv(out / "curation_limits.csv")
    assert len(limits) == len(result["limits"]) == 12
    row = limits.set_index(["regime", "order", "owner_pool", "public_pool"])
    perfect = row.loc[("perfect", "owner-first", 10, 4)]
    assert perfect["owner_distance"] == pytest.approx(2 / 3, abs=0.0125)
    assert perfect["tv_orders"] < 1e-9 and perfect["tv_gaussian_p0"] > 0.01
    partial = row.loc[("partial", "owner-first", 10, 4)]
    assert partial["public_distance"] == pytest.approx(0.81, abs=0.01)
    disjoint = row.loc[("disjoint", "public-first", 10, 4)]
    assert (
        disjoint["mode_x"],
        disjoint["owner_distance"],
        disjoint["public_distance"],
    ) == pytest.approx((1.0, 1.0, 2.0), abs=1e-6)
    equal = row.loc[("disjoint", "public-first", 10, 10)]
    assert equal["mode_x"] == pytest.approx(2.0) and equal["tv_orders"] == pytest.approx(
        1.0, abs=1e-9
    )
