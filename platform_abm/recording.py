"""Per-agent data collection on a fixed sample of agents.

Model-level aggregates are what a large population is studied with; per-user
values are opt-in. :class:`SampledDataCollector` is Mesa's ``DataCollector``
whose agent reporters run on a fixed panel of agents instead of on every agent
of the model, so recording a thousand users per round costs the same at a
thousand or a million users. Its agent table is Mesa's own
(``get_agent_vars_dataframe``, indexed by ``Step`` and ``AgentID``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import mesa

AgentReporter = str | Callable[[Any], Any]


class SampledDataCollector(mesa.DataCollector):
    """A ``mesa.DataCollector`` whose agent reporters run on a fixed sample.

    Args:
        model_reporters: Model-level reporters, as for ``mesa.DataCollector``.
        agent_reporters: Agent-level reporters (attribute names or callables
            of the agent), as for ``mesa.DataCollector``.
        sample: The agents recorded every collection, in recording order.
    """

    def __init__(
        self,
        model_reporters: Mapping[str, Any],
        agent_reporters: Mapping[str, AgentReporter],
        sample: Sequence[mesa.Agent],
    ) -> None:
        super().__init__(
            model_reporters=dict(model_reporters), agent_reporters=dict(agent_reporters)
        )
        self.sample = tuple(sample)

    def _record_agents(self, model: mesa.Model) -> Any:
        """Mesa's agent recording, over the sample instead of ``model.agents``."""
        return super()._record_agents(SimpleNamespace(agents=self.sample))
