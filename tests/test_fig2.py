"""Figure 2 on the real credit data: the reproduction's claims, cheaply checked."""

from __future__ import annotations

import pytest

from platform_abm.reproduce.fig2 import fig2_points

pytestmark = pytest.mark.credit


def test_fig2_notebook_alignment_at_lambda_one(credit):
    # The alignment is computed on the clean data, so no Adam step is needed
    # (iterations=0 leaves h♯ at the clean data and only the alignment is read).
    points = fig2_points(
        credit.X, credit.y, "notebook", lambdas=[0.0, 1.0], features=["age"], iterations=0
    )
    by_lam = {p.lam: p for p in points}
    assert by_lam[1.0].alignment == pytest.approx(31.8, rel=0.15)
    assert by_lam[0.0].alignment < 1e-3 * by_lam[1.0].alignment


def test_fig2_paper_contraction_orders_the_features(credit):
    points = fig2_points(
        credit.X,
        credit.y,
        "notebook",
        lambdas=[1.0],
        features=["age", "#dependents"],
        iterations=0,
    )
    age, dep = points
    # With the paper's contraction the important feature aligns more; the notebook's
    # '#dependents' run edits the bias column, whose notebook-contraction number is
    # larger instead (see README).
    assert age.alignment_paper > dep.alignment_paper
