"""The ``sweep``, ``aggregate`` and ``plot`` sub-commands of ``platform-abm``.

:func:`add_commands` registers them on the main parser's sub-parsers. They are
also available on their own as ``python -m platform_abm.batch``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED_RUNS = 1
EXIT_INTERRUPTED = 130
SHOWN_FAILURES = 5


def _cmd_sweep(args: argparse.Namespace) -> int:
    from platform_abm.batch.runner import execute_sweep, plan_sweep
    from platform_abm.batch.store import STATE_DONE, SweepStore

    plan = plan_sweep(args.scenario)
    out = Path(args.out or plan.output_dir or Path("results") / "sweeps" / plan.name)
    try:
        report = execute_sweep(
            plan,
            out,
            backend=args.backend,
            workers=args.workers,
            address=args.address,
            retry_failed=args.retry_failed,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        store = SweepStore.read(out)
        saved = sum(store.state(run.key) == STATE_DONE for run in plan.runs)
        print(
            f"platform-abm: interrupted; {saved} of {len(plan.runs)} runs are saved in {out}; "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    points = plan.spec.n_points
    replicates = len(plan.spec.replicates)
    rows = [
        ("sweep", f"{plan.name}: {points} points x {replicates} seeds = {report.total} runs"),
        ("done", f"{report.done} ({report.skipped} already done, {report.executed} run now)"),
        ("failed", str(len(report.failed))),
        ("wall time", f"{report.wall_time_s:.2f} s"),
        ("results", str(report.out_dir)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if report.failed:
        for key, error in list(report.failed.items())[:SHOWN_FAILURES]:
            print(f"failed run {key}: {error}")
        more = len(report.failed) - SHOWN_FAILURES
        if more > 0:
            print(f"... and {more} more (see {report.out_dir / 'manifest.parquet'})")
        print("re-run them with: platform-abm sweep SCENARIO --retry-failed")
        return EXIT_FAILED_RUNS
    return EXIT_OK


def _cmd_aggregate(args: argparse.Namespace) -> int:
    import pandas as pd

    from platform_abm.batch.plot import resolve_column
    from platform_abm.batch.runner import load_results
    from platform_abm.batch.summary import aggregate
    from platform_abm.results import save_table

    table = load_results(args.results)
    by = [resolve_column(table, name, "--by") for name in args.by] if args.by else None
    metrics = (
        [resolve_column(table, name, "--metrics") for name in args.metrics]
        if args.metrics
        else None
    )
    summary = aggregate(table, by=by, metrics=metrics, level=args.level)
    out = Path(args.out) if args.out else Path(args.results) / "aggregate.csv"
    save_table(summary, out)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(summary.to_string(index=False, max_rows=args.max_rows))
    print(f"wrote {out}")
    return EXIT_OK


def _cmd_plot(args: argparse.Namespace) -> int:
    from platform_abm.batch.plot import plot_sweep

    path = plot_sweep(
        args.results, args.x, args.y, args.hue, args.out, args.level, args.logx, args.logy
    )
    print(f"wrote {path}")
    return EXIT_OK


def add_commands(subparsers: Any) -> None:
    """Register ``sweep``, ``aggregate`` and ``plot`` on a sub-parsers object.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
    """
    from platform_abm.batch.executors import BACKENDS

    sweep = subparsers.add_parser(
        "sweep",
        help="run a parameter sweep (resumable)",
        description="Run every point and seed of a scenario's [sweep] table into a results "
        "folder (one Parquet file per run). Re-running the same command resumes: completed "
        "runs are skipped.",
    )
    sweep.add_argument("scenario", help="scenario TOML file with a [sweep] table")
    sweep.add_argument("--out", help="results folder (default: results/sweeps/<scenario name>)")
    sweep.add_argument(
        "--backend", choices=BACKENDS, default="local", help="where runs execute (default: local)"
    )
    sweep.add_argument(
        "--workers", type=int, default=2, help="worker processes (local, new Dask/Ray clusters)"
    )
    sweep.add_argument("--address", help="Dask scheduler (tcp://HOST:PORT) or Ray address")
    sweep.add_argument(
        "--retry-failed", action="store_true", help="also run again the runs that failed"
    )
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=_cmd_sweep)

    summary = subparsers.add_parser(
        "aggregate",
        help="mean, std and 95%% interval per parameter point",
        description="Summarise a sweep: mean, standard deviation and Student-t confidence "
        "interval of every metric per parameter point (and round, for per-round sweeps).",
    )
    summary.add_argument("results", help="a sweep's results folder")
    summary.add_argument(
        "--by", nargs="+", help="grouping columns, full or last dotted part (default: parameters)"
    )
    summary.add_argument("--metrics", nargs="+", help="metrics (default: every numeric column)")
    summary.add_argument("--level", type=float, default=0.95, help="interval level (0.95)")
    summary.add_argument("--out", help="CSV file (default: RESULTS/aggregate.csv)")
    summary.add_argument("--max-rows", type=int, default=60, help="rows printed (default: 60)")
    summary.set_defaults(handler=_cmd_aggregate)

    plot = subparsers.add_parser(
        "plot",
        help="plot a metric against a parameter",
        description="Plot the mean of a metric (with its confidence band) against a parameter, "
        "one line per value of --hue. Names may be dotted paths or their last part.",
    )
    plot.add_argument("results", help="a sweep's results folder")
    plot.add_argument("--x", required=True, help="parameter (or 'round') on the horizontal axis")
    plot.add_argument("--y", required=True, help="metric on the vertical axis")
    plot.add_argument("--hue", help="parameter with one line per value")
    plot.add_argument("--out", help="PNG file (default: RESULTS/plots/<y>-vs-<x>.png)")
    plot.add_argument("--level", type=float, default=0.95, help="band level (0.95)")
    plot.add_argument("--logx", action="store_true", help="logarithmic x axis")
    plot.add_argument("--logy", action="store_true", help="logarithmic y axis")
    plot.set_defaults(handler=_cmd_plot)
