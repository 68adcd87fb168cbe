"""The ``sweep``, ``aggregate`` and ``plot`` sub-commands of ``platform-abm``.

:func:`add_commands` registers them on the main parser's sub-parsers. They are
also available on their own as ``python -m platform_abm.batch``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from platform_abm.common.commands import add_command, add_quiet_option
from platform_abm.common.errors import InputError

EXIT_OK = 0
EXIT_FAILED_RUNS = 1
EXIT_INTERRUPTED = 130
SHOWN_FAILURES = 5


def _sweep_folder(args: argparse.Namespace, plan: Any) -> tuple[Path, str]:
    from platform_abm.common.results import RESULTS_ROOT, default_target

    if args.out is not None:
        return Path(args.out), "--out"
    if plan.output_dir is not None:
        return Path(plan.output_dir), "output.dir"
    return default_target(plan.name, under=Path(RESULTS_ROOT) / "sweeps", field="scenario.name"), (
        "scenario.name"
    )


def _interrupted(exc: KeyboardInterrupt, plan: Any, out: Path) -> int:
    from platform_abm.batch.store import COMPLETED_STATES, META_FILE, SweepStore

    if os.environ.get("PLATFORM_ABM_DEBUG", "") not in ("", "0"):
        traceback.print_exception(exc)
    signum = int(getattr(exc, "signum", signal.SIGINT))
    what = "interrupted" if signum == signal.SIGINT else f"stopped by {exc}"
    if not (out / META_FILE).is_file():
        print(f"platform-abm: {what} before any run started; nothing was written", file=sys.stderr)
        return 128 + signum
    store = SweepStore.read(out)
    saved = sum(store.state(run.key) in COMPLETED_STATES for run in plan.runs)
    print(
        f"platform-abm: {what}; {saved} of {len(plan.runs)} runs are saved in {out}; "
        "run the same command again to resume",
        file=sys.stderr,
    )
    return 128 + signum


def _cmd_sweep(args: argparse.Namespace) -> int:
    from platform_abm.batch.runner import SweepOptions, execute_sweep, plan_sweep

    plan = plan_sweep(args.scenario)
    out, field = _sweep_folder(args, plan)
    options = SweepOptions(
        args.backend, args.workers, args.address, args.retry_failed, progress=not args.quiet
    )
    try:
        report = execute_sweep(plan, out, options, out_field=field)
    except KeyboardInterrupt as exc:
        return _interrupted(exc, plan, out)
    points = plan.spec.n_points
    replicates = len(plan.spec.replicates)
    rows = [
        ("sweep", f"{plan.name}: {points} points x {replicates} seeds = {report.total} runs"),
        (
            "done",
            f"{report.done} ({report.skipped} completed before this command, "
            f"{report.executed} run now)",
        ),
    ]
    if report.diverged:
        rows.append(
            ("diverged", f"{len(report.diverged)} (stored; left out of the table and means)")
        )
    rows.append(("failed", str(len(report.failed))))
    if report.lost:
        rows.append(("lost", f"{len(report.lost)} (to the infrastructure; run again to redo them)"))
    rows += [
        ("wall time", f"{report.wall_time_s:.2f} s"),
        ("results", str(report.out_dir)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if report.diverged:
        key, message = next(iter(report.diverged.items()))
        print(f"diverged run {key}: {message}")
    for kind, runs in (("failed", report.failed), ("lost", report.lost)):
        for key, error in list(runs.items())[:SHOWN_FAILURES]:
            print(f"{kind} run {key}: {error}")
        more = len(runs) - SHOWN_FAILURES
        if more > 0:
            print(f"... and {more} more (see {report.out_dir / 'manifest.parquet'})")
    if report.lost:
        print("runs lost to the infrastructure run again with the same command")
    if report.failed:
        print("re-run the failed runs with: platform-abm sweep SCENARIO --retry-failed")
    return EXIT_FAILED_RUNS if report.failed or report.lost else EXIT_OK


def _output_file(value: str | None, default: Path, suffix: str, option: str) -> Path:
    """The file an ``--out`` option names: with the right suffix, not a folder."""
    if value is None:
        return default
    out = Path(value).expanduser()
    if out.suffix.lower() != suffix:
        raise InputError(option, value, f"a {suffix} file name")
    if out.is_dir():
        raise InputError(option, value, f"a {suffix} file name (this is a folder)")
    return out


def _cmd_aggregate(args: argparse.Namespace) -> int:
    import pandas as pd

    from platform_abm.batch.plot import resolve_column
    from platform_abm.batch.runner import load_results
    from platform_abm.batch.store import SweepStore
    from platform_abm.batch.summary import aggregate
    from platform_abm.common.results import save_table

    out = _output_file(args.out, Path(args.results) / "aggregate.csv", ".csv", "--out")
    table = load_results(args.results)
    diverged = SweepStore.read(args.results).diverged_table()
    by = [resolve_column(table, name, "--by") for name in args.by] if args.by else None
    metrics = (
        [resolve_column(table, name, "--metrics") for name in args.metrics]
        if args.metrics
        else None
    )
    summary = aggregate(table, by=by, metrics=metrics, level=args.level, diverged=diverged)
    save_table(summary, out)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(summary.to_string(index=False, max_rows=args.max_rows))
    if len(diverged):
        names = [n for n in diverged.attrs.get("parameters", []) if n in diverged]
        points = len(diverged.drop_duplicates(names)) if names else 1
        print(
            f"left out {len(diverged)} diverged runs (at {points} parameter points) from the "
            "means: see the n_diverged column"
        )
    print(f"wrote {out}")
    return EXIT_OK


def _cmd_plot(args: argparse.Namespace) -> int:
    from platform_abm.batch.plot import plot_sweep

    out = None if args.out is None else _output_file(args.out, Path(), ".png", "--out")
    path = plot_sweep(args.results, args.x, args.y, args.hue, out, args.level, args.logx, args.logy)
    print(f"wrote {path}")
    return EXIT_OK


def _add_results_command(
    subparsers: Any, name: str, handler: Any, *, summary: str, description: str, out: str
) -> argparse.ArgumentParser:
    """A command reading a sweep's results folder and writing one file (``--out``)."""
    command = add_command(subparsers, name, handler, summary=summary, description=description)
    command.add_argument("results", help="a sweep's results folder")
    command.add_argument("--out", help=out)
    return command


def add_commands(subparsers: Any) -> None:
    """Register ``sweep``, ``aggregate`` and ``plot`` on a sub-parsers object.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
    """
    from platform_abm.batch.executors import BACKENDS

    sweep = add_command(
        subparsers,
        "sweep",
        _cmd_sweep,
        summary="run a parameter sweep (resumable)",
        description="Run every point and seed of a scenario's [sweep] table into a results "
        "folder (one Parquet file per run). Re-running the same command resumes: completed "
        "runs are skipped, runs lost to the infrastructure run again. A folder holding a "
        "different sweep is refused.",
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
        "--retry-failed",
        action="store_true",
        help="also run again the runs that raised an error (lost runs always run again)",
    )
    add_quiet_option(sweep)

    summary = _add_results_command(
        subparsers,
        "aggregate",
        _cmd_aggregate,
        summary="mean, std and 95%% interval per parameter point",
        description="Summarise a sweep: mean, standard deviation and Student-t confidence "
        "interval of every metric per parameter point (and round, for per-round sweeps).",
        out="CSV file (default: RESULTS/aggregate.csv)",
    )
    summary.add_argument(
        "--by", nargs="+", help="grouping columns, full or last dotted part (default: parameters)"
    )
    summary.add_argument("--metrics", nargs="+", help="metrics (default: every numeric column)")
    summary.add_argument("--level", type=float, default=0.95, help="interval level (0.95)")
    summary.add_argument("--max-rows", type=int, default=60, help="rows printed (default: 60)")

    plot = _add_results_command(
        subparsers,
        "plot",
        _cmd_plot,
        summary="plot a metric against a parameter",
        description="Plot the mean of a metric (with its confidence band) against a parameter, "
        "one line per value of --hue. Names may be dotted paths or their last part.",
        out="PNG file (default: RESULTS/plots/<y>-vs-<x>.png)",
    )
    plot.add_argument("--x", required=True, help="parameter (or 'round') on the horizontal axis")
    plot.add_argument("--y", required=True, help="metric on the vertical axis")
    plot.add_argument("--hue", help="parameter with one line per value")
    plot.add_argument("--level", type=float, default=0.95, help="band level (0.95)")
    plot.add_argument("--logx", action="store_true", help="logarithmic x axis")
    plot.add_argument("--logy", action="store_true", help="logarithmic y axis")
