"""Figure 4 on the real credit data: the reproduction's claims, cheaply checked."""

from __future__ import annotations

import numpy as np
import pytest

from platform_abm.collective.experiments import zero_crossing
from platform_abm.reproduce.fig4 import FIG4_STRATEGIES, fig4_curves

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
