"""The ``platform-abm`` command line: run, reproduce (and the commands added beside them).

Every error the package raises for bad input, missing data or a failed run is
printed as one line on standard error, with exit code 2 (bad input or missing
data) or 1 (the run failed), and no results are written.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from platform_abm import __version__
from platform_abm.errors import InputError, PlatformABMError, SimulationError
from platform_abm.reproduce import FIGURES, VARIANTS
from platform_abm.scenario import Scenario, load_scenario, read_toml

EXIT_FAILED_RUN = 1
EXIT_BAD_INPUT = 2


def _progress(total: int, description: str, enabled: bool) -> Any:
    """A tqdm progress bar on standard error (a no-op object when disabled)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="round", disable=not enabled, leave=False)


def run_platform(scenario: Scenario, out_dir: Path, progress: bool = True) -> dict[str, Any]:
    """Run a platform scenario to convergence or its round limit and write its results.

    Args:
        scenario: The validated scenario.
        out_dir: Results folder (replaced atomically).
        progress: Whether to show a progress bar.

    Returns:
        The run's summary (as written to ``summary.json``).

    Raises:
        SimulationError: When the run diverges (nothing is written).
    """
    from dataclasses import asdict

    from platform_abm.model import STATUS_DIVERGED, PlatformModel
    from platform_abm.results import drift_figure, write_results

    started = time.perf_counter()
    model = PlatformModel(**scenario.model_params())
    with _progress(scenario.rounds, scenario.name, progress) as bar:
        while model.running:
            model.step()
            bar.update(1)
            bar.set_postfix(drift=f"{model.last_drift:.2e}")
    if model.status == STATUS_DIVERGED:
        raise SimulationError(model.message)
    wall = time.perf_counter() - started
    table = model.results()
    summary = {
        "platform_abm_version": __version__,
        "scenario": asdict(scenario),
        **model.summary(),
        "wall_time_s": wall,
    }
    agents = model.agent_results()
    write_results(
        out_dir,
        table,
        summary,
        {"drift": drift_figure(table, scenario.name)},
        tables=None if agents is None else {"agents": agents},
    )
    return summary


def _print_table(summary: dict[str, Any], out_dir: Path) -> None:
    """Print the short end-of-run table."""
    rows = [
        ("status", summary["status"]),
        ("rounds run", summary["rounds"]),
        ("users", summary["users"]),
        ("final drift", f"{summary['final_drift']:.3e}"),
    ]
    rows += [
        (f"utility, level {level}", f"{value:.6f}")
        for level, value in summary["utility_per_level"].items()
    ]
    rows += [
        (f"utility, collective {name}", f"{info.get('utility', float('nan')):.6f}")
        for name, info in summary.get("collectives", {}).items()
    ]
    rows += [
        ("learner accuracy", f"{summary['accuracy']:.4f}"),
        ("regime", summary["regime"]),
        ("wall time", f"{summary['wall_time_s']:.2f} s"),
        ("results", str(out_dir)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"note: {summary['regime_explanation']}")


def _cmd_run(args: argparse.Namespace) -> int:
    if args.scenario is not None:
        document = read_toml(args.scenario)
        family = document.get("scenario", {}).get("family", "platform")
        if family == "curation":
            return _run_curation(document, args)
        scenario = load_scenario(args.scenario)
    else:
        scenario = Scenario()
    changes: dict[str, Any] = {"rounds": args.rounds, "seed": args.seed}
    if args.data is not None:
        data_file = Path(args.data).expanduser()
        if not data_file.is_file():
            raise InputError("--data", str(data_file), "an existing CSV or ZIP file")
        changes["path"] = str(data_file.resolve())
        if scenario.source != "csv":
            changes["source"] = "credit"
    scenario = scenario.with_overrides(**changes)
    out_dir = Path(args.out or scenario.output_dir or Path("results") / scenario.name)
    summary = run_platform(scenario, out_dir, progress=not args.quiet)
    _print_table(summary, out_dir)
    return 0


def _run_curation(document: dict[str, Any], args: argparse.Namespace) -> int:
    from platform_abm.curation.run import run_curation
    from platform_abm.curation.scenario import CurationScenario
    from platform_abm.results import write_results

    if args.data is not None:
        raise InputError("--data", args.data, "no data file: curation scenarios generate their own")
    meta = document.setdefault("scenario", {})
    meta.update({k: v for k, v in (("rounds", args.rounds), ("seed", args.seed)) if v is not None})
    scenario = CurationScenario.from_dict(document)
    started = time.perf_counter()
    table, summary, figures = run_curation(scenario, progress=not args.quiet)
    summary = {
        "platform_abm_version": __version__,
        **summary,
        "wall_time_s": time.perf_counter() - started,
    }
    out_dir = Path(args.out or scenario.output_dir or Path("results") / scenario.name)
    write_results(out_dir, table, summary, figures)
    for key in ("status", "regime"):
        if key in summary:
            print(f"{key:<12}  {summary[key]}")
    print(f"{'rounds run':<12}  {len(table)}")
    print(f"{'wall time':<12}  {summary['wall_time_s']:.2f} s")
    print(f"{'results':<12}  {out_dir}")
    return 0


#: Options of ``reproduce`` that only some figures take: CLI flag -> keyword of ``run``.
_FIGURE_OPTIONS = {
    "--rounds": "rounds",
    "--feature": "features",
    "--setting": "setting",
    "--diagnose": "diagnose",
    "--search-eta": "search_eta",
    "--redraw-target": "redraw_target",
    "--mixture": "mixture",
}


def _cmd_reproduce(args: argparse.Namespace) -> int:
    out_dir = Path(args.out or Path("results") / args.figure)
    if args.figure == "curation":
        if args.data is not None:
            raise InputError("--data", args.data, "no data file: curation generates its own")
        from platform_abm.curation.reproduce import reproduce_curation

        reproduce_curation(out_dir, progress=not args.quiet)
        print(f"wrote {out_dir}")
        return 0
    from platform_abm.reproduce import figure_module
    from platform_abm.reproduce.summary import format_headlines

    module = figure_module(args.figure)
    if args.seeds is not None and args.seeds < 1:
        raise InputError("--seeds", args.seeds, "a whole number ≥ 1")
    options: dict[str, Any] = {}
    for flag, keyword in _FIGURE_OPTIONS.items():
        value = getattr(args, keyword)
        if value is None or value is False:
            continue
        if keyword not in module.OPTIONS:
            takers = [f for f in FIGURES if keyword in figure_module(f).OPTIONS]
            raise InputError(flag, value, f"only with {' or '.join(takers)}, not {args.figure}")
        options[keyword] = value
    summary = module.run(
        out_dir,
        variant=args.variant,
        seeds=args.seeds,
        quick=args.quick,
        data_path=args.data,
        progress=not args.quiet,
        **options,
    )
    print(format_headlines(summary))
    print(f"wrote {out_dir}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``platform-abm`` (one sub-command per task)."""
    parser = argparse.ArgumentParser(
        prog="platform-abm",
        description="Agent-based simulation of strategic users on learning platforms.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="run one scenario", description="Run one scenario and write its results folder."
    )
    run.add_argument("scenario", nargs="?", help="scenario TOML file (default: built-in default)")
    run.add_argument("--rounds", type=int, help="override the round limit")
    run.add_argument("--seed", type=int, help="override the seed")
    run.add_argument("--out", help="results folder (default: results/<scenario name>)")
    run.add_argument("--data", help="the Kaggle credit CSV/ZIP (or the scenario's CSV)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=_cmd_run)

    reproduce = commands.add_parser(
        "reproduce",
        help="reproduce a published figure",
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
    reproduce.add_argument("--out", help="output folder (default: results/<figure>)")
    reproduce.add_argument("--quiet", action="store_true", help="no progress bar")
    reproduce.set_defaults(handler=_cmd_reproduce)

    from platform_abm.batch.cli import add_commands as add_batch_commands
    from platform_abm.viz.cli import add_commands as add_viz_commands

    add_batch_commands(commands)
    add_viz_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``platform-abm`` console script.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit code.
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SimulationError as exc:
        print(f"platform-abm: error: {exc}", file=sys.stderr)
        return EXIT_FAILED_RUN
    except PlatformABMError as exc:
        print(f"platform-abm: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("platform-abm: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
