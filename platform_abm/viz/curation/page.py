"""The curation page: Mesa's SolaraViz over a per-session :class:`CurationPageModel`.

The session machinery (one model per browser session, a Reset that keeps the
current model and shows a message for values the model cannot run) is
:func:`~platform_abm.viz.session.SessionPage`, shared with the platform page;
this module supplies the curation model, its sidebar controls and its components.
"""

from __future__ import annotations

import solara

from platform_abm.curation.scenario import CurationScenario
from platform_abm.viz.curation.components import COMPONENTS, in_use_text
from platform_abm.viz.curation.model import VizCurationModel
from platform_abm.viz.session import RejectingConstructor, SessionPage


class CurationPageModel(VizCurationModel, metaclass=RejectingConstructor):
    """:class:`VizCurationModel` as the page builds it.

    ``CurationPageModel(base, **controls)`` accepts reactive variables as values
    and returns either a model or a
    :class:`~platform_abm.viz.session.RejectedParameters`; it never raises for bad input.
    """


@solara.component
def CurationPage(
    scenario: CurationScenario, model_class: type[CurationPageModel] = CurationPageModel
) -> None:
    """Mesa's SolaraViz page over a curation model built from ``scenario`` for this session.

    Args:
        scenario: The scenario the sidebar starts from.
        model_class: :class:`CurationPageModel` or a subclass; Reset builds the
            new model with the class of the current one.
    """
    SessionPage(model_class, scenario, COMPONENTS, in_use_text)
