"""Which page a scenario file gets: its model family, and the scenario validated for it.

``platform-abm viz FILE`` and the served app both read the file through
:func:`load_page_scenario`, so a file the page cannot show is refused by the
command line, with one clear message, before the server starts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from platform_abm.curation.scenario import CurationScenario
from platform_abm.errors import InputError
from platform_abm.scenario import Scenario, load_scenario, read_toml

SCENARIO_ENV_VAR = "PLATFORM_ABM_VIZ_SCENARIO"
"""Environment variable naming the scenario file the page starts from (unset: the default)."""

PLATFORM = "platform"
"""Family of the platform model (:class:`~platform_abm.model.PlatformModel`)."""

CURATION = "curation"
"""Family of the curation model (:class:`~platform_abm.curation.model.CurationModel`)."""

FAMILIES = (PLATFORM, CURATION)
"""Model families the page can show."""


class PageScenario(NamedTuple):
    """A validated scenario and the family whose page shows it.

    Attributes:
        family: :data:`PLATFORM` or :data:`CURATION`.
        scenario: The validated scenario of that family.
    """

    family: str
    scenario: Scenario | CurationScenario


def scenario_family(document: dict[str, Any]) -> str:
    """The model family of a parsed scenario file (``[scenario] family``, default platform).

    Args:
        document: The parsed TOML document.

    Returns:
        One of :data:`FAMILIES`.

    Raises:
        InputError: When the file names another family.
    """
    meta = document.get("scenario", {})
    family = meta.get("family", PLATFORM) if isinstance(meta, dict) else PLATFORM
    if family not in FAMILIES:
        allowed = " or ".join(repr(f) for f in FAMILIES)
        raise InputError("scenario.family", family, f"{allowed} (the families the page shows)")
    return family


def load_page_scenario(path: str | Path) -> PageScenario:
    """Read and validate a scenario file of any family the page shows.

    Args:
        path: The TOML file.

    Returns:
        The family and the validated scenario.

    Raises:
        InputError: When the file is missing, unreadable, of an unknown family
            or not a valid scenario of its family.
    """
    document = read_toml(path)
    family = scenario_family(document)
    if family == CURATION:
        return PageScenario(family, CurationScenario.from_dict(document))
    return PageScenario(family, load_scenario(path))


def scenario_from_environment() -> PageScenario:
    """The scenario named by ``PLATFORM_ABM_VIZ_SCENARIO``, or the built-in platform default.

    Raises:
        InputError: When the named file is missing, invalid or of an unknown family.
    """
    path = os.environ.get(SCENARIO_ENV_VAR)
    if not path:
        return PageScenario(PLATFORM, Scenario())
    return load_page_scenario(path)
