"""The usual sweep plot: a metric against a parameter, one line per value of another.

Each line is the mean over the runs of each point, with its confidence interval
shaded (see :mod:`platform_abm.batch.summary`). When the table holds every
round and ``x`` is not ``round``, each run contributes its last round.
Parameters that vary but are neither ``x`` nor ``hue`` are pooled, and the
title says so. Diverged runs are left out of the means, and the title says how
many were.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from platform_abm.batch.summary import aggregate, per_round, split_diverged
from platform_abm.common.errors import InputError
from platform_abm.common.results import save_figure


def resolve_column(table: pd.DataFrame, name: str, option: str) -> str:
    """Find a column by its full name, or by the last part of a dotted parameter path.

    ``alpha`` finds ``collectives.0.alpha`` and ``epsilon`` finds ``users.epsilon``
    when exactly one column ends that way.

    Args:
        table: The sweep table.
        name: The name given.
        option: The option it came from (for the error message).

    Returns:
        The column name.

    Raises:
        InputError: When no column, or more than one, matches.
    """
    if name in table.columns:
        return name
    matches = [c for c in table.columns if str(c).rsplit(".", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    allowed = f"one of {matches}" if matches else f"a column of the table {list(table.columns)}"
    raise InputError(option, name, allowed)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def sweep_figure(
    table: pd.DataFrame,
    x: str,
    y: str,
    hue: str | None = None,
    level: float = 0.95,
    logx: bool = False,
    logy: bool = False,
    diverged: pd.DataFrame | None = None,
) -> Figure:
    """Draw ``y`` against ``x`` (one line per ``hue`` value) with confidence bands.

    Args:
        table: A sweep table (see :func:`~platform_abm.batch.runner.run_sweep`).
        x: Column on the horizontal axis (a parameter, or ``round``).
        y: Numeric column on the vertical axis.
        hue: Column whose values get one line each, or None.
        level: Confidence level of the bands.
        logx: Logarithmic horizontal axis.
        logy: Logarithmic vertical axis.
        diverged: Diverged runs beyond those the table marks (see
            :func:`~platform_abm.batch.summary.aggregate`), counted in the title.

    Returns:
        The figure.

    Raises:
        InputError: For unknown or unusable columns.
    """
    x = resolve_column(table, x, "--x")
    y = resolve_column(table, y, "--y")
    hue = resolve_column(table, hue, "--hue") if hue is not None else None
    if x == y or (hue is not None and hue in (x, y)):
        raise InputError("--hue" if hue in (x, y) else "--y", y, "columns different from --x")
    if per_round(table) and x != "round":
        table = table.groupby("run_key", sort=False).tail(1)
    by = [x] if hue is None else [hue, x]
    summary = aggregate(table, by=by, metrics=[y], level=level, diverged=diverged)
    summary = summary[summary["n"] > 0]  # a point whose runs all diverged has no mean
    left_out = len(split_diverged(table, diverged)[1])
    numeric_x = pd.api.types.is_numeric_dtype(table[x])
    categories = sorted(table[x].dropna().unique().tolist(), key=str)
    figure = Figure(figsize=(6.4, 4.4))
    axes = figure.subplots()
    groups = summary.groupby(hue, sort=True, dropna=False) if hue else [(None, summary)]
    for value, group in groups:
        xs = group[x].to_numpy() if numeric_x else np.array([categories.index(v) for v in group[x]])
        label = (
            None if hue is None else f"{hue} = {value[0] if isinstance(value, tuple) else value}"
        )
        line = axes.plot(xs, group["mean"], marker="o", label=label)[0]
        axes.fill_between(xs, group["ci_low"], group["ci_high"], color=line.get_color(), alpha=0.2)
    if not numeric_x:
        axes.set_xticks(range(len(categories)), [str(c) for c in categories], rotation=20)
    if logx:
        axes.set_xscale("log")
    if logy:
        axes.set_yscale("log")
    axes.set_xlabel(x)
    axes.set_ylabel(f"{y} (mean, {level:.0%} interval)")
    pooled = [
        name
        for name in table.attrs.get("parameters", [])
        if name in table and name not in (x, hue) and table[name].nunique(dropna=False) > 1
    ]
    title = f"{y} vs {x}"
    if pooled:
        title += f"\n(pooled over {', '.join(pooled)})"
    if left_out:
        title += f"\n({left_out} diverged runs left out)"
    axes.set_title(title, fontsize=10)
    axes.grid(True, alpha=0.3)
    if hue is not None:
        axes.legend(fontsize=8)
    return figure


def plot_sweep(
    results: str | Path | pd.DataFrame,
    x: str,
    y: str,
    hue: str | None = None,
    out: str | Path | None = None,
    level: float = 0.95,
    logx: bool = False,
    logy: bool = False,
) -> Path:
    """Draw a sweep plot and save it as PNG (atomically).

    Args:
        results: A sweep's results folder, or a sweep table.
        x: Column on the horizontal axis (full name or last dotted part).
        y: Numeric column on the vertical axis.
        hue: Column whose values get one line each, or None.
        out: PNG file (default: ``RESULTS/plots/<y>-vs-<x>[-by-<hue>].png``;
            required when ``results`` is a table).
        level: Confidence level of the bands.
        logx: Logarithmic horizontal axis.
        logy: Logarithmic vertical axis.

    Returns:
        The file written.

    Raises:
        InputError: For unknown columns, or a table given without ``out``.
    """
    diverged = None
    if isinstance(results, pd.DataFrame):
        if out is None:
            raise InputError("out", None, "an output file when plotting a table")
        table = results
    else:
        from platform_abm.batch.store import SweepStore

        store = SweepStore.read(results)
        table, diverged = store.load_table(), store.diverged_table()
    if table.empty:
        raise InputError(
            "results", str(results), "a sweep with at least one completed, not diverged run"
        )
    figure = sweep_figure(table, x, y, hue, level, logx, logy, diverged)
    if out is None:
        stem = f"{_safe(y)}-vs-{_safe(x)}" + (f"-by-{_safe(hue)}" if hue else "")
        out = Path(results) / "plots" / f"{stem}.png"
    save_figure(figure, out)
    return Path(out)
