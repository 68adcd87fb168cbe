"""Collectives: coordinated strategies, look-ahead through the platform, B, Φ, Ψ (docs/model.md §4).

Pure numpy/scipy (no Mesa): the PlatformModel validates a scenario's
``[[collectives]]`` tables into a :class:`CollectiveSpec` (:mod:`.spec`, declared
in :mod:`.schema`), selects the members with :meth:`MembersSpec.select` (or
:func:`select_members`, :mod:`.membership`) and calls :func:`plan_collective`
(:mod:`.planner`) to obtain each collective's :class:`CollectivePlan`
(:mod:`.plan`): its committed reports and metrics (:mod:`.metrics`). The
strategy families are in :mod:`.strategies`, the implicit-function-theorem
gradients in :mod:`.implicit`, the solvers in :mod:`.solvers` and the public
notebooks' unrolled solver in :mod:`.unrolled`.
"""

from platform_abm.platform.collective.membership import Condition, select_members
from platform_abm.platform.collective.plan import CollectivePlan
from platform_abm.platform.collective.planner import plan_collective
from platform_abm.platform.collective.spec import CollectiveSpec, MembersSpec

__all__ = [
    "CollectivePlan",
    "CollectiveSpec",
    "Condition",
    "MembersSpec",
    "plan_collective",
    "select_members",
]
