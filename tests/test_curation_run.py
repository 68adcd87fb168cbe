"""run_curation and reproduce_curation: tables, summaries, figures and written files."""

import json
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from platform_abm.curation.reproduce import reproduce_curation
from platform_abm.curation.run import run_curation
from platform_abm.curation.scenario import CurationScenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios" / "curation"


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


def test_run_curation_returns_table_summary_and_figures(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table, summary, figures = run_curation(scenario("disjoint"), progress=False)
    assert list(tmp_path.iterdir()) == []  # no files written
    assert isinstance(table, pd.DataFrame) and len(table) == 31
    assert table["round"].tolist() == list(range(31))
    for column in (
        "owner_distance",
        "public_distance",
        "owner_satisfaction",
        "public_satisfaction",
        "entropy",
        "support_size",
        "mass_outside_owner",
        "mass_outside_public",
        "mass_outside_target_public",
        "influence_owner",
        "influence_public",
    ):
        assert column in table
    json.dumps(summary, allow_nan=False)
    assert summary["status"] == "completed" and summary["regimes"] == {"public": "disjoint"}
    assert summary["mode"]["cell"] == [1.0, 0.0] and summary["mode"]["mass"] > 0.999
    assert summary["final"]["owner_distance"] == pytest.approx(1.0, abs=1e-6)
    assert set(figures) == {"heatmap", "metrics"}
    assert all(isinstance(f, Figure) for f in figures.values())


def test_run_curation_sampled_and_progress(capsys):
    table, summary, figures = run_curation(scenario("perfect", fidelity="sampled"), progress=True)
    assert len(table) == 31 and summary["fidelity"] == "sampled"
    assert "30/30" in capsys.readouterr().err  # one tick per round
    json.dumps(summary, allow_nan=False)
    assert set(figures) == {"heatmap", "metrics"}


def test_run_is_deterministic():
    a, sa, _ = run_curation(scenario("partial", fidelity="sampled"), progress=False)
    b, sb, _ = run_curation(scenario("partial", fidelity="sampled"), progress=False)
    pd.testing.assert_frame_equal(a, b)
    assert sa == sb


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
