from pathlib import Path

import pytest

from platform_abm.common.errors import InputError
from platform_abm.platform.scenario import Scenario, load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]


def test_default_file_equals_builtin_default():
    assert load_scenario(ROOT / "scenarios" / "default.toml") == Scenario()


def test_every_shipped_platform_scenario_validates():
    for path in sorted((ROOT / "scenarios").rglob("*.toml")):
        if "curation" in path.parts:
            continue
        scenario = load_scenario(path)
        assert scenario.rounds >= 1, path


def test_levels_as_table_or_list():
    a = scenario_from_dict({"users": {"levels": {"1": 0.25, "3": 0.75}}})
    b = scenario_from_dict({"users": {"levels": [0.0, 0.25, 0.0, 0.75]}})
    assert a.levels == b.levels == (0.0, 0.25, 0.0, 0.75)


BAD = [
    ({"users": {"levels": {"1": 0.5, "2": 0.4}}}, "users.levels", "sum to 0.9"),
    ({"users": {"levels": {"1": -0.5, "2": 1.5}}}, "users.levels.1", "-0.5"),
    ({"users": {"levels": {"x": 1.0}}}, "users.levels.x", "level"),
    ({"users": {"epsilon": 0}}, "users.epsilon", "> 0"),
    ({"users": {"epsilon": "big"}}, "users.epsilon", "'big'"),
    ({"users": {"epsilon": {"distribution": "cauchy"}}}, "users.epsilon.distribution", "lognormal"),
    (
        {"users": {"epsilon": {"distribution": "uniform", "low": 1.0, "high": 0.5}}},
        "users.epsilon.high",
        "> low = 1",
    ),
    ({"scenario": {"rounds": 0}}, "scenario.rounds", "integer >= 1"),
    ({"scenario": {"seed": -1}}, "scenario.seed", "integer >= 0"),
    ({"scenario": {"seed": 1.5}}, "scenario.seed", "1.5"),
    ({"scenario": {"name": "a/b"}}, "scenario.name", "letters, digits"),
    ({"population": {"source": "kaggle"}}, "population.source", "synthetic-credit"),
    ({"population": {"n": 1}}, "population.n", ">= 2"),
    ({"population": {"strategic_features": []}}, "population.strategic_features", "non-empty"),
    ({"population": {"source": "csv"}}, "population.path", "needs path and label"),
    ({"population": {"colour": 1}}, "population.colour", "known keys"),
    ({"learner": {"name": "svm"}}, "learner.name", "exact"),
    ({"learner": {"reg": -1}}, "learner.reg", ">= 0"),
    ({"run": {"tolerance": -1e-9}}, "run.tolerance", ">= 0"),
    ({"colours": {}}, "colours", "known keys: scenario, population"),
    ({"collectives": {"a": 1}}, "collectives", "array of tables"),
]


@pytest.mark.parametrize(("document", "field", "allowed"), BAD)
def test_invalid_values_name_field_value_and_allowed(document, field, allowed):
    with pytest.raises(InputError) as info:
        scenario_from_dict(document)
    assert info.value.field == field
    assert allowed in str(info.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="existing TOML file"):
        load_scenario(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[scenario\nname = 1")
    with pytest.raises(InputError, match="valid TOML"):
        load_scenario(broken)


def test_overrides_are_validated():
    with pytest.raises(InputError, match="scenario.rounds"):
        Scenario().with_overrides(rounds=0)
    assert Scenario().with_overrides(seed=5, rounds=None).seed == 5


def _signature_defaults():
    import inspect

    from platform_abm.platform.model import PlatformModel

    return {
        name: parameter.default
        for name, parameter in inspect.signature(PlatformModel).parameters.items()
    }


def test_the_model_defaults_are_the_default_scenarios():
    # PlatformModel() is the model of Scenario() (= scenarios/default.toml), keyword by keyword.
    defaults = _signature_defaults()
    kwargs = Scenario().model_kwargs()
    assert set(kwargs) <= set(defaults)
    for name, value in kwargs.items():
        if name in ("rng", "field_names"):  # the seed and the messages' names
            continue
        default = defaults[name]
        if name == "learner_params":
            assert (default or {}) == value
        elif isinstance(value, tuple):
            assert tuple(default) == value, name
        else:
            assert default == value, name
    assert (defaults["epsilon_distribution"], defaults["epsilon_sigma"]) == ("lognormal", 0.5)


@pytest.mark.parametrize("seed", [0, 4])
def test_the_default_model_runs_as_the_default_scenario(seed):
    import pandas as pd

    from platform_abm.platform.model import PlatformModel

    models = [PlatformModel(rng=seed), PlatformModel.from_scenario(Scenario(seed=seed))]
    for model in models:
        for _ in range(3):
            model.step()
    pd.testing.assert_frame_equal(models[0].results(), models[1].results(), check_exact=True)
    assert models[0].regime.code == models[1].regime.code == "performative"


def test_from_scenario_takes_a_scenario_or_its_file(tmp_path):
    import pandas as pd

    from platform_abm.platform.model import PlatformModel

    path = tmp_path / "small.toml"
    path.write_text("[scenario]\nseed = 3\nrounds = 2\n[population]\nn = 300\n")
    from_file = PlatformModel.from_scenario(path)
    from_text = PlatformModel.from_scenario(str(path))
    from_object = PlatformModel.from_scenario(load_scenario(path))
    for model in (from_file, from_text, from_object):
        model.run_model()
        assert model.steps == 2 and len(model.agents) == 300
    pd.testing.assert_frame_equal(from_file.results(), from_object.results(), check_exact=True)
    pd.testing.assert_frame_equal(from_text.results(), from_object.results(), check_exact=True)
    assert PlatformModel.from_scenario(path, max_rounds=1, agent_sample=5).max_rounds == 1


def test_from_scenario_refuses_another_family_and_other_objects():
    from platform_abm.platform.model import PlatformModel

    with pytest.raises(InputError) as info:
        PlatformModel.from_scenario(ROOT / "scenarios" / "curation" / "perfect.toml")
    assert info.value.field == "scenario.family" and info.value.value == "curation"
    with pytest.raises(InputError) as info:
        PlatformModel.from_scenario({"scenario": {"rounds": 2}})
    assert info.value.field == "scenario" and "platform Scenario" in info.value.allowed


def test_the_model_takes_keywords_only():
    from platform_abm.platform.model import PlatformModel

    with pytest.raises(TypeError, match="positional"):
        PlatformModel("synthetic-credit")
