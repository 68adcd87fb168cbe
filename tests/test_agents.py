"""The Mesa side: agents, registries, the per-agent path and custom agent types."""

import mesa
import numpy as np
import pandas as pd
import pytest
from mesa.experimental.mesa_signals.signal_types import ModelSignals

from platform_abm.common import data
from platform_abm.common.errors import InputError
from platform_abm.platform.agents import AGENT_REPORTERS, UserAgent, add_users
from platform_abm.platform.model import PlatformModel


def _model(**kwargs):
    pop = data.gaussian_population(600, 4, seed=3)
    params = dict(
        population=pop,
        strategic_features=(0, 2),
        levels=(0.1, 0.3, 0.3, 0.3),
        epsilon=0.8,
        epsilon_distribution="lognormal",
        epsilon_sigma=0.6,
        max_rounds=6,
        tolerance=1e-300,
        rng=11,
    )
    params.update(kwargs)
    return PlatformModel(**params)


def test_vectorised_and_per_agent_paths_give_identical_trajectories():
    fast, naive = _model(), _model(vectorised=False)
    for _ in range(6):
        fast.step()
        naive.step()
        np.testing.assert_array_equal(fast.X, naive.X)
        np.testing.assert_array_equal(fast.theta, naive.theta)
    assert fast.results().equals(naive.results())


def test_model_arrays_stay_column_major_through_rounds():
    # The learner's passes over the data are 2-3x faster on column-major arrays;
    # a copy or a write that silently switched the layout would undo that.
    model = _model()
    for _ in range(3):
        model.step()
    assert model.X_base.flags.f_contiguous and model.X.flags.f_contiguous
    assert model._scratch is not None and model._scratch.flags.f_contiguous


def test_every_user_is_a_registered_mesa_agent():
    model = _model()
    assert len(model.agents) == len(model.agents_by_type[UserAgent]) == 600
    ids = sorted(agent.unique_id for agent in model.agents)
    assert ids == list(range(ids[0], ids[0] + 600))
    rows = sorted(agent.row for agent in model.agents)
    assert rows == list(range(600))
    agent = model.agents.select(lambda a: a.row == 123).to_list()[0]
    assert agent.level == model.levels[123]
    np.testing.assert_array_equal(agent.base_features, model.X_base[123])
    counts = np.bincount([a.level for a in model.agents])
    np.testing.assert_array_equal(counts, [60, 180, 180, 180])
    # Mesa's own operations work on the bulk-registered agents
    assert len(model.agents.select(lambda a: a.level == 2)) == 180
    agent.remove()
    assert len(model.agents) == 599


def test_agents_created_while_someone_observes_additions_are_all_announced():
    class Recorder:
        def __init__(self):
            self.seen = []

        def record(self, signal):
            self.seen.append(signal)

    model, recorder = mesa.Model(rng=0), Recorder()
    model.observe("agents", ModelSignals.AGENT_ADDED, recorder.record)
    add_users(model, 50)
    assert len(recorder.seen) == 50
    assert sorted(a.row for a in model.agents) == list(range(50))


def test_custom_agent_types_are_stepped_individually():
    class Auditor(mesa.Agent):
        def __init__(self, model):
            super().__init__(model)
            self.seen = []

        def step(self):
            self.seen.append(float(np.linalg.norm(self.model.theta)))

    model = _model()
    auditor = Auditor(model)
    for _ in range(3):
        model.step()
    assert len(auditor.seen) == 3
    assert model.steps == 3 and model.time == 3


def _collective_table():
    return {
        "name": "c",
        "members": {"fraction": 0.1},
        "strategy": {"family": "shift", "features": [0, 2], "eta": [0.4, 0.4]},
        "utility": {"kind": "target-model", "theta": [0.0] * 5},
        "solver": {"kind": "fixed", "selfish": "none"},
    }


def test_no_per_agent_data_unless_asked_for():
    model = _model()
    model.step()
    assert model.agent_results() is None
    assert not model.datacollector.agent_reporters


def test_sampled_agent_data_is_a_fixed_panel_with_each_users_values():
    model = _model(agent_sample=40, collectives=(_collective_table(),))
    for _ in range(3):
        model.step()
    table = model.agent_results()
    assert list(table["round"].unique()) == [1, 2, 3]
    panels = [set(group["AgentID"]) for _, group in table.groupby("round")]
    assert len(panels[0]) == 40 and panels[0] == panels[1] == panels[2]
    last = table[table["round"] == 3]
    rows = last["row"].to_numpy()
    theta = model.theta
    X, X_base = model.X[rows], model.X_base[rows]
    np.testing.assert_allclose(last["score"], X @ theta, rtol=1e-12)
    np.testing.assert_allclose(last["moved"], np.linalg.norm(X - X_base, axis=1), atol=1e-12)
    users = last["collective"].isna().to_numpy()
    assert users.any() and (~users).any()  # the sample holds members and non-members
    eps = model.epsilon[rows[users]]
    lq = -(X[users] @ theta) - np.sum((X[users] - X_base[users]) ** 2, axis=1) / (2 * eps)
    np.testing.assert_allclose(last["utility"][users], lq, rtol=1e-12)
    members = np.full((~users).sum(), -np.sum(theta**2))  # target model, θ_target = 0
    np.testing.assert_allclose(last["utility"][~users], members, rtol=1e-12)


def test_panel_columns_match_mesas_per_agent_path():
    # The default reporters compute the whole sample in one call per column;
    # the same reporters by attribute name go through Mesa's per-agent path.
    by_name = {name: name for name in AGENT_REPORTERS}
    panel = _model(agent_sample=30, collectives=(_collective_table(),))
    per_agent = _model(agent_sample=30, collectives=(_collective_table(),), agent_reporters=by_name)
    for _ in range(2):
        panel.step()
        per_agent.step()
    table = panel.agent_results()
    assert table["collective"].notna().any()
    pd.testing.assert_frame_equal(table, per_agent.agent_results(), check_exact=False, rtol=1e-13)


def test_user_utilities_agree_with_the_recorded_group_means():
    model = _model(collectives=(_collective_table(),))
    model.step()
    for level, rows in model.level_slices.items():
        values = model.user_utilities(np.arange(rows.start, rows.stop))
        assert abs(values.mean() - model.round_record[f"utility_level_{level}"]) < 1e-12
    block = model.collective_slices[0]
    values = model.user_utilities(np.arange(block.start, block.stop))
    assert abs(values.mean() - model.round_record["utility_c"]) < 1e-12


def test_sampling_agents_does_not_change_the_run():
    plain, sampled = _model(), _model(agent_sample=25)
    assert plain.rng.bit_generator.state == sampled.rng.bit_generator.state
    for _ in range(4):
        plain.step()
        sampled.step()
        np.testing.assert_array_equal(plain.theta, sampled.theta)
    assert plain.results().equals(sampled.results())


def test_agent_table_before_any_round_is_empty_not_an_error():
    table = _model(agent_sample=5).agent_results()
    assert table.empty and {"round", "AgentID", "utility"} <= set(table.columns)


def test_agent_reporters_without_a_sample_are_refused():
    with pytest.raises(InputError, match="^agent_sample: got 0; allowed: at least 1"):
        _model(agent_reporters={"level": "level"})


def test_agent_sample_out_of_range_is_refused():
    for bad in (-1, 601, 2.5, True):
        with pytest.raises(InputError, match="^agent_sample: got"):
            _model(agent_sample=bad)
