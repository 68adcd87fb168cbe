"""Solara entry point: ``solara run platform_abm.viz.app`` serves :data:`page`.

The scenario comes from the environment variable ``PLATFORM_ABM_VIZ_SCENARIO``
(a TOML file; unset: the built-in platform default), as set by
``platform-abm viz``; its family chooses the page (:mod:`platform_abm.families`).
"""

from __future__ import annotations

import solara

from platform_abm.common.errors import PlatformABMError
from platform_abm.families import get_family
from platform_abm.viz.scenarios import PageScenario, scenario_from_environment


def _load_scenario_or_error() -> tuple[PageScenario | None, str | None]:
    try:
        return scenario_from_environment(), None
    except PlatformABMError as exc:
        return None, f"platform-abm viz: {exc}"


@solara.component
def Page() -> None:
    """The page of the scenario named in the environment (or of the default platform scenario)."""
    loaded, error = solara.use_memo(_load_scenario_or_error, dependencies=[])
    if loaded is None:
        solara.Error(error)
        return
    get_family(loaded.family).page_component()(loaded.scenario)


page = Page
"""The page component (one model per browser session)."""
