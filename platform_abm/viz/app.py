"""Solara entry point: ``solara run platform_abm.viz.app`` serves :data:`page`.

The scenario comes from the environment variable ``PLATFORM_ABM_VIZ_SCENARIO``
(a TOML file; unset: the built-in default), as set by ``platform-abm viz``.
"""

from platform_abm.viz.page import Page

page = Page
"""The page component (one model per browser session)."""
