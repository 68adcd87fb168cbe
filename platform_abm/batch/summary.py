"""Summaries of a sweep: mean, standard deviation and a 95% interval per parameter point.

The interval is Student's t confidence interval of the mean over the runs of a
point (its replicates): ``mean ± t_{(1+level)/2, n−1} · std / √n``, with the
sample standard deviation (``ddof = 1``). Points with a single run have no
standard deviation or interval (NaN).

Runs that diverged are left out of every statistic: ``n_diverged`` says how
many runs of each point were left out (a point whose runs all diverged appears
with ``n = 0``). They are recognised by their ``status`` column (``diverged``)
in the table, or given separately (a results folder gives them itself; see
:meth:`~platform_abm.batch.store.SweepStore.diverged_table`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from platform_abm.common.errors import InputError

RUN_COLUMNS = ("run_key", "replicate", "seed")
SUMMARY_COLUMNS = ("metric", "n", "n_diverged", "mean", "std", "ci_low", "ci_high")
DIVERGED = "diverged"


def split_diverged(
    results: pd.DataFrame | str | Path, diverged: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows to summarise and the diverged runs (one row each) of a table or results folder.

    Args:
        results: A sweep table or a sweep's results folder.
        diverged: Further diverged runs (see :func:`aggregate`).

    Returns:
        The table without the rows of diverged runs, and one row per diverged run.
    """
    if isinstance(results, pd.DataFrame):
        table = results
    else:
        from platform_abm.batch.store import SweepStore

        store = SweepStore.read(results)
        table = store.load_table()
        diverged = store.diverged_table() if diverged is None else diverged
    frames = [] if diverged is None else [diverged]
    if "status" in table:
        mask = (table["status"] == DIVERGED).to_numpy()
        if mask.any():
            frames.append(table[mask])
            attrs = dict(table.attrs)
            table = table[~mask].reset_index(drop=True)
            table.attrs.update(attrs)
    frames = [f for f in frames if len(f)]
    runs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["run_key"])
    if "run_key" in runs:
        runs = runs.drop_duplicates("run_key")
    return table, runs


def _diverged_counts(runs: pd.DataFrame, point: list[str]) -> dict[tuple[Any, ...], int]:
    """Diverged runs per point (the point's values as a tuple)."""
    if runs.empty:
        return {}
    if not point:
        return {(): len(runs)}
    if any(name not in runs for name in point):
        return {}
    sizes = runs.groupby(point, dropna=False, sort=False).size()
    return {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in sizes.items()}


def per_round(table: pd.DataFrame) -> bool:
    """Whether a sweep table holds several rows (rounds) per run."""
    return bool("run_key" in table and len(table) and table["run_key"].duplicated().any())


def default_by(table: pd.DataFrame) -> list[str]:
    """The parameter columns of a sweep table, and ``round`` when it holds every round.

    Args:
        table: A table from :func:`~platform_abm.batch.runner.run_sweep` or
            :func:`~platform_abm.batch.runner.load_results`.

    Returns:
        The grouping columns.

    Raises:
        InputError: When the table does not name its parameter columns.
    """
    names = table.attrs.get("parameters")
    if names is None:
        raise InputError(
            "by", None, "the columns to group by (this table does not name its parameters)"
        )
    by = [name for name in names if name in table]
    if per_round(table) and "round" in table:
        by.append("round")
    return by


def aggregate(
    results: pd.DataFrame | str | Path,
    by: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    level: float = 0.95,
    diverged: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Mean, standard deviation and confidence interval of each metric per parameter point.

    Args:
        results: A sweep table, or a sweep's results folder. Rows whose
            ``status`` is ``diverged`` are left out of the statistics and counted.
        by: Columns defining a point (default: the sweep's parameters, plus
            ``round`` when the table holds every round).
        metrics: Numeric columns to summarise (default: every numeric column
            except the grouping and run columns).
        level: Confidence level of the interval, in (0, 1).
        diverged: Further diverged runs, one row each with their parameter
            columns (default: none for a table; a folder's own).

    Returns:
        A long table: the ``by`` columns, then ``metric``, ``n`` (runs with a
        value), ``n_diverged`` (runs of the point left out because they
        diverged), ``mean``, ``std``, ``ci_low`` and ``ci_high``; sorted by
        point, metrics in table order.

    Raises:
        InputError: For an unknown column, a non-numeric metric or a level
            outside (0, 1).
    """
    table, diverged_runs = split_diverged(results, diverged)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise InputError("level", level, "a number strictly between 0 and 1")
    by = list(by) if by is not None else default_by(table)
    for name in by:
        if name not in table:
            raise InputError("by", name, f"columns of the table {list(table.columns)}")
    if metrics is None:
        skip = {*by, *RUN_COLUMNS, "round"}
        metrics = [
            c
            for c in table.columns
            if c not in skip
            and pd.api.types.is_numeric_dtype(table[c])
            and not pd.api.types.is_bool_dtype(table[c])
        ]
    metrics = list(metrics)
    for name in metrics:
        if name not in table or not pd.api.types.is_numeric_dtype(table[name]):
            numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
            raise InputError("metrics", name, f"numeric columns of the table {numeric}")
    keys = by or ["_point"]
    data = table if by else table.assign(_point=0)
    grouped = data.groupby(keys, dropna=False, sort=True)
    frames = []
    for order, metric in enumerate(metrics):
        summary = grouped[metric].agg(["count", "mean", "std"]).reset_index()
        n = summary["count"].to_numpy(dtype=float)
        std = summary["std"].to_numpy(dtype=float)
        critical = np.full(len(summary), np.nan)
        enough = n >= 2
        critical[enough] = stats.t.ppf((1 + level) / 2, n[enough] - 1)
        half = np.full(len(summary), np.nan)
        half[enough] = critical[enough] * std[enough] / np.sqrt(n[enough])
        summary = summary.rename(columns={"count": "n"})
        summary.insert(len(keys), "metric", metric)
        summary["ci_low"] = summary["mean"] - half
        summary["ci_high"] = summary["mean"] + half
        summary["_order"] = order
        frames.append(summary)
    if not frames:
        return pd.DataFrame(columns=[*by, *SUMMARY_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    point = [name for name in by if name != "round"]
    counts = _diverged_counts(diverged_runs, point)
    seen = set(map(tuple, out[point].itertuples(index=False))) if point else {()}
    missing = [values for values in counts if values not in seen]
    if missing:  # points whose runs all diverged: n = 0
        empty = pd.DataFrame([dict(zip(point, values, strict=True)) for values in missing])
        out = pd.concat(
            [out, *(empty.assign(metric=m, n=0, _order=i) for i, m in enumerate(metrics))],
            ignore_index=True,
        )
        if not by:
            out["_point"] = 0
    values = out[point].itertuples(index=False) if point else [()] * len(out)
    out["n_diverged"] = [counts.get(tuple(v), 0) for v in values]
    out = out.sort_values([*keys, "_order"], kind="stable").drop(columns=["_order"])
    if not by:
        out = out.drop(columns=["_point"])
    out["n"] = out["n"].astype(int)
    return out.reset_index(drop=True)[[*by, *SUMMARY_COLUMNS]]
