"""The model class behind the curation page.

Mesa's ``SolaraViz`` rebuilds the model on Reset by calling the class of the
current model with the sidebar's values as keywords. :class:`VizCurationModel`
is a :class:`~platform_abm.curation.model.CurationModel` whose keywords are
those sidebar values, read over a base scenario by
:func:`~platform_abm.viz.curation.params.parse_controls`.
"""

from __future__ import annotations

from platform_abm.common.errors import InputError
from platform_abm.curation.model import CurationModel
from platform_abm.curation.scenario import CurationScenario
from platform_abm.viz.curation import params as curation_params


class VizCurationModel(CurationModel):
    """A curation model configured by the curation page's controls.

    Every control left as None takes the value of the base scenario.

    Args:
        base: The scenario the page was started with.
        fidelity: ``"grid"`` or ``"sampled"``.
        order: ``"owner-first"`` or ``"public-first"``.
        owner_pool: The owner's pool size K.
        owner_temperature: The owner's temperature τ.
        public_pool: The public's pool size M (first faction).
        public_temperature: The public's temperature τ (first faction).
        public_centre_x: x of the public's disc centre (first faction).
        mix: Fraction of original data mixed into each round's output.
        rounds: Round limit.
        seed: Seed, an integer or text holding one.

    Attributes:
        base: The base scenario.
        controls: The parsed control values the model was built with.

    Raises:
        InputError: For control values the model cannot run (naming the control).
    """

    def __init__(
        self,
        base: CurationScenario,
        fidelity: str | None = None,
        order: str | None = None,
        owner_pool: int | None = None,
        owner_temperature: float | None = None,
        public_pool: int | None = None,
        public_temperature: float | None = None,
        public_centre_x: float | None = None,
        mix: float | None = None,
        rounds: int | None = None,
        seed: int | str | None = None,
    ) -> None:
        controls = curation_params.parse_controls(
            base,
            {
                "fidelity": fidelity,
                "order": order,
                "owner_pool": owner_pool,
                "owner_temperature": owner_temperature,
                "public_pool": public_pool,
                "public_temperature": public_temperature,
                "public_centre_x": public_centre_x,
                "mix": mix,
                "rounds": rounds,
                "seed": seed,
            },
        )
        try:
            super().__init__(**curation_params.model_kwargs(base, controls))
        except InputError as exc:
            raise curation_params.relabel(exc) from None
        self.base = base
        self.controls = controls
