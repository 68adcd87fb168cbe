import pytest

from platform_abm.batch.keys import run_key, run_seed
from platform_abm.batch.runner import plan_sweep
from platform_abm.batch.spec import SweepSpec, apply_overrides
from platform_abm.common.errors import InputError

BASE = {
    "scenario": {"name": "spec", "seed": 4, "rounds": 3},
    "population": {"source": "gaussian", "n": 100, "strategic_features": [0]},
    "users": {"epsilon": 0.5},
}


def test_lists_ranges_and_nested_tables_expand_in_order():
    spec = SweepSpec.from_dict(
        {
            "seeds": 2,
            "parameters": {
                "users": {"epsilon": {"start": 0.1, "stop": 0.5, "num": 5}},
                "scenario.rounds": {"start": 5, "stop": 15, "num": 3},
                "learner.reg": {"start": 1e-4, "stop": 1e-1, "num": 4, "scale": "log"},
                "users.levels": [{"1": 1.0}, {"1": 0.5, "2": 0.5}],
            },
        }
    )
    values = {p.path: p.values for p in spec.parameters}
    assert values["users.epsilon"] == (0.1, 0.2, 0.3, 0.4, 0.5)
    assert values["scenario.rounds"] == (5, 10, 15)
    assert all(isinstance(v, int) for v in values["scenario.rounds"])
    assert values["learner.reg"] == (1e-4, 1e-3, 1e-2, 1e-1)
    assert spec.names == ("users.epsilon", "scenario.rounds", "learner.reg", "users.levels")
    assert spec.n_points == 5 * 3 * 4 * 2 and spec.n_runs == 2 * spec.n_points
    runs = spec.runs()
    assert [r.replicate for r in runs[:4]] == [0, 1, 0, 1]
    assert dict(runs[0].params)["users.levels"] == {"1": 1.0}
    assert dict(runs[2].params)["users.levels"] == {"1": 0.5, "2": 0.5}
    assert dict(runs[0].columns)["users.levels"] == '{"1":1.0}'
    assert len({r.key for r in runs}) == len(runs)


def test_mixed_integer_and_float_values_share_a_float_column():
    spec = SweepSpec.from_dict({"parameters": {"users.epsilon": [1, 2.5]}})
    assert [dict(r.columns)["users.epsilon"] for r in spec.runs()] == [1.0, 2.5]
    assert [dict(r.params)["users.epsilon"] for r in spec.runs()] == [1, 2.5]


def test_keys_and_seeds_depend_on_values_not_on_order():
    forward = SweepSpec.from_dict({"seeds": 2, "parameters": {"a.x": [1, 2], "b.y": ["p", "q"]}})
    backward = SweepSpec.from_dict(
        {"seeds": [1, 0], "parameters": {"b.y": ["q", "p"], "a.x": [2, 1]}}
    )
    pairs = {(r.key, r.seed) for r in forward.runs(7)}
    assert pairs == {(r.key, r.seed) for r in backward.runs(7)}
    # Pinned: a change here would orphan every results folder already written.
    assert run_key({"a.x": 1, "b.y": "p"}, 0) == run_key({"b.y": "p", "a.x": 1}, 0)
    assert run_key({"users.epsilon": 0.5}, 0) == "9f3fbe4bd622cfa8"
    assert run_seed(0, "9f3fbe4bd622cfa8", 0) == 4443082382003622453
    seeds = [r.seed for r in forward.runs(7)]
    assert len(set(seeds)) == len(seeds) and all(0 <= s < 2**63 for s in seeds)
    assert {r.seed for r in forward.runs(8)}.isdisjoint(seeds)


def test_replicate_seed_mode_gives_common_random_numbers():
    spec = SweepSpec.from_dict(
        {"seeds": 3, "seed_mode": "replicate", "parameters": {"users.epsilon": [0.1, 0.2]}}
    )
    runs = spec.runs(1)
    by_replicate = {}
    for run in runs:
        by_replicate.setdefault(run.replicate, set()).add(run.seed)
    assert all(len(seeds) == 1 for seeds in by_replicate.values())
    assert len({next(iter(s)) for s in by_replicate.values()}) == 3
    assert len({r.key for r in runs}) == 6


def test_overrides_create_tables_and_index_lists():
    doc = {"users": {"epsilon": 0.5}, "collectives": [{"alpha": 0.1}, {"alpha": 0.2}]}
    out = apply_overrides(
        doc, [("collectives.1.alpha", 0.3), ("run.tolerance", 1e-6), ("users.epsilon", 1.0)]
    )
    assert out["collectives"][1]["alpha"] == 0.3 and out["run"] == {"tolerance": 1e-6}
    assert out["users"]["epsilon"] == 1.0 and doc["users"]["epsilon"] == 0.5
    with pytest.raises(InputError, match="index below 2"):
        apply_overrides(doc, [("collectives.5.alpha", 0.3)])
    with pytest.raises(InputError, match="through tables"):
        apply_overrides(doc, [("users.epsilon.median", 0.3)])


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ({"parameter": {}}, "sweep.parameter"),
        ({"parameters": {"users.epsilon": []}}, "sweep.parameters.users.epsilon"),
        ({"parameters": {"users.epsilon": 0.5}}, "sweep.parameters.users.epsilon"),
        ({"parameters": {"users.epsilon": [0.5, 0.5]}}, "sweep.parameters.users.epsilon[1]"),
        (
            {"parameters": {"users.epsilon": {"start": 0, "stop": 1}}},
            "sweep.parameters.users.epsilon.num",
        ),
        (
            {"parameters": {"users.epsilon": {"start": 0, "stop": 1, "num": 3, "scale": "log"}}},
            "sweep.parameters.users.epsilon.start/stop",
        ),
        ({"parameters": {"scenario.seed": [1, 2]}}, "sweep.parameters.scenario.seed"),
        ({"parameters": {"epsilon": [1, 2]}}, "sweep.parameters.epsilon"),
        ({"seeds": 0}, "sweep.seeds"),
        ({"seeds": [1, 1]}, "sweep.seeds"),
        ({"record": "all"}, "sweep.record"),
        ({"seed_mode": "point"}, "sweep.seed_mode"),
        ({"seed": -1}, "sweep.seed"),
    ],
)
def test_bad_sweep_tables_name_the_field(table, field):
    with pytest.raises(InputError) as info:
        SweepSpec.from_dict(table)
    assert info.value.field == field


def test_an_invalid_point_is_reported_before_anything_runs():
    doc = {**BASE, "sweep": {"parameters": {"users.epsilon": [0.5, -1.0]}}}
    with pytest.raises(InputError) as info:
        plan_sweep(doc)
    assert info.value.field == "sweep.parameters.users.epsilon"
    assert info.value.value == -1.0 and "users.epsilon" in info.value.allowed
    doc = {**BASE, "sweep": {"parameters": {"users.levels": [{"1": 1.0}, {"1": 0.7, "2": 0.7}]}}}
    with pytest.raises(InputError, match="sweep.parameters.users.levels"):
        plan_sweep(doc)


def test_the_shipped_sweeps_are_valid():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "scenarios" / "sweeps"
    plans = {path.stem: plan_sweep(path) for path in sorted(root.glob("*.toml"))}
    assert {"demo", "bench"} <= set(plans)
    demo = plans["demo"]
    assert {"users.epsilon", "users.levels"} <= set(demo.spec.names)
    assert demo.base["population"]["source"] == "synthetic-credit"
    assert plans["bench"].spec.n_runs >= 40
