"""Model families a sweep can run: how to validate a scenario and build its model.

A run is always the same three steps, whatever the family: validate the run's
scenario document, build the model from it, step it until ``running`` turns
False and take its per-round DataFrame (the DataCollector's table). The family is chosen by
``[scenario] family`` (``platform`` by default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import pandas as pd

from platform_abm.errors import InputError

DEFAULT_FAMILY = "platform"


@dataclass(frozen=True)
class Family:
    """How to turn a scenario document of one family into a model.

    Attributes:
        name: The ``scenario.family`` value.
        validate: ``(document, base_dir) -> scenario``; raises InputError.
        build: ``scenario -> model`` (a Mesa model with ``step()`` and ``running``).
        run: ``model -> table``: step the model until ``running`` turns False
            and return its per-round table.
        modules: Modules the family needs, checked before a sweep starts.
    """

    name: str
    validate: Callable[[Mapping[str, Any], Path | None], Any]
    build: Callable[[Any], Any]
    run: Callable[[Any], pd.DataFrame]
    modules: tuple[str, ...]

    def ensure_available(self) -> None:
        """Import the family's modules, so a missing one stops the sweep before any run.

        Raises:
            InputError: When a module cannot be imported.
        """
        for module in self.modules:
            try:
                import_module(module)
            except ImportError as exc:
                raise InputError(
                    "scenario.family", self.name, f"a family whose modules import ({exc})"
                ) from None


def _platform_validate(doc: Mapping[str, Any], base_dir: Path | None) -> Any:
    from platform_abm.scenario import scenario_from_dict

    return scenario_from_dict(dict(doc), base_dir)


def _platform_build(scenario: Any) -> Any:
    from platform_abm.model import PlatformModel

    # A sweep stores each run's model-level table; no per-agent sample is recorded.
    return PlatformModel(**{**scenario.model_params(), "agent_sample": 0})


def _platform_run(model: Any) -> pd.DataFrame:
    while model.running:
        model.step()
    return model.results()


def _curation_validate(doc: Mapping[str, Any], base_dir: Path | None) -> Any:
    del base_dir  # curation scenarios read no data files
    module = import_module("platform_abm.curation.scenario")
    return module.CurationScenario.from_dict(doc)


def _curation_build(scenario: Any) -> Any:
    module = import_module("platform_abm.curation.model")
    return module.CurationModel.from_scenario(scenario)


def _curation_run(model: Any) -> pd.DataFrame:
    # The curation package's own loop, so a sweep's table matches `platform-abm run`.
    module = import_module("platform_abm.curation.run")
    return module.run_model(model, progress=False)


FAMILIES: dict[str, Family] = {
    "platform": Family(
        "platform",
        _platform_validate,
        _platform_build,
        _platform_run,
        ("platform_abm.scenario", "platform_abm.model"),
    ),
    "curation": Family(
        "curation",
        _curation_validate,
        _curation_build,
        _curation_run,
        (
            "platform_abm.curation.scenario",
            "platform_abm.curation.model",
            "platform_abm.curation.run",
        ),
    ),
}


def family_name(doc: Mapping[str, Any]) -> str:
    """The family of a scenario document (``scenario.family``, default ``platform``).

    Args:
        doc: The parsed scenario document.

    Returns:
        A key of :data:`FAMILIES`.

    Raises:
        InputError: For an unknown family.
    """
    meta = doc.get("scenario", {})
    name = meta.get("family", DEFAULT_FAMILY) if isinstance(meta, Mapping) else DEFAULT_FAMILY
    if name not in FAMILIES:
        raise InputError("scenario.family", name, f"one of {sorted(FAMILIES)}")
    return name


def get_family(name: str) -> Family:
    """The family registered under ``name``.

    Args:
        name: A family name.

    Returns:
        The family.

    Raises:
        InputError: For an unknown family.
    """
    if name not in FAMILIES:
        raise InputError("scenario.family", name, f"one of {sorted(FAMILIES)}")
    return FAMILIES[name]
