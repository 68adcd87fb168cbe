"""Collectives: coordinated strategies, look-ahead through the platform, B, Φ, Ψ (docs/model.md §4).

Pure numpy/scipy (no Mesa): the PlatformModel validates a scenario's
``[[collectives]]`` tables with :meth:`CollectiveSpec.from_dict`, selects the
members with :meth:`MembersSpec.select` (or :func:`select_members`) and calls
:func:`plan_collective` to obtain each collective's committed reports and
metrics.
"""

from platform_abm.platform.collective.membership import Condition, select_members
from platform_abm.platform.collective.spec import (
    CollectivePlan,
    CollectiveSpec,
    MembersSpec,
    plan_collective,
)

__all__ = [
    "CollectivePlan",
    "CollectiveSpec",
    "Condition",
    "MembersSpec",
    "plan_collective",
    "select_members",
]
