"""Validation of ``[[collectives]]`` tables and planning a collective (docs/model.md §4)."""

from __future__ import annotations

import numpy as np
import pytest

from platform_abm.common.errors import InputError, SimulationError
from platform_abm.common.learners import ExactLogistic, LeastSquares
from platform_abm.platform.collective import CollectiveSpec, plan_collective
from platform_abm.platform.collective.membership import Condition, select_members
from platform_abm.platform.user_utility import CallableUtility

NAMES = ["f0", "f1", "f2", "bias"]


def population(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.normal(size=(n, 3)), np.ones((n, 1))])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ np.array([1.0, -0.5, 0.3, -0.2]))))).astype(float)
    return X, y


def table(**over):
    base = {
        "name": "c",
        "members": {"fraction": 0.3},
        "strategy": {"family": "shift", "features": ["f1"]},
        "utility": {"kind": "loss-alignment", "lambda": 0.5},
        "solver": {"kind": "stackelberg", "selfish": "none"},
    }
    for key, value in over.items():
        if value is None:
            base.pop(key)
        else:
            base[key] = value
    return base


def error(data, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        CollectiveSpec.from_dict(data, "collectives[0]", **kwargs)
    return info.value


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5, float("nan"), "half", True])
def test_fraction_outside_unit_interval(fraction):
    err = error(table(members={"fraction": fraction}))
    assert err.field == "collectives[0].members.fraction"
    assert err.value == fraction or fraction != fraction
    assert "(0, 1]" in err.allowed


def test_empty_collective():
    assert error(table(members={"ids": []})).field == "collectives[0].members.ids"
    data = table()
    data["members"] = {}
    assert error(data).field == "collectives[0].members"
    X, y = population()
    spec = CollectiveSpec.from_dict(
        table(members={"condition": {"target": "f0", "op": ">", "value": 99.0}}), "collectives[0]"
    )
    with pytest.raises(InputError, match="at least one user"):
        spec.members.select(X, y, np.random.default_rng(0), NAMES)


def test_strategy_on_a_non_strategic_feature():
    err = error(table(), strategic=["f0", "f2"], feature_names=NAMES)
    assert err.field == "collectives[0].strategy.features"
    assert err.value == "f1"
    spec = CollectiveSpec.from_dict(table(), "collectives[0]")
    X, y = population()
    with pytest.raises(InputError, match="strategic"):
        plan_collective(spec, ExactLogistic(), X, y, np.arange(50), [0, 2], None, NAMES)


def test_utility_without_the_gradient_it_needs():
    no_theta = CallableUtility(lambda t, X, y, Xb: -X @ t, grad_x=lambda t, X, y, Xb: 0 * X)
    err = error(table(utility={"kind": "callable", "utility": no_theta}))
    assert err.field == "collectives[0].utility.grad_theta"
    no_x = CallableUtility(lambda t, X, y, Xb: -X @ t, grad_theta=lambda t, X, y, Xb: -X)
    err = error(table(utility={"kind": "callable", "utility": no_x}))
    assert err.field == "collectives[0].utility.grad_x"
    assert error(table(utility={"kind": "linear-quadratic"})).field.endswith("utility.epsilon")
    assert error(table(utility={"kind": "target-model"})).field.endswith("utility.theta")


def test_callable_utility_table_rejects_other_keys():
    no_x = CallableUtility(lambda t, X, y, Xb: -X @ t, grad_theta=lambda t, X, y, Xb: -X)
    err = error(table(utility={"kind": "callable", "utility": no_x, "lambda": 1.0}))
    assert err.field == "collectives[0].utility.lambda"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"colour": "red"}, "collectives[0].colour"),
        ({"members": {"fraction": 0.3, "size": 3}}, "collectives[0].members.size"),
        ({"strategy": {"family": "shift", "features": ["f1"], "speed": 1}}, "strategy.speed"),
        ({"utility": {"kind": "loss-alignment", "lamda": 1}}, "utility.lamda"),
        ({"solver": {"kind": "stackelberg", "tol": 1}}, "solver.tol"),
        ({"strategy": {"family": "teleport", "features": ["f1"]}}, "strategy.family"),
        ({"utility": {"kind": "happiness"}}, "utility.kind"),
        ({"solver": {"kind": "magic"}}, "solver.kind"),
        ({"solver": {"kind": "stackelberg", "selfish": "greedy"}}, "solver.selfish"),
        ({"strategy": {"family": "free-edit", "features": ["f1", "f2"]}}, "strategy.features"),
        ({"strategy": {"family": "label-edit", "features": ["f1"]}}, "strategy.features"),
        ({"strategy": {"family": "shift", "features": []}}, "strategy.features"),
        ({"strategy": {"family": "free-edit", "features": ["f1"], "budget": -1}}, "budget"),
        ({"solver": {"kind": "fixed"}}, "solver.kind"),
        ({"members": {"condition": {"target": "label", "op": "~", "value": 1}}}, "condition.op"),
        ({"members": {"ids": [1, -2]}}, "members.ids[1]"),
        ({"members": None}, "collectives[0].members"),
        ({"utility": {"kind": "label-target", "coefficients": [1.0]}}, "utility.kind"),
    ],
)
def test_bad_values_name_their_field(over, field):
    strategy = over.get("strategy")
    data = table(**{k: v for k, v in over.items() if k != "strategy"})
    if strategy is not None:
        data["strategy"] = strategy
    err = error(data)
    assert err.field.endswith(field), err
    assert str(err).startswith(err.field)


def test_select_members_rules():
    X, y = population(200)
    rng = np.random.default_rng(1)
    ones = select_members(200, condition=Condition("label", "==", 1), X=X, y=y)
    np.testing.assert_array_equal(ones, np.flatnonzero(y == 1))
    half = select_members(
        200, fraction=0.5, condition=Condition("label", "==", 1), X=X, y=y, rng=rng
    )
    assert len(half) == round(0.5 * len(ones)) and set(half) <= set(ones)
    again = select_members(
        200,
        fraction=0.5,
        condition=Condition("label", "==", 1),
        X=X,
        y=y,
        rng=np.random.default_rng(1),
    )
    np.testing.assert_array_equal(half, again)
    np.testing.assert_array_equal(select_members(200, ids=[5, 3, 5]), [3, 5])
    with pytest.raises(InputError, match="0..199"):
        select_members(200, ids=[250])


def test_plan_fixed_shift_with_target_model():
    X, y = population(400)
    spec = CollectiveSpec.from_dict(
        {
            "name": "label-1",
            "members": {"condition": {"target": "label", "op": "==", "value": 1}},
            "strategy": {
                "family": "shift",
                "features": [1, 2],
                "direction": "mean-label-0",
                "shared": True,
                "eta": 0.5,
            },
            "utility": {"kind": "target-model", "eta": 0.7, "alpha": 0.6},
            "solver": {"kind": "fixed", "selfish": "best-response"},
        },
        "collectives[0]",
        strategic=[1, 2],
    )
    members = spec.members.select(X, y, np.random.default_rng(0), NAMES)
    plan = plan_collective(spec, ExactLogistic(), X, y, members, [1, 2], np.random.default_rng(0))
    mu = X[y == 0][:, [1, 2]].mean(axis=0)
    np.testing.assert_allclose(plan.X_report[:, [1, 2]], X[members][:, [1, 2]] + 0.5 * mu)
    np.testing.assert_array_equal(plan.X_report[:, [0, 3]], X[members][:, [0, 3]])
    m = plan.metrics
    # The target utility ignores the report, so the selfish users stay truthful: U* is
    # the utility of no manipulation and B compares the plan with it.
    np.testing.assert_array_equal(plan.selfish_params, [0.0])
    assert m["B"] == pytest.approx(m["U"] - m["U_selfish"])
    assert m["alpha"] == pytest.approx(len(members) / len(y))
    assert m["dU_dalpha"] == pytest.approx(-m["psi"] / (1 - m["alpha"]))
    for key in ("phi", "t5_norm", "t5_norm_notebook"):
        assert np.isfinite(m[key])


def test_plan_stackelberg_beats_the_selfish_equilibrium():
    X, y = population(300, seed=3)
    spec = CollectiveSpec.from_dict(
        table(
            strategy={"family": "shift", "features": ["f1"], "budget": 3.0},
            utility={"kind": "loss-alignment", "lambda": 1.0, "sign": -1.0},
            solver={"kind": "stackelberg", "selfish": "best-response"},
        ),
        "collectives[0]",
        strategic=["f1"],
        feature_names=NAMES,
    )
    members = spec.members.select(X, y, np.random.default_rng(2), NAMES)
    plan = plan_collective(
        spec, ExactLogistic(), X, y, members, [1], np.random.default_rng(0), NAMES
    )
    assert plan.metrics["B"] >= -1e-10
    assert len(plan.X_report) == len(members)


def test_non_convergent_inner_solve_is_a_simulation_error():
    X, y = population(200, seed=4)
    spec = CollectiveSpec.from_dict(
        table(
            members={"fraction": 1.0},
            utility={"kind": "loss-alignment", "lambda": 0.0},
            solver={"kind": "stackelberg", "selfish": "best-response"},
        ),
        "collectives[0]",
    )
    with pytest.raises(SimulationError, match="unbounded"):
        plan_collective(
            spec, ExactLogistic(), X, y, np.arange(200), [1], np.random.default_rng(0), NAMES
        )


def test_label_target_needs_a_least_squares_learner():
    X, y = population(100)
    spec = CollectiveSpec.from_dict(
        {
            "members": {"fraction": 1.0},
            "strategy": {"family": "label-edit"},
            "utility": {"kind": "label-target", "coefficients": [0.5, 0, 0, 0.1]},
            "solver": {"kind": "stackelberg", "selfish": "best-response"},
        },
        "collectives[1]",
    )
    with pytest.raises(InputError, match="least-squares"):
        plan_collective(spec, ExactLogistic(), X, y, np.arange(100), [], None)
    plan = plan_collective(spec, LeastSquares(), X, y, np.arange(100), [], None)
    assert plan.metrics["U"] == pytest.approx(0.0, abs=1e-10)
    assert plan.metrics["B"] > 0
