"""The model families: the one registry the command line, the sweeps and the live page use.

A family is a scenario schema and a model class. Whatever the family, a run is
the same three steps: validate the scenario document, build the model from it,
step it until ``running`` turns False and take its per-round table. A scenario
file names its family in ``[scenario] family`` (``platform`` when absent).
``platform-abm run`` calls every family's runner the same way: apply the
command line's overrides (:attr:`Family.override`), then
``run(scenario, out_dir, progress=..., force=..., field=...)``
(:meth:`Family.runner`, ``platform_abm/<family>/run.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import pandas as pd

from platform_abm.common.errors import InputError
from platform_abm.common.scenario_file import read_toml

DEFAULT_FAMILY = "platform"
"""The family of a scenario file that names none."""


@dataclass(frozen=True)
class Family:
    """How to turn a scenario document of one family into a model, a run and a page.

    Attributes:
        name: The ``scenario.family`` value (also the subpackage's name).
        validate: ``(document, base_dir) -> scenario``; raises InputError.
        build: ``scenario -> model`` (a Mesa model with ``step()`` and ``running``).
        run: ``model -> table``: step the model until ``running`` turns False
            and return its per-round table.
        run_scenario: ``"module:function"`` of the family's runner,
            ``run(scenario, out_dir, *, progress, force, field) -> summary``,
            which writes a scenario's results folder.
        override: ``(scenario, *, rounds, seed, data) -> scenario``: the
            scenario with the command line's ``--rounds``, ``--seed`` and
            ``--data`` applied (None: not given); raises InputError for an
            option the family does not take.
        page: ``"module:Component"`` of the family's live page.
        modules: Modules the family needs, checked before a sweep starts.
        default: ``() -> scenario``: the built-in default scenario (None: the
            family has none, a scenario file is needed).
    """

    name: str
    validate: Callable[[Mapping[str, Any], Path | None], Any]
    build: Callable[[Any], Any]
    run: Callable[[Any], pd.DataFrame]
    run_scenario: str
    override: Callable[..., Any]
    page: str
    modules: tuple[str, ...]
    default: Callable[[], Any] | None = None

    def ensure_available(self) -> None:
        """Import the family's modules, so a missing one stops a sweep before any run.

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

    def runner(self) -> Callable[..., dict[str, Any]]:
        """The family's ``run(scenario, out_dir, *, progress, force, field)`` (imported now)."""
        return _resolve(self.run_scenario)

    def page_component(self) -> Callable[[Any], Any]:
        """The family's live-page component (imports Solara and Mesa's visualization)."""
        return _resolve(self.page)


def _resolve(dotted: str) -> Any:
    """The object a ``"module:name"`` path names (its module imported on first use)."""
    module, _, name = dotted.partition(":")
    return getattr(import_module(module), name)


def _platform_validate(doc: Mapping[str, Any], base_dir: Path | None) -> Any:
    from platform_abm.platform.scenario import scenario_from_dict

    return scenario_from_dict(dict(doc), base_dir)


def _platform_build(scenario: Any) -> Any:
    from platform_abm.platform.model import PlatformModel

    # A sweep stores each run's model-level table; no per-agent sample is recorded.
    return PlatformModel.from_scenario(scenario, agent_sample=0)


def _platform_run(model: Any) -> pd.DataFrame:
    model.run_model()
    return model.results()


def _platform_override(
    scenario: Any, *, rounds: int | None, seed: int | None, data: str | None
) -> Any:
    changes: dict[str, Any] = {"rounds": rounds, "seed": seed}
    if data is not None:
        data_file = Path(data).expanduser()
        if not data_file.is_file():
            raise InputError("--data", str(data_file), "an existing CSV or ZIP file")
        changes["path"] = str(data_file.resolve())
        if scenario.source != "csv":
            changes["source"] = "credit"
    return scenario.with_overrides(**changes)


def _platform_default() -> Any:
    from platform_abm.platform.scenario import Scenario

    return Scenario()


def _curation_validate(doc: Mapping[str, Any], base_dir: Path | None) -> Any:
    del base_dir  # curation scenarios read no data files
    from platform_abm.curation.scenario import CurationScenario

    return CurationScenario.from_dict(doc)


def _curation_build(scenario: Any) -> Any:
    from platform_abm.curation.model import CurationModel

    return CurationModel.from_scenario(scenario)


def _curation_run(model: Any) -> pd.DataFrame:
    # The curation package's own loop, so a sweep's table matches `platform-abm run`.
    from platform_abm.curation.run import run_model

    return run_model(model, progress=False)


def _curation_override(
    scenario: Any, *, rounds: int | None, seed: int | None, data: str | None
) -> Any:
    if data is not None:
        raise InputError("--data", data, "no data file: curation scenarios generate their own")
    return scenario.with_overrides(rounds=rounds, seed=seed)


FAMILIES: dict[str, Family] = {
    "platform": Family(
        name="platform",
        validate=_platform_validate,
        build=_platform_build,
        run=_platform_run,
        run_scenario="platform_abm.platform.run:run",
        override=_platform_override,
        page="platform_abm.viz.platform.page:PlatformPage",
        modules=("platform_abm.platform.scenario", "platform_abm.platform.model"),
        default=_platform_default,
    ),
    "curation": Family(
        name="curation",
        validate=_curation_validate,
        build=_curation_build,
        run=_curation_run,
        run_scenario="platform_abm.curation.run:run",
        override=_curation_override,
        page="platform_abm.viz.curation.page:CurationPage",
        modules=(
            "platform_abm.curation.scenario",
            "platform_abm.curation.model",
            "platform_abm.curation.run",
        ),
    ),
}
"""Every family, by name."""


def get_family(name: Any) -> Family:
    """The family registered under ``name``.

    Args:
        name: A family name.

    Returns:
        The family.

    Raises:
        InputError: For a name that is not a registered family.
    """
    if not isinstance(name, str) or name not in FAMILIES:
        allowed = " or ".join(repr(f) for f in FAMILIES)
        raise InputError("scenario.family", name, allowed)
    return FAMILIES[name]


def family_of(document: Mapping[str, Any]) -> Family:
    """The family of a parsed scenario document (``scenario.family``, default ``platform``).

    Args:
        document: The parsed scenario document.

    Returns:
        The family.

    Raises:
        InputError: For an unknown family.
    """
    meta = document.get("scenario", {})
    name = meta.get("family", DEFAULT_FAMILY) if isinstance(meta, Mapping) else DEFAULT_FAMILY
    return get_family(name)


def read_scenario(path: str | Path | None) -> tuple[Family, Any]:
    """Read and validate a scenario file of any family, with the family it belongs to.

    Args:
        path: The TOML file (None: the default family's built-in default scenario).

    Returns:
        The family and the validated scenario; relative data paths resolve
        against the file's folder.

    Raises:
        InputError: When the file is missing, unreadable, of an unknown family
            or not a valid scenario of its family.
    """
    if path is None:
        family = FAMILIES[DEFAULT_FAMILY]
        if family.default is None:
            raise InputError("scenario", None, f"a scenario file ({family.name} has no default)")
        return family, family.default()
    document = read_toml(path)
    family = family_of(document)
    return family, family.validate(document, Path(path).resolve().parent)


def load_scenario(path: str | Path) -> Any:
    """Read and validate a scenario file of any family.

    Args:
        path: The TOML file.

    Returns:
        The validated scenario (:class:`~platform_abm.platform.scenario.Scenario`
        or :class:`~platform_abm.curation.scenario.CurationScenario`); relative
        data paths resolve against the file's folder.

    Raises:
        InputError: When the file is missing, unreadable, of an unknown family
            or not a valid scenario of its family.
    """
    return read_scenario(path)[1]
