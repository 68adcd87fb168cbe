"""Per-agent data collection on a fixed sample of agents.

Model-level aggregates are what a large population is studied with; per-user
values are opt-in. :class:`SampledDataCollector` is Mesa's ``DataCollector``
whose agent reporters run on a fixed panel of agents instead of on every agent
of the model, so recording a thousand users per round costs the same at a
thousand or a million users. Its agent table is Mesa's own
(``get_agent_vars_dataframe``, indexed by ``Step`` and ``AgentID``).

A reporter may be a :class:`PanelColumn`: a function of the model and the
panel's rows computed for the whole panel in one vectorised call. When every
reporter is one, the panel is recorded without a Python call per agent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np


@dataclass(frozen=True)
class PanelColumn:
    """An agent reporter computed for many agents at once.

    Attributes:
        values: ``values(model, rows)`` gives one value per row of the model's arrays.
    """

    values: Callable[[Any, np.ndarray], Any]

    def __call__(self, agent: Any) -> Any:
        """The value for one agent (Mesa's per-agent reporter protocol)."""
        return np.asarray(self.values(agent.model, np.array([agent.row]))).tolist()[0]


AgentReporter = str | Callable[[Any], Any]


class SampledDataCollector(mesa.DataCollector):
    """A ``mesa.DataCollector`` whose agent reporters run on a fixed sample.

    Args:
        model_reporters: Model-level reporters, as for ``mesa.DataCollector``.
        agent_reporters: Agent-level reporters (attribute names, callables of
            the agent, or :class:`PanelColumn`), as for ``mesa.DataCollector``.
        sample: The agents recorded every collection, in recording order.
        rows: The sampled agents' rows in the model's arrays (what
            :class:`PanelColumn` reporters are evaluated on).
    """

    def __init__(
        self,
        model_reporters: Mapping[str, Any],
        agent_reporters: Mapping[str, AgentReporter],
        sample: Sequence[mesa.Agent],
        rows: Sequence[int] = (),
    ) -> None:
        super().__init__(
            model_reporters=dict(model_reporters), agent_reporters=dict(agent_reporters)
        )
        self.sample = tuple(sample)
        self.rows = np.asarray(rows, dtype=int)
        self._ids = [agent.unique_id for agent in self.sample]

    def _record_agents(self, model: mesa.Model) -> Any:
        """Mesa's agent recording over the sample, one call per column when possible."""
        reporters = list(self.agent_reporters.values())
        if len(self.rows) == len(self.sample) and all(
            isinstance(r, PanelColumn) for r in reporters
        ):
            columns = [np.asarray(r.values(model, self.rows)).tolist() for r in reporters]
            return zip(repeat(model.time), self._ids, *columns, strict=False)
        return super()._record_agents(SimpleNamespace(agents=self.sample))
