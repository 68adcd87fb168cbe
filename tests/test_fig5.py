"""Figure 5 (feature importance) on the real credit data (docs/reproductions/fig5.md).

Reference numbers: the authors' code re-run on the same data, 10 repeats (drop
in test accuracy per bar, by the bar's printed label).
"""

import json

import numpy as np
import pytest

from platform_abm.cli import main
from platform_abm.common.errors import InputError
from platform_abm.common.learners import single_threaded_blas
from platform_abm.platform.reproduce import fig5

pytestmark = pytest.mark.credit

AUTHORS_CODE = {"Age": 0.036, "OpenLines": 0.024, "PastDue60-89": 0.0028, "RevolvingUtil": 0.0015}
# Std over repeats of each bar: 'Age' 0.007 is the authors' code's; the others are ours
# over 10 repeats (0.0040, 0.0034, 0.0032); the bias bar's ('Dependents') is 0.0013.
REPEAT_STD = {"Age": 0.007, "OpenLines": 0.0040, "PastDue60-89": 0.0034, "RevolvingUtil": 0.0032}
BIAS_STD = 0.0013
REPEATS = 4  # 4 repeats run in ~4 s; the tolerances below scale with 1/√repeats


@pytest.fixture(scope="module")
def notebook_table(credit):
    X, names = fig5.design(credit, "notebook")
    with single_threaded_blas():
        drops = fig5.accuracy_drops(X, credit.y, REPEATS)
    return fig5.importance_table(drops, names, "notebook").set_index("published_label")


def test_notebook_matrix_and_labels(credit):
    X, names = fig5.design(credit, "notebook")
    assert X.shape == (credit.n, 10)
    assert names[0] == "age" and names[-1] == "bias"
    # every printed label is the name of the column before (the published figure's shift)
    assert fig5.NOTEBOOK_LABELS[1:] == tuple(fig5.SHORT_NAMES[n] for n in names[:-1])


def test_notebook_drops_match_the_authors_code(notebook_table):
    for label, reference in AUTHORS_CODE.items():
        # our 4-repeat mean against their 10-repeat mean on other splits (their row
        # order is unseeded): 3 standard errors of the difference of the two means
        tolerance = 3 * REPEAT_STD[label] * np.sqrt(1 / REPEATS + 1 / 10)
        assert notebook_table.loc[label, "drop_mean"] == pytest.approx(reference, abs=tolerance)
    # the two bars the paper's ranking starts with, well apart from the rest
    top = notebook_table.sort_values("drop_mean", ascending=False).index[:2]
    assert list(top) == ["Age", "OpenLines"]
    # the bar labelled 'Dependents' is the bias column: noise there changes nothing, since
    # the model fits its own intercept (within 3 standard errors of zero)
    assert notebook_table.loc["Dependents", "true_name"] == "bias"
    assert abs(notebook_table.loc["Dependents", "drop_mean"]) < 3 * BIAS_STD / np.sqrt(REPEATS)


def test_paper_variant_names_the_real_top_features(credit):
    X, names = fig5.design(credit, "paper")
    assert X.shape == (credit.n, 10) and "bias" not in names
    with single_threaded_blas():
        drops = fig5.accuracy_drops(X, credit.y, 3)
    table = fig5.importance_table(drops, names, "paper")
    table = table.set_index("true_name")
    ranked = list(table.sort_values("drop_mean", ascending=False).index)
    assert ranked[:2] == ["NumberOfTime30-59DaysPastDueNotWorse", "NumberOfTimes90DaysLate"]
    # with true names, age is far from the most important feature: its drop is below
    # a tenth of the top one (ours: 0.0006 against 0.037 over 10 repeats)
    assert table.loc["age", "drop_mean"] < 0.1 * table["drop_mean"].max()


def test_reproduce_fig5_quick_writes_figure_tables_and_summary(credit, tmp_path):
    argv = ["reproduce", "fig5", "--variant", "notebook", "--quick", "--quiet"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    assert (tmp_path / "fig5_notebook.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "fig5_notebook.csv").stat().st_size > 0
    assert (tmp_path / "fig5_notebook_repeats.csv").stat().st_size > 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["settings"]["repeats"] == fig5.QUICK_REPEATS
    names = [h["name"] for h in summary["headlines"]]
    assert "drop, bar 'Age' (really PastDue30-59)" in names
    assert all("agrees" in h for h in summary["headlines"])


def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["reproduce", "fig5", "--seeds", "1", "--quiet", "--out", str(out)]) == 2
    assert main(["reproduce", "fig5", "--rounds", "5", "--quiet", "--out", str(out)]) == 2
    errors = capsys.readouterr().err
    assert "--seeds" in errors and "--rounds" in errors
    assert not out.exists()
    with pytest.raises(InputError) as error:
        fig5.run(out, variant="x")
    assert error.value.field == "--variant"
    with pytest.raises(InputError) as error:
        fig5.run(out, seeds=1)
    assert error.value.field == "--seeds" and "spread over repeats" in error.value.allowed
    assert not out.exists()
