"""The users: one Mesa agent per user, whose state lives in the model's arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from platform_abm.common.recording import PanelColumn
from platform_abm.platform.user_utility import best_response_linear_quadratic

if TYPE_CHECKING:
    from platform_abm.platform.model import PlatformModel


class UserAgent(mesa.Agent):
    """A user of the platform: a reasoning level or a collective membership, and a row.

    The agent holds only its row index; its features, label, level and cost are
    read from the model's arrays, so that a round can update every user of a
    group in one vectorised call. :meth:`step` is the same response computed
    for this one user, used when the model runs with ``vectorised=False``.

    Args:
        model: The platform model.
        row: This user's row in the model's arrays.
    """

    def __init__(self, model: PlatformModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def level(self) -> int:
        """Reasoning level (−1 for a collective member)."""
        return int(self.model.levels[self.row])

    @property
    def collective(self) -> str | None:
        """Name of the collective this user belongs to, or None."""
        return self.model.user_collectives(self.row)[0]

    @property
    def base_features(self) -> np.ndarray:
        """The user's true features x."""
        return self.model.X_base[self.row]

    @property
    def reported_features(self) -> np.ndarray:
        """The features the user reported this round."""
        return self.model.X[self.row]

    @property
    def label(self) -> float:
        """The user's label y."""
        return float(self.model.y[self.row])

    @property
    def epsilon(self) -> float:
        """The user's manipulation budget ε."""
        return float(self.model.epsilon[self.row])

    @property
    def score(self) -> float:
        """The deployed model's score x'·θ of the user's report."""
        return float(self.model.user_scores(self.row)[0])

    @property
    def moved(self) -> float:
        """How far the report is from the base point, ||x' − x||."""
        return float(self.model.user_moves(self.row)[0])

    @property
    def utility(self) -> float:
        """The user's utility of its report under the deployed θ."""
        return float(self.model.user_utilities(self.row)[0])

    def step(self) -> None:
        """Report this user's response to the models the platform has anticipated."""
        model = self.model
        if model.collective_ids[self.row] >= 0:
            model.X[self.row] = model.collective_report(self.row)
            return
        level = self.level
        if level == 0:
            model.X[self.row] = self.base_features
            return
        base = self.base_features[None, :]
        theta = model.anticipated[level - 1]
        model.X[self.row] = best_response_linear_quadratic(
            base, theta, self.epsilon, model.strategic
        )[0]


AGENT_REPORTERS: dict[str, PanelColumn] = {
    "row": PanelColumn(lambda model, rows: rows),
    "level": PanelColumn(lambda model, rows: model.levels[rows]),
    "collective": PanelColumn(lambda model, rows: model.user_collectives(rows)),
    "epsilon": PanelColumn(lambda model, rows: model.epsilon[rows]),
    "score": PanelColumn(lambda model, rows: model.user_scores(rows)),
    "moved": PanelColumn(lambda model, rows: model.user_moves(rows)),
    "utility": PanelColumn(lambda model, rows: model.user_utilities(rows)),
}
"""Default per-agent reporters of sampled users: the values of :class:`UserAgent`'s
properties, computed for the whole sample at once."""


def add_users(model: mesa.Model, n: int) -> None:
    """Create one :class:`UserAgent` per row 0..n−1 and register it with the model.

    The result is what ``UserAgent.create_agents(model, n, row=range(n))`` gives —
    every agent in ``model.agents`` and ``model.agents_by_type[UserAgent]``,
    with consecutive ``unique_id`` — registered in bulk instead of one
    ``register_agent`` call per agent (which formats a log record and emits a
    signal each time: ~80% of the cost at a million users). When anything
    observes agent additions, or a data registry tracks the agent class, it
    falls back to Mesa's own per-agent path so that nobody misses an event.

    This writes Mesa's private names (``Agent._datasets``,
    ``Model._has_subscribers``, ``_HardKeyAgentSet``, ``Model._all_agents``,
    ``Model._agents_by_type`` and the sets' ``_agents``) and sets
    ``agent_id_counter``, so it is fenced: ``tests/test_mesa_fence.py`` checks
    that a bulk-registered model is indistinguishable from one built through
    Mesa's paths, and ``pyproject.toml`` pins the Mesa minor releases it passed
    on. Upstream, bulk registration in ``create_agents`` was proposed in
    https://github.com/mesa/mesa/pull/3253 (closed unmerged) beside signal
    batching (https://github.com/mesa/mesa/pull/3251); Mesa 3.5 has
    ``Model.batch()``/``suppress()`` for signals
    (https://github.com/mesa/mesa/pull/3261), but still registers agents one by
    one. When Mesa registers in bulk, this function becomes a ``create_agents`` call.

    Args:
        model: The model the users belong to.
        n: Number of users (rows of the model's arrays).
    """
    from mesa.agentset import _HardKeyAgentSet
    from mesa.experimental.mesa_signals.signal_types import ModelSignals

    if UserAgent._datasets or model._has_subscribers("agents", ModelSignals.AGENT_ADDED):
        for row in range(n):
            UserAgent(model, row)
        return
    first_id = model.agent_id_counter
    make = object.__new__
    agents = [make(UserAgent) for _ in range(n)]
    for row, agent in enumerate(agents):
        agent.__dict__.update(model=model, unique_id=first_id + row, pos=None, row=row)
    model.agent_id_counter = first_id + n
    model._all_agents._agents.update(dict.fromkeys(agents))
    by_type = model._agents_by_type
    if UserAgent in by_type:
        by_type[UserAgent]._agents.update(dict.fromkeys(agents))
    else:
        by_type[UserAgent] = _HardKeyAgentSet(agents, random=model.random)
