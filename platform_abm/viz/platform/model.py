"""The model class behind the visualization page.

Mesa's ``SolaraViz`` rebuilds the model on Reset by calling the class of the
current model with the sidebar's values as keywords. :class:`VizPlatformModel`
is a :class:`~platform_abm.platform.model.PlatformModel` whose keywords are those
sidebar values, read over a base scenario by
:func:`~platform_abm.viz.platform.params.parse_controls`.
"""

from __future__ import annotations

from platform_abm.platform.model import PlatformModel
from platform_abm.platform.scenario import Scenario
from platform_abm.viz.platform import params as viz_params


class VizPlatformModel(PlatformModel):
    """A platform model configured by the visualization page's controls.

    Every control left as None takes the value of the base scenario.

    Args:
        base: The scenario the page was started with (None: the built-in default).
        population: Population source name.
        n_users: Size of a synthetic population.
        epsilon: Users' manipulation budget (median of a lognormal ε).
        level_0: Weight of reasoning level 0 (weights are renormalised).
        level_1: Weight of reasoning level 1.
        level_2: Weight of reasoning level 2.
        level_3: Weight of reasoning level 3.
        alpha: Collective size as a fraction of the users (0: no collective).
        collective_lambda: λ of the collective's utility.
        reg: Learner regularisation, a number or :data:`~.params.REG_DEFAULT`.
        max_rounds: Round limit.
        seed: Seed, an integer or text holding one.

    Attributes:
        base: The base scenario.
        controls: The parsed control values the model was built with.

    Raises:
        InputError: For control values the model cannot run.
    """

    def __init__(
        self,
        base: Scenario | None = None,
        population: str | None = None,
        n_users: int | None = None,
        epsilon: float | None = None,
        level_0: float | None = None,
        level_1: float | None = None,
        level_2: float | None = None,
        level_3: float | None = None,
        alpha: float | None = None,
        collective_lambda: float | None = None,
        reg: float | str | None = None,
        max_rounds: int | None = None,
        seed: int | str | None = None,
    ) -> None:
        base = base if base is not None else Scenario()
        controls = viz_params.parse_controls(
            base,
            {
                "population": population,
                "n_users": n_users,
                "epsilon": epsilon,
                "level_0": level_0,
                "level_1": level_1,
                "level_2": level_2,
                "level_3": level_3,
                "alpha": alpha,
                "collective_lambda": collective_lambda,
                "reg": reg,
                "max_rounds": max_rounds,
                "seed": seed,
            },
        )
        super().__init__(**viz_params.model_kwargs(base, controls))
        self.base = base
        self.controls = controls
