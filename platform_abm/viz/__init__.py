"""Live visualization of a platform model in the browser (Mesa SolaraViz).

Start it with ``platform-abm viz [SCENARIO]`` or ``solara run viz/app.py``.
:func:`~platform_abm.viz.page.Page` is the page; the parameter handling lives
in :mod:`platform_abm.viz.params` and the plots in :mod:`platform_abm.viz.figures`.
"""
