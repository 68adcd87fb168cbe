"""Live visualization of a platform or curation model in the browser (Mesa SolaraViz).

Start it with ``platform-abm viz [SCENARIO]`` or ``solara run viz/app.py``.
:func:`~platform_abm.viz.app.Page` picks the page from the scenario's family
(:mod:`platform_abm.viz.scenarios`). Both pages share the per-session model
and its Reset (:mod:`platform_abm.viz.session`) and the rendering helpers
(:mod:`platform_abm.viz.widgets`, :mod:`platform_abm.viz.values`).

* Platform page: :mod:`~platform_abm.viz.platform.page`, with its controls in
  :mod:`~platform_abm.viz.platform.params`, model in :mod:`~platform_abm.viz.platform.model`,
  components in :mod:`~platform_abm.viz.platform.components` and plots in
  :mod:`~platform_abm.viz.platform.figures`.
* Curation page: :mod:`~platform_abm.viz.curation.page`, with
  :mod:`~platform_abm.viz.curation.params`, :mod:`~platform_abm.viz.curation.model`,
  :mod:`~platform_abm.viz.curation.components` and :mod:`~platform_abm.viz.curation.figures`.
"""
