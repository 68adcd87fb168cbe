"""CurationModel: Mesa wiring, reduction to the two-curator map, determinism, batch_run."""

import inspect
import multiprocessing

import mesa
import numpy as np
import pandas as pd
import pytest

from platform_abm.common.errors import InputError
from platform_abm.curation import CurationModel, PublicUser
from platform_abm.curation.dynamics import bt_weight, iterate_two_curator
from platform_abm.curation.metrics import entropy, mean_distance, total_variation
from platform_abm.curation.model import CONVERGENCE_TOLERANCE
from platform_abm.curation.rewards import DiscReward
from platform_abm.curation.schema import CurationParams

SMALL = {"grid_size": 41, "max_rounds": 12}


def run(model):
    model.run_model()
    return model.results()


@pytest.mark.parametrize("order", ["owner-first", "public-first"])
@pytest.mark.parametrize("users", [1, 7])
def test_one_faction_reduces_to_the_two_curator_map(order, users):
    model = CurationModel(
        public_centre_x=1.5,
        owner_pool=6,
        public_pool=3,
        public_users=users,
        order=order,
        rng=0,
        **SMALL,
    )
    history = [model.p.copy()]
    while model.running:
        model.step()
        history.append(model.p.copy())
    r_o = DiscReward((0.0, 0.0))(model.points)
    r_p = DiscReward((1.5, 0.0))(model.points)
    rounds = SMALL["max_rounds"]
    expected = iterate_two_curator(model.p0, r_o, r_p, 0.5, 0.5, 6, 3, rounds, order)
    np.testing.assert_allclose(np.array(history), expected, rtol=1e-12, atol=1e-300)
    table = model.history()  # round 0 (the initial state), then every round
    assert table["round"].tolist() == list(range(rounds + 1))
    for t in (0, 1, rounds):
        assert table["owner_distance"][t] == pytest.approx(
            mean_distance(expected[t], model.points, (0, 0)), rel=1e-12
        )
        assert table["public_distance"][t] == pytest.approx(
            mean_distance(expected[t], model.points, (1.5, 0)), rel=1e-12
        )
        assert table["entropy"][t] == pytest.approx(entropy(expected[t]), rel=1e-12)


def test_first_round_by_hand():
    model = CurationModel(public_centre_x=3.0, rng=0, **SMALL)
    p = model.p0
    q = p * bt_weight(p, model.owner_reward(model.points), 0.5, 10)
    q /= q.sum()
    expected = q * bt_weight(q, DiscReward((3.0, 0.0))(model.points), 0.5, 4)
    model.step()
    np.testing.assert_allclose(model.p, expected / expected.sum(), rtol=1e-12)
    np.testing.assert_allclose(model.released, q, rtol=1e-12)


def test_several_factions_mix_their_kept_laws_by_weight():
    factions = [
        {"name": "near", "centre": [1.5, 0.0], "pool": 4, "share": 3.0},
        {
            "name": "far",
            "centre": [-3.0, 0.0],
            "pool": 2,
            "share": 1.0,
            "activity": 2.0,
            "temperature": 1.0,
        },
    ]
    model = CurationModel(factions=factions, public_users=4, rng=0, **SMALL)
    assert [u.faction_name for u in model.public] == ["near", "near", "near", "far"]
    np.testing.assert_allclose(model.faction_weights(), [3.0, 2.0])
    q = model.p0 * bt_weight(model.p0, model.owner_reward(model.points), 0.5, 10)
    q /= q.sum()
    kept = []
    for f in factions:
        h = bt_weight(
            q, DiscReward(tuple(f["centre"]))(model.points), f.get("temperature", 0.5), f["pool"]
        )
        kept.append(q * h)
    expected = 0.6 * kept[0] + 0.4 * kept[1]
    model.step()
    np.testing.assert_allclose(model.p, expected / expected.sum(), rtol=1e-12)
    row = model.results().iloc[-1]
    for column in (
        "near_distance",
        "far_satisfaction",
        "mass_outside_target_far",
        "influence_near",
    ):
        assert np.isfinite(row[column])
    assert row["influence_owner"] + row["influence_near"] + row["influence_far"] == pytest.approx(
        1.0
    )
    assert model.regimes == ["partial", "disjoint"]


def test_identical_factions_behave_as_one():
    one = CurationModel(public_centre_x=1.5, rng=0, **SMALL)
    two = CurationModel(
        factions=[
            {"name": "a", "centre": [1.5, 0]},
            {"name": "b", "centre": [1.5, 0], "share": 2.0},
        ],
        public_users=3,
        rng=0,
        **SMALL,
    )
    run(one)
    run(two)
    assert total_variation(one.p, two.p) < 1e-12


def test_running_stops_at_the_round_limit():
    rounds = SMALL["max_rounds"]
    model = CurationModel(public_centre_x=3.0, rng=0, **SMALL)
    for _ in range(rounds - 1):
        model.step()
        assert model.running and model.status == "running"
    model.step()
    assert not model.running
    assert model.steps == rounds and model.time == rounds
    summary = model.summary()
    assert summary["status"] == "round-limit" and summary["rounds"] == rounds
    assert len(model.results()) == rounds  # one row per round run, row 0 is round 1
    assert model.results()["round"].tolist() == list(range(1, rounds + 1))


def test_a_grid_run_stops_once_it_has_converged():
    model = CurationModel(grid_size=41, max_rounds=100, rng=0)  # perfect alignment
    model.run_model()
    table = model.results()
    assert model.status == "converged" and model.summary()["status"] == "converged"
    assert 1 < model.steps < 100 and len(table) == model.steps == model.summary()["rounds"]
    change = table["change"].to_numpy()
    assert change[-1] < CONVERGENCE_TOLERANCE <= change[-2]  # stopped at the first such round


def test_tolerance_zero_plays_every_round_and_a_bad_tolerance_is_refused():
    stopped = CurationModel(grid_size=41, max_rounds=30, rng=0)
    played = CurationModel(grid_size=41, max_rounds=30, tolerance=0.0, rng=0)
    stopped.run_model()
    played.run_model()
    assert stopped.status == "converged" and stopped.steps < 30
    assert played.status == "round-limit" and len(played.results()) == 30
    # the rounds both played are the same rounds
    pd.testing.assert_frame_equal(stopped.results(), played.results().iloc[: stopped.steps])
    for bad in (-1e-3, float("nan"), "small"):
        with pytest.raises(InputError) as err:
            CurationModel(tolerance=bad)
        assert err.value.field == "tolerance"


def test_the_initial_state_is_a_record_of_the_model_not_a_row():
    model = CurationModel(public_centre_x=1.5, rng=0, **SMALL)
    initial = model.initial_record
    assert initial["round"] == 0 and np.isnan(initial["change"])
    assert initial["owner_distance"] == pytest.approx(
        mean_distance(model.p0, model.points, (0.0, 0.0)), rel=1e-12
    )
    assert model.results().empty
    model.step()
    assert model.results()["round"].tolist() == [1]
    assert model.history().iloc[0].to_dict() == pytest.approx(initial, nan_ok=True)


def test_sampled_runs_reach_their_round_limit():
    model = CurationModel(fidelity="sampled", max_rounds=3, owner_keep=30, public_keep=12, rng=1)
    model.run_model()
    assert model.status == "round-limit" and len(model.results()) == 3


def test_every_keyword_is_declared_and_checked():
    keywords = set(inspect.signature(CurationModel).parameters)
    assert keywords == set(CurationParams.model_fields)
    with pytest.raises(TypeError):
        CurationModel("grid")  # keywords only


def test_agents_are_mesa_agents_with_their_own_parameters():
    model = CurationModel(
        public_users=5, public_pool=3, public_temperature=0.7, public_centre_x=1.5, rng=0, **SMALL
    )
    users = list(model.public)
    assert len(users) == 5 and all(
        isinstance(u, PublicUser) and isinstance(u, mesa.Agent) for u in users
    )
    assert {u.pool for u in users} == {3} and {u.temperature for u in users} == {0.7}
    assert sum(u.share for u in users) == pytest.approx(1.0)
    model.step()
    assert users[0].satisfaction == model.metrics["public_satisfaction"]
    assert users[0].mean_distance == model.metrics["public_distance"]


@pytest.mark.parametrize("fidelity", ["grid", "sampled"])
def test_same_seed_same_table(fidelity):
    kwargs = {
        "fidelity": fidelity,
        "public_centre_x": 3.0,
        "public_users": 3,
        "max_rounds": 6,
        "grid_size": 41,
    }
    a = run(CurationModel(rng=42, **kwargs))
    b = run(CurationModel(rng=42, **kwargs))
    pd.testing.assert_frame_equal(a, b)
    if fidelity == "sampled":
        c = run(CurationModel(rng=43, **kwargs))
        assert not a.equals(c)


def test_sampled_round_sizes_and_data_growth():
    model = CurationModel(
        fidelity="sampled", public_users=4, max_rounds=3, owner_keep=30, public_keep=12, rng=1
    )
    assert model.data.shape == (1000, 2)
    assert np.all((model.data >= -5) & (model.data <= 5))
    model.step()
    assert model.released.shape == (30, 2) and model.output.shape == (12, 2)
    assert model.data.shape == (1012, 2)
    assert sum(u.assigned for u in model.public) == 12
    first = CurationModel(
        fidelity="sampled", order="public-first", max_rounds=2, owner_keep=30, public_keep=12, rng=1
    )
    first.step()
    assert first.released.shape == (12, 2) and first.output.shape == (30, 2)
    assert first.data.shape == (1030, 2)


def test_sampled_mix_of_one_returns_original_points():
    model = CurationModel(fidelity="sampled", public_centre_x=3.0, mix=1.0, max_rounds=2, rng=2)
    model.step()
    original = {tuple(x) for x in model.original}
    assert all(tuple(x) in original for x in model.output)


def test_grid_mix_keeps_original_support():
    model = CurationModel(public_centre_x=3.0, mix=0.2, rng=0, **SMALL)
    run(model)
    assert model.p.min() >= 0.2 * model.p0.min() * (1 - 1e-12)
    assert model.metrics["support_size"] == model.points.shape[0]


def test_batch_run_sweeps_the_model():
    method = multiprocessing.get_start_method(allow_none=True)
    try:
        results = mesa.batch_run(
            CurationModel,
            parameters={
                "public_centre_x": [0.0, 3.0],
                "grid_size": 41,
                "max_rounds": 5,
                "factions": [None, [{"name": "left", "centre": [-1.5, 0.0]}]],
            },
            rng=[0],
            max_steps=50,
            data_collection_period=-1,
            display_progress=False,
        )
    finally:
        multiprocessing.set_start_method(method, force=True)
    assert len(results) == 4
    for row in results:
        assert row["Step"] == 5 and row["round"] == 5
    direct = run(CurationModel(public_centre_x=3.0, grid_size=41, max_rounds=5, rng=0)).iloc[-1]
    swept = next(r for r in results if r["public_centre_x"] == 3.0 and r["factions"] is None)
    assert swept["public_distance"] == direct["public_distance"]
    assert any("left_distance" in r for r in results)
