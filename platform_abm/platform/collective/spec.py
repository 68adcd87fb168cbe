"""A validated ``[[collectives]]`` table: the frozen :class:`CollectiveSpec` and its parts.

A collective is described by five parts::

    [[collectives]]
    name = "label-1 shift"
    [collectives.members]            # fraction and/or condition and/or ids
    fraction = 0.3
    condition = { target = "label", op = "==", value = 1 }
    [collectives.strategy]
    family = "shift"                 # shift | free-edit | label-edit
    features = ["age"]               # strategic features (names or indices)
    direction = "mean-label-0"       # shift: ones | mean-label-0 | mean-label-1 | [numbers]
    shared = true                    # shift: one η for all features
    eta = 0.34                       # shift: a fixed η (solver "fixed")
    [collectives.utility]
    kind = "target-model"            # linear-quadratic | loss-alignment |
                                     # target-model | label-target | callable
    eta = 0.552                      # θ_target: the model fitted when a collective of
    alpha = 0.3                      # size alpha plays eta (or give theta = [...])
    [collectives.solver]
    kind = "fixed"                   # stackelberg | size-aware | fixed | notebook
    selfish = "none"                 # best-response | stationary | none

Every key is declared in :mod:`platform_abm.platform.collective.schema`;
:meth:`CollectiveSpec.from_dict` validates a table through those declarations
into a frozen spec (``docs/model.md`` §4, ``docs/collectives.md``), or raises
:class:`~platform_abm.common.errors.InputError` naming the dotted field, the
value received and what is allowed. :func:`platform_abm.platform.collective.planner.plan_collective`
turns a spec into a plan on a population.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from platform_abm.common.errors import InputError
from platform_abm.common.validation import validate
from platform_abm.platform.collective.membership import Condition, select_members
from platform_abm.platform.collective.schema import CollectiveTable
from platform_abm.platform.user_utility import Utility

Array = np.ndarray

__all__ = [
    "CollectiveSpec",
    "MembersSpec",
    "SolverSpec",
    "StrategySpec",
    "UtilitySpec",
]


def _tuple(values: Sequence[Any] | None) -> tuple[Any, ...] | None:
    return None if values is None else tuple(values)


@dataclass(frozen=True)
class MembersSpec:
    """Membership rule: random fraction, condition and/or explicit ids."""

    fraction: float | None = None
    condition: Condition | None = None
    ids: tuple[int, ...] | None = None

    def select(
        self,
        X: Array,
        y: Array,
        rng: np.random.Generator | None,
        feature_names: Sequence[str] | None = None,
        field: str = "collective.members",
    ) -> Array:
        """Row indices of the members in a population (see :func:`select_members`)."""
        return select_members(
            len(y),
            fraction=self.fraction,
            condition=self.condition,
            ids=self.ids,
            X=X,
            y=y,
            feature_names=feature_names,
            rng=rng,
            field=field,
        )


@dataclass(frozen=True)
class StrategySpec:
    """Strategy family and its parameters."""

    family: str
    features: tuple[str | int, ...] = ()
    direction: str | tuple[float, ...] = "ones"
    shared: bool = False
    eta: tuple[float, ...] | None = None
    budget: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class UtilitySpec:
    """The members' utility."""

    kind: str
    epsilon: float | None = None
    lam: float = 0.0
    sign: float = 1.0
    theta: tuple[float, ...] | None = None
    eta: tuple[float, ...] | None = None
    alpha: float | None = None
    coefficients: tuple[float, ...] | None = None
    utility: Utility | None = None


@dataclass(frozen=True)
class SolverSpec:
    """How the collective chooses its strategy, and whether h* is computed."""

    kind: str = "stackelberg"
    selfish: str = "best-response"
    alpha: float | None = None
    steps: int = 100
    iterations: int = 250
    lr: float = 0.01


@dataclass(frozen=True)
class CollectiveSpec:
    """A validated ``[[collectives]]`` table.

    Attributes:
        name: Label of the collective (in the collected data).
        members: Who belongs to it.
        strategy: Strategy family and parameters.
        utility: The members' utility.
        solver: How the strategy is chosen.
        field: Dotted name of the table (for later error messages).
    """

    name: str
    members: MembersSpec
    strategy: StrategySpec
    utility: UtilitySpec
    solver: SolverSpec
    field: str = "collectives[0]"

    @classmethod
    def from_dict(
        cls,
        data: dict,
        field: str,
        *,
        strategic: Sequence[str | int] | None = None,
        feature_names: Sequence[str] | None = None,
    ) -> CollectiveSpec:
        """Validate one ``[[collectives]]`` table (declared in ``collective.schema``).

        Args:
            data: The table (parsed TOML or a Python dict).
            field: Its dotted name, e.g. ``"collectives[0]"``.
            strategic: The scenario's strategic features (names or indices),
                if known; the strategy must only use those.
            feature_names: Column names, to relate names and indices.

        Returns:
            The spec.

        Raises:
            InputError: For any value that is not allowed (the message names
                the dotted field, the value and what is allowed).
        """
        table = validate(CollectiveTable, data, where=field)
        spec = cls.from_table(table, field)
        if strategic is not None:
            spec.check_strategic(strategic, feature_names)
        return spec

    @classmethod
    def from_table(cls, table: CollectiveTable, field: str) -> CollectiveSpec:
        """The spec of a validated table.

        Args:
            table: The validated table.
            field: Its dotted name.

        Returns:
            The spec.
        """
        members, strategy, utility, solver = (
            table.members,
            table.strategy,
            table.utility,
            table.solver,
        )
        condition = members.condition
        direction = getattr(strategy, "direction", "ones")
        return cls(
            name=table.name if table.name is not None else field,
            members=MembersSpec(
                fraction=members.fraction,
                condition=None
                if condition is None
                else Condition(target=condition.target, op=condition.op, value=condition.value),
                ids=_tuple(members.ids),
            ),
            strategy=StrategySpec(
                family=strategy.family,
                features=tuple(getattr(strategy, "features", ())),
                direction=direction if isinstance(direction, str) else tuple(direction),
                shared=getattr(strategy, "shared", False),
                eta=_tuple(getattr(strategy, "eta", None)),
                budget=getattr(strategy, "budget", None),
                low=getattr(strategy, "low", None),
                high=getattr(strategy, "high", None),
            ),
            utility=UtilitySpec(
                kind=utility.kind,
                epsilon=getattr(utility, "epsilon", None),
                lam=getattr(utility, "lam", 0.0),
                sign=getattr(utility, "sign", 1.0),
                theta=_tuple(getattr(utility, "theta", None)),
                eta=_tuple(getattr(utility, "eta", None)),
                alpha=getattr(utility, "alpha", None),
                coefficients=_tuple(getattr(utility, "coefficients", None)),
                utility=getattr(utility, "utility", None),
            ),
            solver=SolverSpec(
                kind=solver.kind,
                selfish=solver.selfish,
                alpha=getattr(solver, "alpha", None),
                steps=getattr(solver, "steps", 100),
                iterations=getattr(solver, "iterations", 250),
                lr=getattr(solver, "lr", 0.01),
            ),
            field=field,
        )

    def check_strategic(
        self, strategic: Sequence[str | int], feature_names: Sequence[str] | None = None
    ) -> None:
        """Raise InputError if the strategy edits a feature that is not strategic."""
        names = list(feature_names or [])

        def canon(feature: str | int) -> str | int:
            if isinstance(feature, str) and feature in names:
                return names.index(feature)
            return feature

        allowed = {canon(s) for s in strategic}
        for feature in self.strategy.features:
            if canon(feature) not in allowed:
                raise InputError(
                    f"{self.field}.strategy.features",
                    feature,
                    f"one of the scenario's strategic features {list(strategic)}",
                )
