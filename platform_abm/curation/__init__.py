"""Recursive curation of a generative model by an owner and public users (the alignment game).

The second model family of ``platform_abm`` (docs/curation.md): exact grid dynamics
with Bradley–Terry K-choice curation weights, the paper's sample-based loop
with a Gaussian-mixture generator, a Mesa model whose public users are agents,
scenario files, a runner and the reproduction of the paper's three regimes.
"""

from platform_abm.curation.agents import PublicUser
from platform_abm.curation.dynamics import (
    BTWeight,
    bt_weight,
    bt_weight_limit,
    curation_round,
    iterate_two_curator,
    two_curator_map,
)
from platform_abm.curation.model import CurationModel
from platform_abm.curation.rewards import DiscReward, disc_reward, grid_points
from platform_abm.curation.scenario import CurationScenario

__all__ = [
    "BTWeight",
    "CurationModel",
    "CurationScenario",
    "DiscReward",
    "PublicUser",
    "bt_weight",
    "bt_weight_limit",
    "curation_round",
    "disc_reward",
    "grid_points",
    "iterate_two_curator",
    "two_curator_map",
]
