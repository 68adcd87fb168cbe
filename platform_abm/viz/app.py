"""Solara entry point: ``solara run platform_abm.viz.app`` serves :data:`page`.

The scenario comes from the environment variable ``PLATFORM_ABM_VIZ_SCENARIO``
(a TOML file; unset: the built-in platform default), as set by
``platform-abm viz``; its family chooses the page (:data:`PAGES`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara

from platform_abm.errors import PlatformABMError
from platform_abm.viz.curation_page import CurationPage
from platform_abm.viz.page import PlatformPage
from platform_abm.viz.scenarios import (
    CURATION,
    PLATFORM,
    PageScenario,
    scenario_from_environment,
)

PAGES: dict[str, Callable[[Any], Any]] = {PLATFORM: PlatformPage, CURATION: CurationPage}
"""The page of each model family, called with the family's scenario."""


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
    PAGES[loaded.family](loaded.scenario)


page = Page
"""The page component (one model per browser session)."""
