"""The model class behind the curation page: a curation model built from the sidebar's controls.

Mesa's ``SolaraViz`` rebuilds the model on Reset by calling the class of the
current model with the sidebar's values as keywords. :class:`VizCurationModel`
is a :class:`~platform_abm.curation.model.CurationModel` whose keywords are
those values (the fields of
:class:`~platform_abm.viz.curation.params.CurationControls`), read over a base
scenario by the page's :data:`~platform_abm.viz.curation.params.SIDEBAR`.
"""

from __future__ import annotations

from platform_abm.curation.model import CurationModel
from platform_abm.viz.curation.params import SIDEBAR
from platform_abm.viz.sidebar import SidebarModel


class VizCurationModel(SidebarModel, CurationModel):
    """A curation model configured by the curation page's controls.

    ``VizCurationModel(base, **controls)``: the base
    :class:`~platform_abm.curation.scenario.CurationScenario` and one keyword
    per control (see :class:`~platform_abm.viz.sidebar.SidebarModel`).
    """

    sidebar = SIDEBAR
