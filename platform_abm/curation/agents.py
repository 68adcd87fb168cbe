"""Public users of the curated generative model, as Mesa agents."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import mesa
import numpy as np

from platform_abm.curation.rewards import DiscReward
from platform_abm.curation.sampled import Selection, bt_select

if TYPE_CHECKING:
    from platform_abm.curation.model import CurationModel

Array = np.ndarray
CandidateSource = Callable[[int, int], Array]


class PublicUser(mesa.Agent):
    """A member of a public faction who curates the released model's outputs.

    Each round the user receives groups of ``pool`` candidates and keeps one per
    group by Bradley–Terry choice softmax(r/τ) under its own disc reward. In the
    exact grid dynamics the model aggregates the users of a faction (they share
    reward, pool and temperature), weighting each user by ``share · activity``.

    Attributes:
        faction: Index of the user's faction in ``model.factions``.
        faction_name: Name of the faction.
        reward: The user's disc reward.
        temperature: The user's τ.
        pool: Candidates per choice (M).
        share: The user's part of its faction's population share.
        activity: Relative number of outputs the user curates per round.
        assigned: Number of choices the user makes this round (sampled loop).
        last_selection: The user's latest :class:`~platform_abm.curation.sampled.Selection`.
    """

    model: CurationModel

    def __init__(
        self,
        model: CurationModel,
        faction: int,
        faction_name: str,
        reward: DiscReward,
        temperature: float,
        pool: int,
        share: float,
        activity: float,
    ) -> None:
        super().__init__(model)
        self.faction = faction
        self.faction_name = faction_name
        self.reward = reward
        self.temperature = temperature
        self.pool = pool
        self.share = share
        self.activity = activity
        self.assigned = 0
        self.last_selection: Selection | None = None

    @property
    def weight(self) -> float:
        """The user's weight in the public step, ``share · activity``."""
        return self.share * self.activity

    @property
    def mean_distance(self) -> float:
        """Mean distance of the model's current outputs to the user's centre."""
        return self.model.faction_metric(self.faction, "distance")

    @property
    def satisfaction(self) -> float:
        """Share of the model's current outputs inside the user's disc."""
        return self.model.faction_metric(self.faction, "satisfaction")

    def curate(self, candidates: Array) -> Selection:
        """Keep one candidate per group by Bradley–Terry choice.

        Args:
            candidates: Array of shape ``(groups, pool, 2)``.

        Returns:
            The selection (kept points and the estimated shift).
        """
        self.last_selection = bt_select(candidates, self.reward, self.temperature, self.model.rng)
        return self.last_selection

    def curate_assigned(self, source: CandidateSource) -> None:
        """Curate this round's ``assigned`` groups drawn from ``source``.

        Args:
            source: ``source(groups, pool)`` returns candidates of shape ``(groups, pool, 2)``.
        """
        if self.assigned == 0:
            self.last_selection = None
            return
        self.curate(source(self.assigned, self.pool))
