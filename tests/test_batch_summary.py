import math

import numpy as np
import pandas as pd
import pytest

from platform_abm.batch.plot import plot_sweep, resolve_column
from platform_abm.batch.summary import aggregate
from platform_abm.common.errors import InputError


def t_quantile_2_dof(p):
    """Student t quantile with 2 degrees of freedom (closed form)."""
    return (2 * p - 1) / math.sqrt(2 * p * (1 - p))


T_975_2 = t_quantile_2_dof(0.975)
T_950_2 = t_quantile_2_dof(0.95)


def _table():
    table = pd.DataFrame(
        {
            "run_key": ["a", "b", "c", "d", "e"],
            "replicate": [0, 1, 2, 0, 1],
            "seed": [10, 11, 12, 13, 14],
            "status": ["converged"] * 5,
            "users.epsilon": [0.5, 0.5, 0.5, 1.0, 1.0],
            "utility": [1.0, 2.0, 3.0, 5.0, np.nan],
            "accuracy": [0.7, 0.7, 0.7, 0.9, 0.8],
        }
    )
    table.attrs["parameters"] = ["users.epsilon"]
    return table


def test_mean_std_and_t_interval_per_point():
    summary = aggregate(_table()).set_index(["users.epsilon", "metric"])
    assert list(summary.columns) == ["n", "n_diverged", "mean", "std", "ci_low", "ci_high"]
    assert (summary["n_diverged"] == 0).all()
    row = summary.loc[(0.5, "utility")]
    assert row["n"] == 3 and row["mean"] == 2.0 and row["std"] == 1.0
    half = T_975_2 / math.sqrt(3)
    assert row["ci_low"] == pytest.approx(2.0 - half, rel=1e-12)
    assert row["ci_high"] == pytest.approx(2.0 + half, rel=1e-12)
    single = summary.loc[(1.0, "utility")]  # the NaN run does not count
    assert single["n"] == 1 and single["mean"] == 5.0
    assert np.isnan(single["std"]) and np.isnan(single["ci_low"])
    assert summary.loc[(0.5, "accuracy"), "std"] == pytest.approx(0.0, abs=1e-15)
    assert summary.index.get_level_values("metric").unique().tolist() == ["utility", "accuracy"]
    narrower = aggregate(_table(), metrics=["utility"], level=0.9).iloc[0]
    assert narrower["ci_high"] == pytest.approx(2.0 + T_950_2 / math.sqrt(3), rel=1e-12)


def test_diverged_runs_are_left_out_of_the_means_and_counted_per_point():
    table = _table()
    diverged = pd.DataFrame(
        {
            "run_key": ["f", "g", "h"],
            "replicate": [3, 0, 1],
            "seed": [15, 16, 17],
            "status": ["diverged"] * 3,
            "users.epsilon": [0.5, 2.0, 2.0],
            # a value recorded before it diverged: it must not reach the mean
            "utility": [100.0, np.nan, np.nan],
            "accuracy": [0.1, np.nan, np.nan],
        }
    )
    mixed = pd.concat([table, diverged], ignore_index=True)
    mixed.attrs["parameters"] = ["users.epsilon"]
    summary = aggregate(mixed).set_index(["users.epsilon", "metric"])
    row = summary.loc[(0.5, "utility")]
    assert row["n"] == 3 and row["mean"] == 2.0 and row["n_diverged"] == 1  # not 26.75
    assert summary.loc[(1.0, "utility"), "n_diverged"] == 0
    everyone = summary.loc[(2.0, "utility")]  # a point whose runs all diverged
    assert everyone["n"] == 0 and everyone["n_diverged"] == 2 and np.isnan(everyone["mean"])
    # Given separately (as a results folder gives them), the same counts.
    apart = aggregate(table, diverged=diverged[["run_key", "users.epsilon"]])
    pd.testing.assert_frame_equal(apart, summary.reset_index(), check_like=True)


def test_per_round_tables_group_by_round_too():
    table = pd.DataFrame(
        {
            "run_key": ["a", "a", "b", "b"],
            "replicate": [0, 0, 1, 1],
            "seed": [1, 1, 2, 2],
            "x.y": [1, 1, 1, 1],
            "round": [1, 2, 1, 2],
            "drift": [1.0, 0.5, 3.0, 1.5],
        }
    )
    table.attrs["parameters"] = ["x.y"]
    summary = aggregate(table)
    assert list(summary["round"]) == [1, 2] and list(summary["mean"]) == [2.0, 1.0]
    assert set(summary["metric"]) == {"drift"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"metrics": ["status"]}, "metrics"),
        ({"metrics": ["nothing"]}, "metrics"),
        ({"by": ["nothing"]}, "by"),
        ({"level": 1.0}, "level"),
    ],
)
def test_bad_summary_options_name_the_option(kwargs, field):
    with pytest.raises(InputError) as info:
        aggregate(_table(), **kwargs)
    assert info.value.field == field


def test_a_table_without_parameter_names_needs_by():
    table = _table()
    table.attrs.clear()
    with pytest.raises(InputError) as info:
        aggregate(table)
    assert info.value.field == "by"
    assert len(aggregate(table, by=["users.epsilon"], metrics=["utility"])) == 2


def test_columns_resolve_by_their_last_dotted_part():
    table = pd.DataFrame(columns=["collectives.0.alpha", "users.epsilon", "utility", "a.x", "b.x"])
    assert resolve_column(table, "alpha", "--x") == "collectives.0.alpha"
    assert resolve_column(table, "users.epsilon", "--x") == "users.epsilon"
    with pytest.raises(InputError, match="one of"):
        resolve_column(table, "x", "--hue")
    with pytest.raises(InputError) as info:
        resolve_column(table, "beta", "--y")
    assert info.value.field == "--y"


def test_plot_writes_a_png(tmp_path):
    table = _table()
    table["users.levels"] = ['{"1":1.0}', '{"2":1.0}'] * 2 + ['{"1":1.0}']
    table.attrs["parameters"] = ["users.epsilon", "users.levels"]
    out = plot_sweep(table, x="epsilon", y="utility", hue="levels", out=tmp_path / "p.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InputError, match="out"):
        plot_sweep(table, x="epsilon", y="utility")
