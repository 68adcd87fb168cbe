"""The simulator in the browser: ``solara run viz/app.py``.

Set ``PLATFORM_ABM_VIZ_SCENARIO=scenarios/<file>.toml`` to start from a
scenario (a platform or a curation one; default: the built-in platform
scenario), or use ``platform-abm viz [SCENARIO]``.
"""

from platform_abm.viz.app import page

__all__ = ["page"]
