"""Figure 4 on the real credit data: the notebook procedure against the authors' numbers.

The reference numbers are those of the authors' figure-4 notebook re-run on the same
data with its printed θ_target (they equal the published curves); see
docs/reproductions/fig4.md.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from platform_abm.cli import main
from platform_abm.platform.reproduce import fig4

pytestmark = pytest.mark.credit

# α around each published Ψ crossing (0.31 / 0.52 / 0.84 lie between grid points 4-5,
# 8-9 and 15-16), the smallest size and the largest.
KEY = (0, 4, 5, 8, 9, 15, 16, 19)
KEY_ALPHAS = tuple(fig4.ALPHAS[i] for i in KEY)


@pytest.fixture(scope="module")
def notebook(credit):
    return fig4.notebook_setup(credit.X, credit.y)


@pytest.fixture(scope="module")
def curves(notebook):
    # Three trials instead of ten. Trial-to-trial standard deviations measured in the
    # 10-trial run: U(0.99) 0.0016 / 0.0006 / 0.0001 (0.2 / 0.3 / 0.9% of U), U(0.1)
    # 0.0025 / 0.0019 / 0.0013 (≤ 2.2%), Ψ(0.1) 0.020 / 0.013 / 0.009 (≤ 1.9%), Ψ near
    # its crossings ≤ 0.035, where Ψ rises by ≥ 1.6 per unit α. The mean of three trials
    # is then within 1.3% (U, Ψ(0.1)) and 0.013 (crossing, two standard errors) of the
    # ten-trial mean, inside the 5% and 0.02 tolerances.
    return fig4.fig4_curves(notebook, np.array(fig4.PRINTED_TARGET), KEY_ALPHAS, trials=3)


def test_outlier_filter_drops_92_rows(credit, notebook):
    # The notebook keeps the rows whose columns 1 and 5 are both below 10: 18,265 of 18,357.
    assert len(notebook.y) == 18_265 and len(credit.y) - len(notebook.y) == 92
    assert notebook.X.shape[1] == 10 and np.all(notebook.X[:, -1] == 1.0)
    assert notebook.columns == (1, 5)


@pytest.mark.slow
def test_notebook_curves_match_the_authors_code(curves):
    for k, curve in enumerate(curves):
        U = curve.utility.mean(axis=1)
        psi = curve.psi_notebook.mean(axis=1)
        # U within 5%, Ψ(0.1) within 5%, crossing within 0.02 (the targets of the issue).
        assert U[-1] == pytest.approx(fig4.PUBLISHED["U(0.99)"][k], rel=0.05)
        assert U[0] == pytest.approx(fig4.PUBLISHED["U(0.1)"][k], rel=0.05)
        assert psi[0] == pytest.approx(fig4.PUBLISHED["psi(0.1)"][k], rel=0.05)
        crossing = fig4.sign_change(curve.alphas, psi)
        assert crossing == pytest.approx(fig4.PUBLISHED["psi_zero"][k], abs=0.02)
        # The sign of the notebook's Ψ predicts the slope of U between the key sizes.
        slope = np.diff(U)
        mid = 0.5 * (psi[1:] + psi[:-1])
        assert np.all(np.sign(slope)[np.abs(mid) > 0.05] == -np.sign(mid)[np.abs(mid) > 0.05])
        # Proposition 6's Ψ has the same sign at both ends (negative at α = 0.1, positive
        # at the crossing's upper neighbour) but crosses elsewhere.
        assert curve.psi[0].mean() < 0


@pytest.mark.slow
def test_eta_search_from_half_at_half(notebook):
    # The notebook's search from η = 0.5 at α = 0.5 printed 0.343; the issue asks for
    # 0.02. 60 steps instead of 1000: in the measured 1000-step run η was 0.3608 / 0.3552
    # / 0.3564 / 0.3560 after 10 / 50 / 100 / 1000 steps (Ψ grows with η at ≈ 3.9 per
    # unit, so the harmonic steps contract the start's error as (10/(i+10))^3.9, and the
    # remaining noise is of size std(Ψ)/i ≈ 3e-4), so 60 steps land within 0.002 of the
    # 1000-step result.
    eta, path = fig4.find_eta(notebook, np.array(fig4.PRINTED_TARGET), 0.5, iterations=60)
    assert len(path) == 60 and path[-1] == eta
    assert eta == pytest.approx(fig4.SEARCH_AUTHORS, abs=0.02)
    assert np.ptp(path[30:]) < 0.005  # settled, not drifting


@pytest.mark.slow
def test_ablation_every_column_and_no_filter(credit):
    # One trial: U(0.99)'s trial-to-trial std is ≤ 0.0015 (≤ 1.2%), far below the 15%
    # (+ 5e-4) allowed for the authors' one- or two-digit figures.
    table = fig4.ablation(credit.X, credit.y, trials=1)
    for row in table.itertuples():
        assert row.utility_mean == pytest.approx(row.authors_code, rel=0.15, abs=5e-4), row
    # The published scale needs both the two columns and the filter: each alone is 4-12×
    # smaller than the notebook's −0.907 for η = 0.559.
    assert table["utility_mean"].abs().max() < 0.3


@pytest.mark.slow
def test_paper_variant_peaks_at_the_design_size(credit):
    # Exact learner, ten features shifted, no filter; one trial (the exact fits do not
    # depend on the start and U's trial spread is ≤ 4e-4 of its range).
    setup = fig4.paper_setup(credit.X, credit.y)
    curves = fig4.fig4_curves(setup, fig4.draw_target(setup), trials=1)
    for curve in curves:
        U = curve.utility[:, 0]
        top = int(np.argmax(U))
        assert np.all(np.diff(U[: top + 1]) > 0) and np.all(np.diff(U[top:]) < 0)
        # The paper's claim: U peaks at the design size (within one grid step, 0.047).
        assert abs(curve.alphas[top] - curve.design) <= fig4.GRID_STEP
        # Members replace their own rows: the pool Ψ crosses zero where U peaks; the
        # mixture Ψ of Proposition 6 has the opposite sign.
        pool = curve.psi_pool[:, 0]
        assert abs(fig4.sign_change(curve.alphas, pool) - curve.alphas[top]) <= fig4.GRID_STEP
        slope, mid = np.diff(U), 0.5 * (pool[1:] + pool[:-1])
        assert np.mean(np.sign(slope) == -np.sign(mid)) >= 0.9
        assert curve.psi[0, 0] > 0 > curve.psi[-1, 0]


@pytest.mark.slow
def test_cli_writes_figure_tables_and_summary(tmp_path, capsys):
    out = tmp_path / "fig4"
    code = main(
        [
            "reproduce",
            "fig4",
            "--variant",
            "notebook",
            "--trials",
            "1",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    # The CLI adds its results-folder marker beside the figure's own files.
    assert {p.name for p in out.iterdir()} == {
        ".platform_abm.json",
        "fig4.png",
        "fig4.csv",
        "fig4_ablation.csv",
        "summary.json",
    }
    summary = json.loads((out / "summary.json").read_text())
    assert summary["figure"] == "fig4" and summary["variant"] == "notebook"
    assert summary["settings"]["rows"] == 18_265 and summary["settings"]["trials"] == 1
    lines = {h["name"]: h for h in summary["headlines"]}
    # One trial already agrees on U(0.99) (trial std ≤ 0.9% against 5%).
    for eta in ("0.559", "0.34", "0.2159"):
        name = next(n for n in lines if n.startswith(f"U(0.99), η = {eta} (design"))
        assert lines[name]["agrees"] is True
    assert "U(0.99)" in capsys.readouterr().out  # the CLI prints the headline table


@pytest.mark.parametrize(
    "argv",
    [
        ["fig2", "--search-eta"],
        ["fig4", "--variant", "paper", "--redraw-target"],
        ["fig4", "--variant", "paper", "--search-eta"],
    ],
)
def test_bad_options_exit_2_and_write_nothing(argv, tmp_path, capsys):
    out = tmp_path / "o"
    code = main(["reproduce", *argv, "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert argv[-1] in err  # names the flag
    assert not out.exists()
