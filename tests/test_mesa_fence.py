"""The fence around the bulk agent registration: it must give what Mesa's own paths give.

:func:`~platform_abm.platform.agents.add_users` registers users by writing
Mesa's private registries directly. These tests build the same model three
ways (bulk, Mesa's ``Agent.create_agents`` and one ``UserAgent(model, row)`` per
user) and check that nothing Mesa offers tells them apart: ids, ``model.agents``,
``agents_by_type``, AgentSet operations, removal, DataCollector agent reporters
and the rounds themselves. The Mesa version range in ``pyproject.toml`` is the
range these tests passed on; a new Mesa minor release must pass them to widen it.
"""

import mesa
import numpy as np
import pandas as pd
import pytest

import platform_abm.platform.model as model_module
from platform_abm.common import data
from platform_abm.platform.agents import UserAgent

N = 400


def _create_agents(model, n):
    UserAgent.create_agents(model, n, row=list(range(n)))


def _one_by_one(model, n):
    for row in range(n):
        UserAgent(model, row)


def _build(**kwargs):
    return model_module.PlatformModel(
        population=data.gaussian_population(N, 3, seed=5),
        strategic_features=(0, 1),
        levels=(0.2, 0.4, 0.4),
        max_rounds=4,
        tolerance=1e-300,
        rng=9,
        **kwargs,
    )


@pytest.fixture(params=[_create_agents, _one_by_one], ids=["create_agents", "per-agent"])
def pair(request, monkeypatch):
    """(bulk-registered model, the same model registered through one of Mesa's paths)."""

    def build(**kwargs):
        bulk = _build(**kwargs)
        with monkeypatch.context() as patch:
            patch.setattr(model_module, "add_users", request.param)
            mesa_built = _build(**kwargs)
        return bulk, mesa_built

    return build


def _summary(agents):
    return [(type(a).__name__, a.unique_id, a.row) for a in agents]


def test_ids_registries_and_agent_state_are_the_same(pair):
    bulk, reference = pair()
    assert _summary(bulk.agents) == _summary(reference.agents)
    assert [a.unique_id for a in bulk.agents] == list(range(1, N + 1))
    assert bulk.agent_id_counter == reference.agent_id_counter == N + 1
    assert bulk.agent_types == reference.agent_types == [UserAgent]
    assert set(bulk.agents_by_type) == set(reference.agents_by_type) == {UserAgent}
    assert _summary(bulk.agents_by_type[UserAgent]) == _summary(reference.agents_by_type[UserAgent])
    for mine, theirs in zip(bulk.agents, reference.agents, strict=True):
        assert mine.model is bulk and theirs.model is reference
        assert vars(mine).keys() == vars(theirs).keys()
        assert (mine.pos, mine.row) == (theirs.pos, theirs.row)
    # A later agent continues the numbering in both.
    assert UserAgent(bulk, 0).unique_id == UserAgent(reference, 0).unique_id == N + 1


def test_agentset_operations_give_the_same_answers(pair):
    bulk, reference = pair()
    assert type(bulk.agents) is type(reference.agents)
    assert type(bulk.agents_by_type[UserAgent]) is type(reference.agents_by_type[UserAgent])
    level_2 = [_summary(m.agents.select(lambda a: a.level == 2)) for m in (bulk, reference)]
    assert level_2[0] == level_2[1] and len(level_2[0]) == 160
    first = [m.agents.select(at_most=10).get("row") for m in (bulk, reference)]
    assert first[0] == first[1]
    assert bulk.agents.agg("epsilon", np.mean) == reference.agents.agg("epsilon", np.mean)
    assert bulk.agents.get(["row", "level"]) == reference.agents.get(["row", "level"])
    groups = [m.agents.groupby("level").count() for m in (bulk, reference)]
    assert groups[0] == groups[1] == {0: 80, 1: 160, 2: 160}
    means = [m.agents.groupby("level").agg("epsilon", np.mean) for m in (bulk, reference)]
    assert means[0] == means[1]
    orders = []
    for model in (bulk, reference):
        seen = []
        model.agents.shuffle_do(lambda a, seen=seen: seen.append(a.unique_id))
        orders.append(seen)
    assert orders[0] == orders[1] and sorted(orders[0]) == list(range(1, N + 1))
    sorted_rows = [m.agents.sort("epsilon", ascending=True).get("row") for m in (bulk, reference)]
    assert sorted_rows[0] == sorted_rows[1]


def test_removing_an_agent_updates_both_registries_alike(pair):
    bulk, reference = pair()
    for model in (bulk, reference):
        agent = model.agents.select(lambda a: a.row == 17).to_list()[0]
        agent.remove()
        assert len(model.agents) == len(model.agents_by_type[UserAgent]) == N - 1
        assert 17 not in model.agents.get("row")
    assert _summary(bulk.agents) == _summary(reference.agents)


def test_datacollector_agent_reporters_give_the_same_table(pair):
    bulk, reference = pair()
    tables = []
    for model in (bulk, reference):
        collector = mesa.DataCollector(
            agent_reporters={"row": "row", "level": "level", "eps": "epsilon", "u": "utility"}
        )
        collector.collect(model)
        model.step()
        collector.collect(model)
        tables.append(collector.get_agent_vars_dataframe())
    assert len(tables[0]) == 2 * N
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)


@pytest.mark.parametrize("vectorised", [True, False])
def test_the_rounds_are_the_same(pair, vectorised):
    bulk, reference = pair(vectorised=vectorised, agent_sample=6)
    for model in (bulk, reference):
        model.run_model()
    pd.testing.assert_frame_equal(bulk.results(), reference.results(), check_exact=True)
    pd.testing.assert_frame_equal(bulk.agent_results(), reference.agent_results(), check_exact=True)
