"""The record of a planned collective: its members' committed reports and its metrics.

:func:`platform_abm.platform.collective.planner.plan_collective` returns a
:class:`CollectivePlan`; the PlatformModel writes its reports into the members'
rows and records its metrics (``docs/collectives.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from platform_abm.platform.collective.strategies import Strategy
from platform_abm.platform.user_utility import Utility

Array = np.ndarray


@dataclass
class CollectivePlan:
    """A collective's solved strategy and its metrics.

    Attributes:
        name: The collective's name.
        members: Row indices of the members.
        X_report: Members' committed reported features, shape (m, d).
        y_report: Members' committed reported labels, shape (m,).
        utility: The members' utility.
        strategy: The strategy family.
        params: The solved strategy parameters.
        theta: The platform's model when the collective plays the plan and the
            other users report their base points (model 3).
        metrics: ``U`` (members' utility at the plan), ``U_selfish``, ``B``,
            ``phi``, ``t5_norm`` (paper contraction), ``t5_norm_notebook``,
            ``psi``, ``dU_dalpha`` and ``alpha`` (NaN where undefined).
        selfish_params: Strategy parameters of the selfish equilibrium (or None).
    """

    name: str
    members: Array
    X_report: Array
    y_report: Array
    utility: Utility
    strategy: Strategy
    params: Array
    theta: Array
    metrics: dict[str, float] = field(default_factory=dict)
    selfish_params: Array | None = None
