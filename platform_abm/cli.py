"""The ``platform-abm`` command line: run, reproduce (and the commands added beside them).

Every error reaches the user as one line on standard error, never a traceback
(``PLATFORM_ABM_DEBUG=1`` prints it too):

* exit code 2: bad input (a scenario value, an option, an output folder that
  may not be written or a location that cannot be written), or missing data;
* exit code 1: the run failed (it diverged, an inner solve failed) or its
  output could not be finished (disk full, I/O error);
* exit code 130 (Ctrl-C), 143 (SIGTERM) or 129 (SIGHUP): interrupted;
* exit code 70: an unexpected error inside the package (a bug: please report it).

Results folders are written through :class:`platform_abm.common.results.OutputFolder`:
nothing is left behind by a failed or interrupted command, and nothing the
program did not write is ever deleted (see ``docs/cli.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tomllib
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from platform_abm import __version__
from platform_abm.common.commands import add_command, add_quiet_option, add_scenario_argument
from platform_abm.common.errors import InputError, PlatformABMError, SimulationError
from platform_abm.common.results import LOCATION_ERRNOS, OutputFolder, default_target
from platform_abm.common.signals import signals_as_interrupts
from platform_abm.families import read_scenario
from platform_abm.platform.reproduce import FIGURES, VARIANTS

EXIT_OK = 0
EXIT_FAILED_RUN = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE of sysexits.h
EXIT_INTERRUPTED = 130
DEBUG_ENV_VAR = "PLATFORM_ABM_DEBUG"
#: Statuses of a run that produced valid results without converging (exit code 0, a warning).
UNCONVERGED = ("round-limit", "cycling")


def _status_text(summary: dict[str, Any]) -> str:
    status = str(summary.get("status", ""))
    if status == "cycling" and summary.get("cycle_period"):
        return f"{status} (period {summary['cycle_period']}: did not converge)"
    if status == "round-limit":
        return f"{status} (did not converge)"
    return status


def _warn_unconverged(summary: dict[str, Any]) -> None:
    """A warning on standard error when a run ended without converging."""
    status = summary.get("status")
    if status not in UNCONVERGED:
        return
    detail = summary.get("message") or (
        f"the drift was {summary['final_drift']:.3e} after {summary.get('rounds')} rounds, "
        "above run.tolerance"
        if "final_drift" in summary
        else f"it ran all {summary.get('rounds')} rounds"
    )
    print(
        f"platform-abm: warning: the run did not converge (status {status}): {detail}; "
        "its results are written and report this status",
        file=sys.stderr,
    )


def _print_summary(summary: dict[str, Any], out_dir: Path) -> None:
    """Print the short end-of-run table (the rows a family's summary has)."""
    rows: list[tuple[str, Any]] = [
        ("status", _status_text(summary)),
        ("rounds run", summary["rounds"]),
    ]
    if "users" in summary:
        rows.append(("users", summary["users"]))
    if "final_drift" in summary:
        rows.append(("final drift", f"{summary['final_drift']:.3e}"))
    rows += [
        (f"utility, level {level}", f"{value:.6f}")
        for level, value in summary.get("utility_per_level", {}).items()
    ]
    rows += [
        (f"utility, collective {name}", f"{info.get('utility', float('nan')):.6f}")
        for name, info in summary.get("collectives", {}).items()
    ]
    if summary.get("accuracy") is not None:
        rows.append(("learner accuracy", f"{summary['accuracy']:.4f}"))
    if "regime" in summary:
        rows.append(("regime", summary["regime"]))
    rows += [(f"regime, {name}", regime) for name, regime in summary.get("regimes", {}).items()]
    if "wall_time_s" in summary:
        rows.append(("wall time", f"{summary['wall_time_s']:.2f} s"))
    rows.append(("results", str(out_dir)))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if summary.get("regime_explanation"):
        print(f"note: {summary['regime_explanation']}")


def _target(out: str | None, output_dir: str | None, name: str) -> tuple[Path, str]:
    """The results folder of a run and the field it came from (for messages)."""
    if out is not None:
        return Path(out), "--out"
    if output_dir is not None:
        return Path(output_dir), "output.dir"
    return default_target(name, field="scenario.name"), "scenario.name"


def _cmd_run(args: argparse.Namespace) -> int:
    family, scenario = read_scenario(args.scenario)
    scenario = family.override(scenario, rounds=args.rounds, seed=args.seed, data=args.data)
    out_dir, field = _target(args.out, scenario.output_dir, scenario.name)
    run = family.runner()
    summary = run(scenario, out_dir, progress=not args.quiet, force=args.force, field=field)
    _print_summary(summary, out_dir)
    _warn_unconverged(summary)
    return EXIT_OK


#: Options of ``reproduce`` that only some figures take: CLI flag -> keyword of ``run``.
_FIGURE_OPTIONS = {
    "--rounds": "rounds",
    "--feature": "features",
    "--setting": "setting",
    "--diagnose": "diagnose",
    "--search-eta": "search_eta",
    "--redraw-target": "redraw_target",
    "--mixture": "mixture",
    "--strategy": "strategy",
    "--workers": "workers",
}


def reproduction_folder(figure: str, variant: str = "paper", quick: bool = False) -> Path:
    """The default folder of a reproduction: ``results/<figure>[-notebook][-quick]``.

    Each variant and the quick grid get their own folder, so a quick or
    notebook run never replaces the (possibly hours long) full paper run.

    Args:
        figure: Figure name (or ``curation``).
        variant: ``paper`` or ``notebook``.
        quick: Whether the reduced grid runs.

    Returns:
        The relative folder path.
    """
    name = figure + ("" if variant == "paper" else f"-{variant}") + ("-quick" if quick else "")
    return default_target(name, field="figure")


def _figure_options(figure: str) -> frozenset[str]:
    """The options a figure module's ``run`` takes (none if it cannot be imported or says none)."""
    from platform_abm.platform.reproduce import figure_module

    try:
        return frozenset(getattr(figure_module(figure), "OPTIONS", frozenset()))
    except ImportError:
        return frozenset()


def _cmd_reproduce(args: argparse.Namespace) -> int:
    if args.figure == "curation":
        if args.data is not None:
            raise InputError("--data", args.data, "no data file: curation generates its own")
        from platform_abm.curation.reproduce import reproduce_curation

        out_dir = Path(args.out) if args.out is not None else reproduction_folder("curation")
        folder = OutputFolder(
            out_dir, command="reproduce curation", name="curation", force=args.force
        )
        with folder as staging:
            reproduce_curation(staging, progress=not args.quiet)
        print(f"wrote {out_dir}")
        return EXIT_OK
    from platform_abm.platform.reproduce import figure_module
    from platform_abm.platform.reproduce.summary import format_headlines

    module = figure_module(args.figure)
    if args.seeds is not None and args.seeds < 1:
        raise InputError("--seeds", args.seeds, "a whole number ≥ 1")
    options: dict[str, Any] = {}
    for flag, keyword in _FIGURE_OPTIONS.items():
        value = getattr(args, keyword)
        if value is None or value is False:
            continue
        if keyword not in getattr(module, "OPTIONS", frozenset()):
            takers = [f for f in FIGURES if keyword in _figure_options(f)]
            raise InputError(flag, value, f"only with {' or '.join(takers)}, not {args.figure}")
        options[keyword] = value
    out_dir = (
        Path(args.out)
        if args.out is not None
        else reproduction_folder(args.figure, args.variant, args.quick)
    )
    folder = OutputFolder(
        out_dir,
        command=f"reproduce {args.figure}",
        name=args.figure,
        force=args.force,
        expected=("summary.json",),
    )
    # The figure module writes into the staging folder; it replaces out_dir only
    # once run() has returned, so a failed or interrupted reproduction leaves nothing.
    with folder as staging:
        summary = module.run(
            staging,
            variant=args.variant,
            seeds=args.seeds,
            quick=args.quick,
            data_path=args.data,
            progress=not args.quiet,
            **options,
        )
    print(format_headlines(summary))
    print(f"wrote {out_dir}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``platform-abm`` (one sub-command per task)."""
    parser = argparse.ArgumentParser(
        prog="platform-abm",
        description="Agent-based simulation of strategic users on learning platforms.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = add_command(
        commands,
        "run",
        _cmd_run,
        summary="run one scenario",
        description="Run one scenario and write its results folder.",
    )
    add_scenario_argument(run)
    run.add_argument("--rounds", type=int, help="override the round limit")
    run.add_argument("--seed", type=int, help="override the seed")
    run.add_argument("--out", help="results folder (default: results/<scenario name>)")
    run.add_argument(
        "--force",
        action="store_true",
        help="also write into a non-empty folder platform-abm did not write (adds the "
        "results next to its files; never deletes or overwrites them)",
    )
    run.add_argument("--data", help="the Kaggle credit CSV/ZIP (or the scenario's CSV)")
    add_quiet_option(run)

    reproduce = add_command(
        commands,
        "reproduce",
        _cmd_reproduce,
        summary="reproduce a published figure",
        description="Reproduce a figure of the paper (needs the real credit data, except "
        "'curation'). Writes the figure, the table behind it and summary.json (each headline "
        "number measured, published and as the authors' code gives it).",
    )
    reproduce.add_argument("figure", choices=[*FIGURES, "curation"])
    reproduce.add_argument(
        "--variant",
        choices=list(VARIANTS),
        default="paper",
        help="paper semantics (default) or the authors' notebook procedure step for step",
    )
    reproduce.add_argument(
        "--seeds",
        "--trials",
        dest="seeds",
        type=int,
        help="seeds or trials (default: as published)",
    )
    reproduce.add_argument(
        "--quick", action="store_true", help="a reduced grid (minutes, not hours)"
    )
    reproduce.add_argument("--rounds", type=int, help="rounds per run (fig1)")
    reproduce.add_argument(
        "--feature",
        dest="features",
        action="append",
        help="only this feature's curve (fig2, fig3; repeatable)",
    )
    reproduce.add_argument("--setting", help="learner setting (fig3 notebook: saved | published)")
    reproduce.add_argument(
        "--strategy", help="fig3 paper: the collective's strategy (shift | free-edit)"
    )
    reproduce.add_argument(
        "--workers", type=int, help="fig3 notebook: worker processes (default 1 per core, ≤ 2)"
    )
    reproduce.add_argument(
        "--diagnose", action="store_true", help="fig2: the budget-matched controls behind B"
    )
    reproduce.add_argument(
        "--search-eta", action="store_true", help="fig4: find η by stochastic approximation"
    )
    reproduce.add_argument(
        "--redraw-target",
        action="store_true",
        help="fig4: draw θ_target afresh instead of the notebook's printed one",
    )
    reproduce.add_argument(
        "--mixture", choices=["agents", "expected"], help="fig1: how levels are assigned"
    )
    reproduce.add_argument("--data", help="the Kaggle credit CSV/ZIP")
    reproduce.add_argument(
        "--out", help="output folder (default: results/<figure>[-notebook][-quick])"
    )
    reproduce.add_argument(
        "--force",
        action="store_true",
        help="also write into a non-empty folder platform-abm did not write (never deletes "
        "or overwrites its files)",
    )
    add_quiet_option(reproduce)

    from platform_abm.batch.cli import add_commands as add_batch_commands
    from platform_abm.viz.cli import add_commands as add_viz_commands

    add_batch_commands(commands)
    add_viz_commands(commands)
    return parser


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _error(message: object) -> None:
    print(f"platform-abm: error: {_one_line(message)}", file=sys.stderr)


def _os_error(exc: OSError) -> int:
    """One line for a file-system error; exit 2 when the location cannot be used, else 1."""
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or _one_line(exc) or type(exc).__name__
    code = EXIT_BAD_INPUT if exc.errno in LOCATION_ERRNOS else EXIT_FAILED_RUN
    hint = (
        "choose another location (--out)"
        if code == EXIT_BAD_INPUT
        else "nothing was replaced; free space or fix the device and run again"
    )
    _error(f"{where}: {reason} ({hint})" if where else f"{reason} ({hint})")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``platform-abm`` console script.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit code (see the module docstring).
    """
    args = build_parser().parse_args(argv)
    debug = os.environ.get(DEBUG_ENV_VAR, "") not in ("", "0")
    with signals_as_interrupts():
        try:
            return int(args.handler(args))
        except KeyboardInterrupt as exc:
            signum = getattr(exc, "signum", signal.SIGINT)
            name = "interrupted" if signum == signal.SIGINT else f"stopped by {exc}"
            print(f"platform-abm: {name} (no results folder is left half-written)", file=sys.stderr)
            return 128 + int(signum)
        except BaseException as exc:
            if debug and not isinstance(exc, SystemExit):
                traceback.print_exc()
            return _exit_code(exc)


def _exit_code(exc: BaseException) -> int:
    """Report a caught exception in one line and return its exit code."""
    if isinstance(exc, SystemExit):
        raise exc
    if isinstance(exc, SimulationError):
        _error(exc)
        return EXIT_FAILED_RUN
    if isinstance(exc, PlatformABMError):
        _error(exc)
        return EXIT_BAD_INPUT
    if isinstance(exc, BrokenPipeError):  # the reader of our output went away (| head)
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED_RUN
    if isinstance(exc, OSError):
        return _os_error(exc)
    if isinstance(exc, tomllib.TOMLDecodeError | UnicodeDecodeError):
        _error(f"a file could not be read: {exc}")
        return EXIT_BAD_INPUT
    if isinstance(exc, MemoryError):
        _error("out of memory (try a smaller population or fewer workers)")
        return EXIT_FAILED_RUN
    if isinstance(exc, Exception):
        _error(
            f"internal error: {type(exc).__name__}: {exc} (this is a bug in platform-abm; "
            f"rerun with {DEBUG_ENV_VAR}=1 for the traceback and report it)"
        )
        return EXIT_INTERNAL
    raise exc


if __name__ == "__main__":
    sys.exit(main())
