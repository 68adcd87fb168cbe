"""Live visualization of a platform or curation model in the browser (Mesa SolaraViz).

Start it with ``platform-abm viz [SCENARIO]`` or ``solara run viz/app.py``.
:func:`~platform_abm.viz.app.Page` picks the page from the scenario's family
(:mod:`platform_abm.viz.scenarios`, on the registry :mod:`platform_abm.families`).

What both pages share: the per-session model and its Reset
(:mod:`platform_abm.viz.session`), the sidebar's controls read over a base
scenario into the model's keywords (:mod:`platform_abm.viz.sidebar`,
:mod:`platform_abm.viz.values`), the live-plot machinery
(:mod:`platform_abm.viz.plots`) and the rendering helpers
(:mod:`platform_abm.viz.widgets`).

Each family has a subpackage with the same modules, none importing the other
family's: ``params`` (its :class:`~platform_abm.viz.sidebar.Sidebar`), ``model``
(the page's model class), ``figures`` (its plots), ``components`` (what the page
shows) and ``page`` (the page component the registry names):
:mod:`platform_abm.viz.platform` and :mod:`platform_abm.viz.curation`.
"""
