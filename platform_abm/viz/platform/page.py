"""The platform page: Mesa's SolaraViz over a per-session :class:`PageModel`.

The session machinery (one model per browser session, a Reset that keeps the
current model and shows a message for values the model cannot run) is
:func:`~platform_abm.viz.session.SessionPage`; this module supplies the
platform model, its sidebar controls and its components.
"""

from __future__ import annotations

import solara

from platform_abm.platform.scenario import Scenario
from platform_abm.viz.platform.components import COMPONENTS, in_use_text
from platform_abm.viz.platform.model import VizPlatformModel
from platform_abm.viz.session import RejectingConstructor, SessionPage


class PageModel(VizPlatformModel, metaclass=RejectingConstructor):
    """:class:`VizPlatformModel` as the page builds it.

    ``PageModel(base, **controls)`` accepts reactive variables as values and
    returns either a model or a :class:`~platform_abm.viz.session.RejectedParameters`;
    it never raises for bad input.
    """


@solara.component
def PlatformPage(scenario: Scenario, model_class: type[PageModel] = PageModel) -> None:
    """Mesa's SolaraViz page over a platform model built from ``scenario`` for this session.

    Args:
        scenario: The scenario the sidebar starts from.
        model_class: :class:`PageModel` or a subclass; Reset builds the new
            model with the class of the current one.
    """
    SessionPage(model_class, scenario, COMPONENTS, in_use_text)
