"""Live visualization of a platform or curation model in the browser (Mesa SolaraViz).

Start it with ``platform-abm viz [SCENARIO]`` or ``solara run viz/app.py``.
:func:`~platform_abm.viz.app.Page` picks the page from the scenario's family
(:mod:`platform_abm.viz.scenarios`). Both pages share the per-session model
and its Reset (:mod:`platform_abm.viz.session`) and the rendering helpers
(:mod:`platform_abm.viz.widgets`, :mod:`platform_abm.viz.values`).

* Platform page: :mod:`~platform_abm.viz.page`, with its controls in
  :mod:`~platform_abm.viz.params`, model in :mod:`~platform_abm.viz.model`,
  components in :mod:`~platform_abm.viz.components` and plots in
  :mod:`~platform_abm.viz.figures`.
* Curation page: :mod:`~platform_abm.viz.curation_page`, with
  :mod:`~platform_abm.viz.curation_params`, :mod:`~platform_abm.viz.curation_model`,
  :mod:`~platform_abm.viz.curation_components` and :mod:`~platform_abm.viz.curation_figures`.
"""
