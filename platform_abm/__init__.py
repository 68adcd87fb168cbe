"""platform_abm: agent-based simulation of strategic users on learning platforms.

The names most programs need are importable from the package root::

    from platform_abm import PlatformModel, load_scenario

    model = PlatformModel.from_scenario(load_scenario("scenarios/default.toml"))
    model.run_model()  # Mesa's loop: step() until running turns False
    table = model.results()

Two model families live side by side, each in its own subpackage with the same
plan (``model``, ``agents``, ``scenario``, ``run``, ``reproduce``):
:mod:`platform_abm.platform` (strategic users and a retrained platform) and
:mod:`platform_abm.curation` (recursive curation of a generative model). What
both use sits in :mod:`platform_abm.common`; :mod:`platform_abm.families` is the
registry that maps a scenario file to its family. The root imports a name's
module only when the name is first used, so the command line starts fast.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("platform_abm")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

_EXPORTS = {
    "PlatformModel": "platform_abm.platform.model",
    "UserAgent": "platform_abm.platform.agents",
    "Scenario": "platform_abm.platform.scenario",
    "CurationModel": "platform_abm.curation.model",
    "PublicUser": "platform_abm.curation.agents",
    "CurationScenario": "platform_abm.curation.scenario",
    "FAMILIES": "platform_abm.families",
    "load_scenario": "platform_abm.families",
    "make_learner": "platform_abm.common.learners",
    "run_sweep": "platform_abm.batch.runner",
    "load_results": "platform_abm.batch.runner",
    "aggregate": "platform_abm.batch.summary",
    "plot_sweep": "platform_abm.batch.plot",
    "PlatformABMError": "platform_abm.common.errors",
    "InputError": "platform_abm.common.errors",
    "SimulationError": "platform_abm.common.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    """Import an exported name's module on first use."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, the lazily imported exports included."""
    return sorted({*globals(), *_EXPORTS})
