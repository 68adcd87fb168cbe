"""Curation scenario files: parsing, defaults and every validation error path."""

import copy
import tomllib
from pathlib import Path

import pytest

from platform_abm.common.errors import InputError
from platform_abm.curation.model import CurationModel
from platform_abm.curation.scenario import CurationScenario, FactionSpec

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios" / "curation"

MINIMAL = {"scenario": {"name": "t", "family": "curation", "seed": 1, "rounds": 5}}


def with_(path, value, base=MINIMAL):
    """Copy of ``base`` with a dotted path set (list indices as ints)."""
    data = copy.deepcopy(base)
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        key = int(key) if key.isdigit() else key
        if isinstance(node, dict):
            node = node.setdefault(key, {})
        else:
            node = node[key]
    last = keys[-1]
    node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize("name", ["perfect", "partial", "disjoint"])
def test_shipped_scenarios_load(name):
    sc = CurationScenario.from_toml(SCENARIOS / f"{name}.toml")
    assert sc.name == f"curation-{name}"
    assert sc.fidelity == "grid" and sc.order == "owner-first" and sc.rounds == 100
    assert (sc.owner.pool, sc.factions[0].pool) == (10, 4)
    assert sc.owner.temperature == sc.factions[0].temperature == 0.5
    expected_x = {"perfect": 0.0, "partial": 1.5, "disjoint": 3.0}[name]
    assert sc.factions[0].centre == (expected_x, 0.0)
    assert sc.output_dir == f"results/curation-{name}"


def test_defaults_are_the_papers_setting():
    sc = CurationScenario.from_dict(MINIMAL)
    assert sc.grid.size == 81 and (sc.grid.low, sc.grid.high) == (-5.0, 5.0)
    assert sc.owner.centre == (0.0, 0.0) and sc.owner.radius == 1.0 and sc.owner.slope == 2.0
    assert sc.factions == (FactionSpec(),)
    assert sc.mix == 0.0 and sc.initial.kind == "uniform"
    assert (sc.sampled.initial_points, sc.sampled.owner_keep, sc.sampled.public_keep) == (
        1000,
        100,
        50,
    )
    assert sc.output_dir is None


def test_several_factions_and_model_kwargs():
    data = with_(
        "curation.factions",
        [
            {"name": "left", "centre": [-1.5, 0], "share": 3, "pool": 2},
            {"name": "right", "centre": [1.5, 0], "share": 1, "activity": 2.0, "temperature": 1},
        ],
    )
    data["curation"]["public_users"] = 8
    sc = CurationScenario.from_dict(data)
    assert [f.name for f in sc.factions] == ["left", "right"]
    assert sc.factions[1].temperature == 1.0 and sc.factions[1].activity == 2.0
    model = CurationModel.from_scenario(sc)
    assert model.max_rounds == 5
    assert len(model.public) == 8
    assert [sum(u.faction == i for u in model.public) for i in (0, 1)] == [6, 2]
    # faction weights aggregate their users: share × activity
    weights = model.faction_weights()
    assert weights == pytest.approx([3.0, 2.0])


def test_shipped_file_round_trips_through_from_dict():
    with open(SCENARIOS / "partial.toml", "rb") as fh:
        data = tomllib.load(fh)
    assert CurationScenario.from_dict(data) == CurationScenario.from_toml(
        SCENARIOS / "partial.toml"
    )


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("scenario.family", "performative", "scenario.family"),
        ("scenario.seed", -1, "scenario.seed"),
        ("scenario.seed", 1.5, "scenario.seed"),
        ("scenario.rounds", 0, "scenario.rounds"),
        ("scenario.rounds", True, "scenario.rounds"),
        ("scenario.name", "", "scenario.name"),
        ("scenario.colour", "red", "scenario.colour"),
        ("output.dir", 3, "output.dir"),
        ("output.format", "csv", "output.format"),
        ("extra", {}, "extra"),
        ("curation.fidelity", "exact", "curation.fidelity"),
        ("curation.order", "random", "curation.order"),
        ("curation.mix", 1.5, "curation.mix"),
        ("curation.mix", float("nan"), "curation.mix"),
        ("curation.public_users", 0, "curation.public_users"),
        ("curation.speed", 1, "curation.speed"),
        ("curation.grid.size", 2, "curation.grid.size"),
        ("curation.grid.size", 10_000, "curation.grid.size"),
        ("curation.grid.high", -6.0, "curation.grid.high"),
        ("curation.grid.depth", 1, "curation.grid.depth"),
        ("curation.initial.kind", "beta", "curation.initial.kind"),
        ("curation.initial.scale", 0, "curation.initial.scale"),
        ("curation.initial.centre", [1, 2, 3], "curation.initial.centre"),
        ("curation.owner.pool", 0, "curation.owner.pool"),
        ("curation.owner.temperature", 0.0, "curation.owner.temperature"),
        ("curation.owner.radius", -1, "curation.owner.radius"),
        ("curation.owner.centre", "origin", "curation.owner.centre"),
        ("curation.owner.share", 1.0, "curation.owner.share"),
        ("curation.owner", [1], "curation.owner"),
        ("curation.sampled.owner_keep", 0, "curation.sampled.owner_keep"),
        ("curation.sampled.gmm_components", 0, "curation.sampled.gmm_components"),
        ("curation.sampled.gmm_tol", -1.0, "curation.sampled.gmm_tol"),
        ("curation.sampled.batch", 3, "curation.sampled.batch"),
        ("curation.factions", [], "curation.factions"),
        ("curation.factions", {"name": "a"}, "curation.factions"),
        ("curation.factions", [{"pool": 0}], "curation.factions[0].pool"),
        ("curation.factions", [{}, {"pool": 2.5}], "curation.factions[1].pool"),
        ("curation.factions", [{"share": 0}], "curation.factions[0].share"),
        ("curation.factions", [{"activity": -1}], "curation.factions[0].activity"),
        ("curation.factions", [{"name": "owner"}], "curation.factions[0].name"),
        ("curation.factions", [{"name": "has space"}], "curation.factions[0].name"),
        ("curation.factions", [{}, {}], "curation.factions[1].name"),
        ("curation.factions", [{"colour": 1}], "curation.factions[0].colour"),
        ("curation.factions", ["x"], "curation.factions[0]"),
    ],
)
def test_invalid_fields_are_named(path, value, field):
    with pytest.raises(InputError) as err:
        CurationScenario.from_dict(with_(path, value))
    assert err.value.field == field
    assert field in str(err.value)


def test_missing_required_keys():
    for key in ("name", "family", "seed", "rounds"):
        data = copy.deepcopy(MINIMAL)
        del data["scenario"][key]
        with pytest.raises(InputError) as err:
            CurationScenario.from_dict(data)
        assert err.value.field == f"scenario.{key}"
    with pytest.raises(InputError) as err:
        CurationScenario.from_dict({})
    assert err.value.field == "scenario"


def test_more_factions_than_users_is_rejected():
    data = with_("curation.factions", [{"name": "a"}, {"name": "b"}])
    with pytest.raises(InputError) as err:
        CurationScenario.from_dict(data)
    assert err.value.field == "curation.public_users"


def test_unparsable_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\nname=")
    with pytest.raises(InputError):
        CurationScenario.from_toml(bad)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fidelity": "exact"}, "fidelity"),
        ({"order": "both"}, "order"),
        ({"owner_pool": 0}, "owner_pool"),
        ({"public_pool": 1.5}, "public_pool"),
        ({"public_temperature": 0}, "public_temperature"),
        ({"grid_size": 1}, "grid_size"),
        ({"low": 1.0, "high": 0.0}, "high"),
        ({"mix": -0.1}, "mix"),
        ({"factions": [{"pool": -1}]}, "factions[0].pool"),
        ({"p0": [1.0, 2.0]}, "p0"),
    ],
)
def test_model_names_bad_keyword_arguments(kwargs, field):
    with pytest.raises(InputError) as err:
        CurationModel(rng=0, **kwargs)
    assert err.value.field == field


def test_to_dict_round_trips_every_shipped_scenario():
    for path in sorted(SCENARIOS.glob("*.toml")):
        sc = CurationScenario.from_toml(path)
        document = sc.to_dict()
        assert CurationScenario.from_dict(document) == sc
        assert document["scenario"]["family"] == "curation"
        assert document["curation"]["factions"][0]["centre"] == list(sc.factions[0].centre)


def test_with_overrides_changes_and_validates_like_a_file():
    sc = CurationScenario.from_dict(MINIMAL)
    changed = sc.with_overrides(rounds=7, seed=None, fidelity="sampled")
    assert (changed.rounds, changed.seed, changed.fidelity) == (7, sc.seed, "sampled")
    assert sc.rounds == 5  # the original is left as it was
    assert sc.with_overrides() == sc
    for changes, field in (
        ({"rounds": 0}, "scenario.rounds"),
        ({"seed": 1.5}, "scenario.seed"),
        ({"public_users": 0}, "curation.public_users"),
        ({"grid": 3}, "grid"),
    ):
        with pytest.raises(InputError) as err:
            sc.with_overrides(**changes)
        assert err.value.field == field


def test_model_kwargs_build_the_scenarios_model():
    sc = CurationScenario.from_dict(with_("curation.owner.centre", [0.5, -0.25]))
    kwargs = sc.model_kwargs()
    assert kwargs["max_rounds"] == 5 and kwargs["rng"] == sc.seed
    assert (kwargs["owner_centre_x"], kwargs["owner_centre_y"]) == (0.5, -0.25)
    model = CurationModel(**kwargs)
    assert model.owner == sc.owner and model.factions == sc.factions


def test_from_scenario_reads_a_curation_file_and_refuses_a_platform_file(tmp_path):
    path = SCENARIOS / "partial.toml"
    model = CurationModel.from_scenario(path, max_rounds=2)
    direct = CurationModel.from_scenario(CurationScenario.from_toml(path), max_rounds=2)
    assert model.max_rounds == 2 and model.factions == direct.factions
    model.run_model()
    direct.run_model()
    assert model.results().equals(direct.results())
    platform = tmp_path / "platform.toml"
    platform.write_text('[scenario]\nname = "p"\nrounds = 3\n')
    for read in (CurationModel.from_scenario, CurationScenario.from_toml):
        with pytest.raises(InputError) as err:
            read(str(platform))
        assert err.value.field == "scenario.family" and err.value.value == "platform"
    with pytest.raises(InputError) as err:
        CurationModel.from_scenario({"scenario": {}})
    assert err.value.field == "scenario"
