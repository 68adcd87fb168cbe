"""One complete validation of scenario files, the Python API and sweeps (before anything runs)."""

import copy

import numpy as np
import pytest

from platform_abm.batch.runner import plan_sweep
from platform_abm.cli import main
from platform_abm.common.errors import InputError
from platform_abm.common.scenario_file import read_toml
from platform_abm.curation.model import CurationModel
from platform_abm.curation.scenario import CurationScenario
from platform_abm.platform.model import PlatformModel
from platform_abm.platform.scenario import Scenario, load_scenario, scenario_from_dict

SMALL = {"scenario": {"rounds": 2}, "population": {"n": 300}}


def _write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _cli(tmp_path, text, capsys):
    out = tmp_path / "out"
    code = main(["run", str(_write(tmp_path, text)), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    return code, err, out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "it is empty"),
        ("   \n\n\t  \n", "it is empty"),
        ("# only a comment\n", "it is empty"),
        ("scenario = 5\n", "scenario: got 5; allowed: a table [scenario]"),
        ('rounds = 3\n[scenario]\nname = "x"\n', "rounds: got 3"),
        ("users = [1, 2]\n", "users: got [1, 2]"),
    ],
)
def test_empty_files_and_non_table_top_levels_are_errors(tmp_path, capsys, text, message):
    code, err, out = _cli(tmp_path, text, capsys)
    assert code == 2 and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()
    with pytest.raises(InputError):
        read_toml(tmp_path / "s.toml")


@pytest.mark.parametrize(
    "name", [".", "..", ".hidden", "a/b", "a\\b", "tab\tname", "nul\x00", "end.", "", "x" * 101]
)
def test_scenario_names_that_are_not_plain_folder_names_are_refused(name):
    with pytest.raises(InputError) as info:
        scenario_from_dict({"scenario": {"name": name}})
    assert info.value.field == "scenario.name"
    data = {"scenario": {"name": name, "family": "curation", "seed": 0, "rounds": 1}}
    with pytest.raises(InputError) as info:
        CurationScenario.from_dict(data)
    assert info.value.field == "scenario.name"


@pytest.mark.parametrize("name", ["default", "fig1_mixture", "v1.2-run", "A", "3"])
def test_plain_scenario_names_are_accepted(name):
    assert scenario_from_dict({"scenario": {"name": name}}).name == name


def test_learner_parameters_come_from_the_learners_own_declaration():
    exact = scenario_from_dict({**SMALL, "learner": {"name": "exact", "max_iter": 50}})
    assert exact.learner_params == {"max_iter": 50}
    model = PlatformModel(**exact.model_kwargs())
    assert model.learner.max_iter == 50
    gd = scenario_from_dict({"learner": {"name": "gd", "steps": 3, "lr": 1, "reg": 0.5}})
    assert gd.learner_params == {"steps": 3, "lr": 1.0, "reg": 0.5}
    assert scenario_from_dict({"learner": {"name": "least-squares", "reg": 0.1}}).learner == (
        "least-squares"
    )


@pytest.mark.parametrize(
    ("learner", "message"),
    [
        ({"name": "gd", "lr": "fast"}, "learner.lr: got 'fast'; allowed: a finite number > 0"),
        ({"name": "gd", "lr": 0}, "learner.lr: got 0; allowed: a finite number > 0"),
        ({"name": "gd", "steps": 0}, "learner.steps: got 0; allowed: an integer >= 1"),
        ({"name": "gd", "steps": 2.5}, "learner.steps: got 2.5"),
        ({"name": "gd", "max_iter": 5}, "learner.max_iter: got 5; allowed: no such key for "),
        ({"name": "exact", "steps": 5}, "learner.steps: got 5; allowed: no such key for "),
        ({"name": "exact", "tol": -1}, "learner.tol: got -1"),
        ({"name": "exact", "penalize_bias": "yes"}, "learner.penalize_bias: got 'yes'"),
        ({"name": "exact", "penalize_bias": 1}, "learner.penalize_bias: got 1"),
        ({"name": "sklearn-lbfgs", "use_warm_start": "no"}, "learner.use_warm_start: got 'no'"),
        ({"name": "svm"}, "learner.name: got 'svm'; allowed: one of 'backtracking-gd', 'exact'"),
        ({"name": 3}, "learner.name: got 3"),
    ],
)
def test_learner_tables_are_checked_completely(learner, message):
    with pytest.raises(InputError) as info:
        scenario_from_dict({"learner": learner})
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("document", "field", "allowed"),
    [
        ({"scenario": {"rounds": 10**9}}, "scenario.rounds", "<= 100000"),
        ({"scenario": {"rounds": "many"}}, "scenario.rounds", "an integer"),
        ({"scenario": {"seed": True}}, "scenario.seed", "an integer"),
        ({"run": {"tolerance": float("inf")}}, "run.tolerance", "finite"),
        ({"run": {"divergence_bound": 0}}, "run.divergence_bound", "> 0"),
        ({"run": {"divergence_bound": float("inf")}}, "run.divergence_bound", "finite"),
        ({"users": {"epsilon": 1e300}}, "users.epsilon", "<= 1e+06"),
        (
            {"users": {"epsilon": {"distribution": "lognormal", "median": 0.5, "sigma": 800}}},
            "users.epsilon.sigma",
            "<= 10",
        ),
        (
            {"users": {"epsilon": {"distribution": "uniform", "low": 0.5, "high": 0.5}}},
            "users.epsilon.high",
            "> low = 0.5",
        ),
        (
            {"users": {"epsilon": {"distribution": "uniform", "low": 0.5, "high": 1.0, "s": 1}}},
            "users.epsilon.s",
            "known keys: distribution, low, high",
        ),
        ({"users": {"epsilon": {"median": 0.5}}}, "users.epsilon.distribution", "required"),
        ({"users": {"levels": [0.5, "0.5"]}}, "users.levels[1]", "a finite number"),
        ({"population": {"n": 1}}, "population.n", ">= 2"),
        ({"population": {"source": "credit", "n": 500}}, "population.n", "no n for source"),
        ({"population": {"d": 4}}, "population.d", "no d for source 'synthetic-credit'"),
        ({"population": {"strategic_features": [True]}}, "population.strategic_features[0]", ""),
        ({"output": {"agent_sample": 10**12}}, "output.agent_sample", "<= 50000000"),
        ({"sweep": {"seeds": 0}}, "sweep.seeds", "a number of seeds"),
        ({"collectives": [{"members": {"fraction": 0.1}}]}, "collectives[0].strategy", "required"),
    ],
)
def test_types_ranges_and_consistency_of_every_table(document, field, allowed):
    with pytest.raises(InputError) as info:
        scenario_from_dict(document)
    assert info.value.field == field
    assert allowed in info.value.allowed


def test_tolerance_zero_means_every_round_is_run():
    assert scenario_from_dict({"run": {"tolerance": 0}}).tolerance == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mixture": "x"}, "mixture: got 'x'; allowed: one of 'agents', 'expected'"),
        ({"epsilon": "big"}, "epsilon: got 'big'; allowed: a finite number > 0"),
        ({"epsilon": np.nan}, "epsilon: got nan"),
        ({"max_rounds": 2.5}, "max_rounds: got 2.5; allowed: an integer"),
        ({"levels": "half"}, "levels: got 'half'"),
        ({"levels": (0.5, 0.6)}, "levels: got [0.5, 0.6]; allowed: fractions summing to 1"),
        ({"vectorised": "yes"}, "vectorised: got 'yes'; allowed: true or false"),
        ({"strategic_features": []}, "strategic_features: got []"),
        ({"learner_params": {"lr": 1}}, "learner_params.lr: got 1; allowed: no such key"),
        ({"learner": "gd", "learner_params": {"lr": "x"}}, "learner_params.lr: got 'x'"),
        ({"epsilon_distribution": "uniform"}, "epsilon_low: got 0.0; allowed: a finite number > 0"),
        ({"rng": "seed"}, "rng: got 'seed'"),
        ({"tolerance": -1}, "tolerance: got -1"),
        ({"n_users": 1}, "n_users: got 1; allowed: an integer >= 2"),
    ],
)
def test_the_python_api_names_its_own_arguments(kwargs, message):
    with pytest.raises(InputError) as info:
        PlatformModel(**kwargs)
    assert str(info.value).startswith(message)


def test_overrides_and_file_runs_name_the_scenario_fields(tmp_path, capsys):
    with pytest.raises(InputError, match=r"^scenario\.seed: got -1"):
        Scenario().with_overrides(seed=-1)
    code, err, _ = _cli(tmp_path, "[population]\nn = 50\n[output]\nagent_sample = 51\n", capsys)
    assert code == 2 and "output.agent_sample: got 51" in err


BASE = {
    "scenario": {"name": "sweep", "rounds": 2},
    "population": {"source": "gaussian", "n": 200, "d": 2, "strategic_features": [0]},
    "users": {"epsilon": 0.5},
}


@pytest.mark.parametrize(
    ("learner", "parameters", "field"),
    [
        ({"name": "gd"}, {"learner.lr": [0.1, "fast"]}, "sweep.parameters.learner.lr"),
        ({"name": "gd"}, {"learner.steps": [5, 0]}, "sweep.parameters.learner.steps"),
        ({"name": "exact"}, {"learner.steps": [5, 10]}, "sweep.parameters.learner.steps"),
        (
            {"name": "exact"},
            {"learner.name": ["exact", "gd"], "learner.tol": [1e-9]},
            "sweep.parameters.learner.tol",
        ),
    ],
)
def test_sweeps_check_every_point_with_learner_specific_parameters(learner, parameters, field):
    doc = {**copy.deepcopy(BASE), "learner": learner, "sweep": {"parameters": parameters}}
    with pytest.raises(InputError) as info:
        plan_sweep(doc)
    assert info.value.field.startswith(field)


def test_a_sweep_over_a_parameter_the_learner_takes_is_planned():
    doc = {**copy.deepcopy(BASE), "sweep": {"parameters": {"learner.max_iter": [10, 20]}}}
    assert plan_sweep(doc).spec.n_runs == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mix": "yes"}, "mix"),
        ({"max_rounds": 10**7}, "max_rounds"),
        ({"owner_centre_x": float("inf")}, "owner_centre_x"),
        ({"gmm_tol": 0}, "gmm_tol"),
        ({"initial_points": 10**12}, "initial_points"),
        ({"factions": [{"name": "a"}, {"name": "a"}], "public_users": 2}, "factions[1].name"),
        ({"factions": [{"centre": [0, "x"]}]}, "factions[0].centre[1]"),
    ],
)
def test_curation_keywords_are_checked_by_the_same_declarations(kwargs, field):
    with pytest.raises(InputError) as info:
        CurationModel(**kwargs)
    assert info.value.field == field


def test_shipped_scenarios_still_load(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "scenarios"
    for path in sorted(root.rglob("*.toml")):
        doc = read_toml(path)
        if doc["scenario"].get("family") == "curation":
            CurationScenario.from_dict(doc)
        else:
            load_scenario(path)


def test_a_learner_that_overflows_is_reported_in_one_line_without_warnings(tmp_path, capsys):
    # lr = 1e300 overflows within the first fit: a failed run (exit 1), not numpy warnings
    text = '[population]\nn = 200\n[learner]\nname = "gd"\nlr = 1e300\n'
    code, err, out = _cli(tmp_path, text, capsys)
    assert code == 1 and err.count("\n") == 1 and "not finite" in err
    assert not out.exists()
