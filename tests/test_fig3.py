"""Figure 3 on the real credit data: the reproduction's claims, cheaply checked."""

from __future__ import annotations

import numpy as np
import pytest

from platform_abm.reproduce.fig3 import fig3_utilities

pytestmark = pytest.mark.credit


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
