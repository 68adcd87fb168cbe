"""The public API: what the package root exports, keyword-only models, ``from_scenario``."""

import inspect
from pathlib import Path

import pytest

import platform_abm
from platform_abm.common.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_FILE = "[scenario]\nseed = 1\nrounds = 2\n[population]\nn = 200\n"
CURATION_FILE = ROOT / "scenarios" / "curation" / "perfect.toml"


def test_the_names_programs_need_import_from_the_root():
    from platform_abm import (  # noqa: F401 (importing them is the test)
        FAMILIES,
        CurationModel,
        CurationScenario,
        InputError,
        PlatformModel,
        PublicUser,
        Scenario,
        UserAgent,
        load_scenario,
        make_learner,
        run_sweep,
    )
    from platform_abm.curation.model import CurationModel as curation_model
    from platform_abm.platform.model import PlatformModel as platform_model

    assert PlatformModel is platform_model and CurationModel is curation_model
    assert set(FAMILIES) == {"platform", "curation"}


def test_all_lists_exactly_what_the_root_exports():
    namespace: dict = {}
    exec("from platform_abm import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(platform_abm.__all__)
    assert len(platform_abm.__all__) == len(set(platform_abm.__all__))
    for name in platform_abm.__all__:
        value = getattr(platform_abm, name)
        if callable(value):  # a class or function of the package, not a re-export of another
            assert value.__module__.startswith("platform_abm."), name
    assert set(platform_abm.__all__) <= set(dir(platform_abm))
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        platform_abm.NoSuchName  # noqa: B018


@pytest.mark.parametrize("name", ["PlatformModel", "CurationModel"])
def test_model_constructors_take_keywords_only(name):
    model_class = getattr(platform_abm, name)
    kinds = {p.kind for p in inspect.signature(model_class).parameters.values()}
    assert kinds == {inspect.Parameter.KEYWORD_ONLY}, kinds
    with pytest.raises(TypeError, match="positional"):
        model_class("a value")


def _platform_file(tmp_path):
    path = tmp_path / "platform.toml"
    path.write_text(PLATFORM_FILE)
    return path


def test_load_scenario_reads_either_family(tmp_path):
    assert isinstance(platform_abm.load_scenario(_platform_file(tmp_path)), platform_abm.Scenario)
    curation = platform_abm.load_scenario(CURATION_FILE)
    assert isinstance(curation, platform_abm.CurationScenario)


@pytest.mark.parametrize("name", ["PlatformModel", "CurationModel"])
def test_from_scenario_takes_a_path_or_a_scenario_and_refuses_the_other_family(name, tmp_path):
    model_class = getattr(platform_abm, name)
    own, other = _platform_file(tmp_path), CURATION_FILE
    if name == "CurationModel":
        own, other = other, own
    for source in (own, str(own), platform_abm.load_scenario(own)):
        model = model_class.from_scenario(source)
        assert isinstance(model, model_class) and model.running
    with pytest.raises(InputError) as info:
        model_class.from_scenario(other)
    assert info.value.field == "scenario.family"
