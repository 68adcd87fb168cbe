"""Agreement with the published figures 2–4 on the real credit data (SPEC.md §6).

Only the claims that are cheap to check run here (each test says how it was
thinned); the full figures come from ``platform-abm reproduce fig2|fig3|fig4``.
The numbers each variant produces, and where they differ from the published
ones, are listed in the README's "Collectives" section.
"""

from __future__ import annotations

import numpy as np
import pytest

from platform_abm.collective.experiments import (
    FIG4_STRATEGIES,
    fig2_points,
    fig3_utilities,
    fig4_curves,
    zero_crossing,
)

pytestmark = pytest.mark.credit


@pytest.fixture(scope="module")
def fig4_notebook(credit):
    # One trial instead of ten: the member draw barely moves these curves (seed-to-seed
    # spread of U at the peak < 1e-4, of the Ψ crossing < 0.01 in the 10-trial run).
    return fig4_curves(credit.X, credit.y, "notebook", trials=1)


def test_fig4_utility_is_unimodal_with_its_peak_at_the_design_size(fig4_notebook):
    for curve, (_, design) in zip(fig4_notebook, FIG4_STRATEGIES, strict=True):
        U = curve.utility[:, 0]
        top = int(np.argmax(U))
        assert np.all(np.diff(U[: top + 1]) > 0) and np.all(np.diff(U[top:]) < 0)
        assert U[top] > -0.01
        # The grid step is 0.047, so the grid maximiser is within half a step of the
        # true peak; ±0.05 around the design size is the published claim.
        assert abs(curve.alphas[top] - design) <= 0.05


def test_fig4_psi_crosses_zero_at_the_design_size(fig4_notebook):
    for curve, (_, design) in zip(fig4_notebook, FIG4_STRATEGIES, strict=True):
        psi = curve.psi[:, 0]
        crossing = zero_crossing(curve.alphas, psi)
        assert abs(crossing - design) <= 0.05
        # Ψ increases through the crossing and on the rising side of U; for η = 0.559
        # it flattens and dips slightly beyond α ≈ 0.85 (ΔΨ ≈ −0.03), where U is far
        # below its peak — reported in the README.
        rising = curve.alphas <= 0.85
        assert np.all(np.diff(psi[rising]) > 0)
        # Proposition 6: the sign of Ψ predicts the slope of U.
        slope = np.diff(curve.utility[:, 0])
        mid = 0.5 * (psi[1:] + psi[:-1])
        agree = np.sign(slope) == -np.sign(mid)
        assert agree.mean() >= 0.9


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


def test_fig3_paper_utility_falls_with_the_collective_size(credit):
    # Paper variant (exact learner, implicit gradients), three sizes and one member
    # draw instead of ten sizes × ten draws: enough for the monotone trend.
    U, _, truthful, baseline = fig3_utilities(
        credit.X, credit.y, "paper", alphas=[0.01, 0.5, 0.99], seeds=[0], feature="age"
    )
    u = U[:, 0]
    assert u[0] > u[1] > u[2]
    # The collective can always play η = 0, so its members are never worse off than
    # their own truthful loss; at α = 0.99 that is the population's loss (baseline).
    assert np.all(u >= truthful[:, 0] - 1e-12)
    assert u[2] >= baseline - 1e-3
