"""The model class behind the platform page: a platform model built from the sidebar's controls.

Mesa's ``SolaraViz`` rebuilds the model on Reset by calling the class of the
current model with the sidebar's values as keywords. :class:`VizPlatformModel`
is a :class:`~platform_abm.platform.model.PlatformModel` whose keywords are
those values (the fields of :class:`~platform_abm.viz.platform.params.PlatformControls`),
read over a base scenario by the page's
:data:`~platform_abm.viz.platform.params.SIDEBAR`.
"""

from __future__ import annotations

from platform_abm.platform.model import PlatformModel
from platform_abm.viz.platform.params import SIDEBAR
from platform_abm.viz.sidebar import SidebarModel


class VizPlatformModel(SidebarModel, PlatformModel):
    """A platform model configured by the platform page's controls.

    ``VizPlatformModel(base, **controls)``: the base
    :class:`~platform_abm.platform.scenario.Scenario` and one keyword per
    control (see :class:`~platform_abm.viz.sidebar.SidebarModel`).
    """

    sidebar = SIDEBAR
