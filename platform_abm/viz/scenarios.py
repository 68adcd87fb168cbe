"""Which page a scenario file gets: its family's page, and the scenario validated for it.

``platform-abm viz FILE`` and the served app both read the file through
:func:`load_page_scenario`, so a file the page cannot show is refused by the
command line, with one clear message, before the server starts. The file is
read, and its family found, by the one registry, :mod:`platform_abm.families`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from platform_abm.families import read_scenario

SCENARIO_ENV_VAR = "PLATFORM_ABM_VIZ_SCENARIO"
"""Environment variable naming the scenario file the page starts from (unset: the default)."""


class PageScenario(NamedTuple):
    """A validated scenario and the family whose page shows it.

    Attributes:
        family: The family's name (a key of :data:`platform_abm.families.FAMILIES`).
        scenario: The validated scenario of that family.
    """

    family: str
    scenario: Any


def load_page_scenario(path: str | Path | None) -> PageScenario:
    """Read and validate a scenario file of any family.

    Args:
        path: The TOML file (None: the default family's built-in default scenario).

    Returns:
        The family's name and the validated scenario.

    Raises:
        InputError: When the file is missing, unreadable, of an unknown family
            or not a valid scenario of its family.
    """
    family, scenario = read_scenario(path)
    return PageScenario(family.name, scenario)


def scenario_from_environment() -> PageScenario:
    """The scenario named by ``PLATFORM_ABM_VIZ_SCENARIO``, or the built-in default.

    Raises:
        InputError: When the named file is missing, invalid or of an unknown family.
    """
    return load_page_scenario(os.environ.get(SCENARIO_ENV_VAR) or None)
