"""Run a sweep: every (parameter point, replicate) of a scenario, resumably.

A run is: take the base scenario document, set the run's swept values and its
seed, validate it with its family's validator, build the model, step it until
``running`` turns False and keep its per-round table (or its last row). Runs are
identified by deterministic keys, and their seeds come from the sweep seed and
the key (:mod:`platform_abm.batch.keys`), so the table does not depend on the
backend, the number of workers or the order in which runs finish.

Each finished run is written to the results folder at once
(:mod:`platform_abm.batch.store`); re-running the same sweep into the same
folder skips the runs already done, so a killed sweep resumes where it stopped.
A run that raises is recorded as ``failed`` with its error and the sweep goes
on; ``retry_failed=True`` runs those again. A run the infrastructure lost (its
worker process died, the pool broke, a Dask worker went away) is recorded as
``lost`` and the next call runs it again without being asked. A model that ends
in its ``diverged`` state did not fail: it is stored with state and status
``diverged`` and left out of the returned table (see
:meth:`~platform_abm.batch.store.SweepStore.diverged_table`).

Nothing is created before the sweep is validated, the results folder checked
and the backend started, so a bad scenario, a folder holding another sweep or
an unreachable cluster leaves nothing behind.
"""

from __future__ import annotations

import copy
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from platform_abm.batch.executors import describe_error, make_backend
from platform_abm.batch.keys import canonical_json, digest
from platform_abm.batch.spec import RunSpec, SweepSpec, apply_overrides
from platform_abm.batch.store import (
    FORMAT,
    STATE_DIVERGED,
    STATE_DONE,
    STATE_FAILED,
    STATE_LOST,
    STATE_PENDING,
    STATUS_DIVERGED,
    SweepIdentity,
    SweepStore,
)
from platform_abm.common.errors import InputError
from platform_abm.common.progress import progress_bar
from platform_abm.common.scenario_file import read_toml
from platform_abm.common.signals import deferred_signals
from platform_abm.families import family_of, get_family

SCENARIO_TABLE = "scenario"


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to execute one run (picklable, no open resources).

    Attributes:
        key: Run key.
        replicate: Replicate number.
        seed: Model seed.
        columns: ``(column, cell)`` parameter pairs for the table.
        family: Model family name.
        doc: The run's full scenario document (swept values and seed set).
        base_dir: Folder against which relative data paths are resolved.
        record: ``last`` or ``rounds``.
    """

    key: str
    replicate: int
    seed: int
    columns: tuple[tuple[str, Any], ...]
    family: str
    doc: dict[str, Any]
    base_dir: str | None
    record: str


@dataclass
class RunOutcome:
    """The result of one run attempt.

    Attributes:
        key: Run key.
        ok: Whether the run completed (diverged runs complete too).
        table: Its rows (None when it failed).
        error: One-line error of a failed run.
        traceback: Full traceback of a failed run.
        wall_time_s: Duration of the attempt.
        status: The model's final status (``converged``, ``diverged``...).
        message: The model's final message (why it diverged, its cycle...).
    """

    key: str
    ok: bool
    table: pd.DataFrame | None = None
    error: str = ""
    traceback: str = ""
    wall_time_s: float = 0.0
    status: str = ""
    message: str = ""


def execute_run(task: RunTask) -> RunOutcome:
    """Execute one run and return its rows, or its error (never raises for model errors).

    BLAS is limited to one thread during the run, so parallel workers do not
    oversubscribe the cores and every backend computes bit-identical results.

    Args:
        task: The run.

    Returns:
        The outcome.
    """
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    try:
        with threadpool_limits(limits=1):
            family = get_family(task.family)
            scenario = family.validate(task.doc, Path(task.base_dir) if task.base_dir else None)
            model = family.build(scenario)
            table = family.run(model)
        status = str(model.status)
        message = str(getattr(model, "message", ""))
        rows = _run_rows(table, task, status, message)
    except Exception as exc:
        return RunOutcome(
            task.key,
            False,
            None,
            describe_error(exc),
            traceback.format_exc(),
            time.perf_counter() - started,
        )
    return RunOutcome(
        task.key,
        True,
        rows,
        wall_time_s=time.perf_counter() - started,
        status=status,
        message=message,
    )


def _run_rows(table: pd.DataFrame, task: RunTask, status: str, message: str) -> pd.DataFrame:
    """The run's rows, led by its key, replicate, seed, status and parameter columns."""
    meta: dict[str, Any] = {
        "run_key": task.key,
        "replicate": task.replicate,
        "seed": task.seed,
        "status": status,
        "message": message,
        **dict(task.columns),
    }
    table = table.reset_index(drop=True)
    if status == STATUS_DIVERGED and task.record == "last":
        # Its last recorded round is not a final state: keep no measurements.
        table = table.iloc[0:0]
    elif task.record == "last":
        table = table.iloc[len(table) - 1 :].reset_index(drop=True)
    if table.empty:
        return pd.DataFrame([meta])
    front = pd.DataFrame({name: [value] * len(table) for name, value in meta.items()})
    return pd.concat([front, table.drop(columns=[c for c in meta if c in table])], axis=1)


@dataclass
class SweepPlan:
    """A validated sweep: its base scenario, specification and runs.

    Attributes:
        name: Scenario name (for progress and default folders).
        family: Model family.
        base: Base scenario document without its ``[sweep]`` table.
        base_dir: Folder against which relative data paths are resolved.
        spec: The sweep specification.
        runs: Every run, in grid order.
        fingerprint: Digest of what determines results besides the parameters.
        output_dir: The scenario's ``[output] dir``, if any.
    """

    name: str
    family: str
    base: dict[str, Any]
    base_dir: Path | None
    spec: SweepSpec
    runs: list[RunSpec]
    fingerprint: str
    output_dir: str | None = None

    def task(self, run: RunSpec) -> RunTask:
        """The task executing one run."""
        doc = apply_overrides(self.base, run.params)
        meta = doc.setdefault(SCENARIO_TABLE, {})
        meta["seed"] = run.seed
        return RunTask(
            run.key,
            run.replicate,
            run.seed,
            run.columns,
            self.family,
            doc,
            str(self.base_dir) if self.base_dir else None,
            self.spec.record,
        )


def plan_sweep(
    scenario: str | Path | Mapping[str, Any], sweep: Mapping[str, Any] | SweepSpec | None = None
) -> SweepPlan:
    """Read and validate a sweep, including the scenario of every parameter point.

    Args:
        scenario: A scenario TOML file, or a parsed scenario document (relative
            data paths are then resolved against the current folder).
        sweep: A ``[sweep]`` table or specification replacing the scenario's own.

    Returns:
        The plan.

    Raises:
        InputError: For an invalid ``[sweep]`` table, or a parameter point whose
            scenario is invalid (the message names the swept parameter).
    """
    if isinstance(scenario, str | Path):
        doc = read_toml(scenario)
        base_dir: Path | None = Path(scenario).expanduser().resolve().parent
    elif isinstance(scenario, Mapping):
        doc = copy.deepcopy(dict(scenario))
        base_dir = Path.cwd()
    else:
        raise InputError("scenario", scenario, "a TOML file path or a scenario document (dict)")
    family = family_of(doc)
    family.ensure_available()
    if isinstance(sweep, SweepSpec):
        spec = sweep
    else:
        spec = SweepSpec.from_dict(sweep if sweep is not None else doc.get("sweep"))
    base = {key: value for key, value in doc.items() if key != "sweep"}
    meta = base.get(SCENARIO_TABLE, {})
    if not isinstance(meta, Mapping):
        raise InputError(SCENARIO_TABLE, meta, "a TOML table")
    first = None  # the scenario of the first point: the base may lack what the sweep sets
    for point in spec.points():
        scenario_of_point = _validate_point(family, base, base_dir, point)
        first = scenario_of_point if first is None else first
    sweep_seed = spec.seed if spec.seed is not None else int(first.seed)
    fingerprint = digest(
        canonical_json(
            {
                "format": FORMAT,
                "family": family.name,
                "scenario": base,
                "seed": sweep_seed,
                "seed_mode": spec.seed_mode,
                "record": spec.record,
            }
        )
    )
    return SweepPlan(
        name=str(getattr(first, "name", "sweep")),
        family=family.name,
        base=base,
        base_dir=base_dir,
        spec=spec,
        runs=spec.runs(sweep_seed),
        fingerprint=fingerprint,
        output_dir=getattr(first, "output_dir", None),
    )


def _validate_point(
    family: Any, base: dict[str, Any], base_dir: Path | None, point: tuple[tuple[str, Any], ...]
) -> Any:
    """Validate one point's scenario (returned); name the swept parameter in an error."""
    try:
        return family.validate(apply_overrides(base, point), base_dir)
    except InputError as exc:
        for path, value in point:
            if (
                exc.field == path
                or exc.field.startswith(f"{path}.")
                or path.startswith(f"{exc.field}.")
            ):
                raise InputError(
                    f"sweep.parameters.{path}", value, f"{exc.allowed} (scenario field {exc.field})"
                ) from None
        where = ", ".join(f"{path} = {value!r}" for path, value in point)
        raise InputError(exc.field, exc.value, f"{exc.allowed} (at sweep point {where})") from None


@dataclass
class SweepReport:
    """What a sweep command did.

    Attributes:
        table: Rows of the runs of this sweep that completed without diverging,
            sorted by run key then round.
        out_dir: The results folder.
        total: Runs in the sweep.
        skipped: Runs already completed (done or diverged) before this call.
        executed: Runs attempted by this call.
        done: Runs of this sweep completed without diverging (now).
        diverged: Runs of this sweep that diverged: key → the model's message.
        failed: Runs of this sweep that raised: key → one-line error.
        lost: Runs of this sweep the infrastructure lost: key → what happened.
        wall_time_s: Duration of this call.
        store_time_s: Time spent writing run files and the journal.
    """

    table: pd.DataFrame
    out_dir: Path
    total: int
    skipped: int
    executed: int
    done: int
    diverged: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    lost: dict[str, str] = field(default_factory=dict)
    wall_time_s: float = 0.0
    store_time_s: float = 0.0


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep runs (never what it computes: the table is the same for every choice).

    The options of :func:`run_sweep`, with its defaults (described there).

    Attributes:
        backend: Where the runs execute.
        workers: How many worker processes.
        address: Which cluster.
        retry_failed: Whether runs recorded as failed run again.
        progress: Whether a progress bar is shown.
    """

    backend: str = "local"
    workers: int = 2
    address: str | None = None
    retry_failed: bool = False
    progress: bool = True


def execute_sweep(
    scenario: str | Path | Mapping[str, Any] | SweepPlan,
    out_dir: str | Path,
    options: SweepOptions | None = None,
    *,
    sweep: Mapping[str, Any] | SweepSpec | None = None,
    out_field: str = "out_dir",
) -> SweepReport:
    """Run a sweep into a results folder and report what was done (see :func:`run_sweep`).

    Args:
        scenario: Scenario TOML file, parsed document with a ``[sweep]`` table,
            or a plan from :func:`plan_sweep`.
        out_dir: Results folder (created; resumed when it holds the same sweep).
        options: How to run it (default: :class:`SweepOptions` defaults).
        sweep: A ``[sweep]`` table or specification replacing the scenario's own.
        out_field: How ``out_dir`` was given (for messages).

    Returns:
        The report; ``report.table`` holds the completed runs' rows.

    Raises:
        InputError: For bad options, an invalid sweep or scenario, a results
            folder holding something else or a different sweep, or a cluster
            address that cannot be reached (nothing is created then).
        KeyboardInterrupt: When interrupted; completed runs stay recorded.
    """
    started = time.perf_counter()
    options = options if options is not None else SweepOptions()
    runner = make_backend(options.backend, options.workers, options.address)
    plan = scenario if isinstance(scenario, SweepPlan) else plan_sweep(scenario, sweep)
    identity = SweepIdentity(plan.fingerprint, plan.family, plan.base, plan.spec.to_dict())
    # Checked before connecting: refuse early, create nothing.
    SweepStore.check(out_dir, identity, field=out_field)
    with runner, SweepStore.open(out_dir, identity, field=out_field) as store:
        retried = {STATE_FAILED} if options.retry_failed else set()
        wanted = {STATE_PENDING, STATE_LOST} | retried
        todo = [run for run in plan.runs if store.state(run.key) in wanted]
        skipped = sum(store.state(run.key) in (STATE_DONE, STATE_DIVERGED) for run in plan.runs)
        executed = 0
        bar = progress_bar(len(todo), plan.name, unit="run", enabled=options.progress, leave=True)
        try:
            with bar:
                if skipped and options.progress:
                    bar.write(f"{skipped} of {len(plan.runs)} runs already done in {store.root}")
                tasks = (plan.task(run) for run in todo)
                counts = {STATE_DONE: 0, STATE_DIVERGED: 0, STATE_FAILED: 0, STATE_LOST: 0}
                for task, outcome, error in runner.map_unordered(execute_run, tasks):
                    executed += 1
                    counts[_record(store, task, outcome, error)] += 1
                    bar.set_postfix(
                        {k: v for k, v in counts.items() if v or k == STATE_DONE}, refresh=False
                    )
                    bar.update(1)
        finally:
            # One SIGINT can raise twice (once inside pyarrow, which watches for
            # it, once in Python), the second time before the manifest's write
            # holds the signals: the manifest is then written again.
            try:
                _write_manifest(store, plan.runs)
            except KeyboardInterrupt:
                _write_manifest(store, plan.runs)
                raise
        keys = [run.key for run in plan.runs]

        def in_state(state: str) -> dict[str, str]:
            return {key: store.records[key].error for key in keys if store.state(key) == state}

        return SweepReport(
            table=store.load_table(keys),
            out_dir=store.root,
            total=len(plan.runs),
            skipped=skipped,
            executed=executed,
            done=sum(store.state(key) == STATE_DONE for key in keys),
            diverged=in_state(STATE_DIVERGED),
            failed=in_state(STATE_FAILED),
            lost=in_state(STATE_LOST),
            wall_time_s=time.perf_counter() - started,
            store_time_s=store.write_seconds,
        )


def _write_manifest(store: SweepStore, runs: list[RunSpec]) -> None:
    """Write the manifest with Ctrl-C, SIGTERM and SIGHUP held until it is complete."""
    with deferred_signals():
        store.write_manifest(runs)


def _record(store: SweepStore, task: RunTask, outcome: RunOutcome | None, error: str | None) -> str:
    """Store one attempt's outcome and return the run's new state."""
    columns = dict(task.columns)
    if error is not None or outcome is None:
        # The function never returned: the infrastructure lost the run, not the run itself.
        store.record_failed(
            task.key,
            error or "the run's result never came back",
            "",
            task.replicate,
            task.seed,
            columns,
            None,
            state=STATE_LOST,
        )
        return STATE_LOST
    if outcome.ok and outcome.table is not None:
        diverged = outcome.status == STATUS_DIVERGED
        store.record_done(
            task.key,
            outcome.table,
            task.replicate,
            task.seed,
            columns,
            outcome.wall_time_s,
            diverged=outcome.message if diverged else None,
        )
        return STATE_DIVERGED if diverged else STATE_DONE
    store.record_failed(
        task.key,
        outcome.error or "unknown error",
        outcome.traceback,
        task.replicate,
        task.seed,
        columns,
        outcome.wall_time_s,
    )
    return STATE_FAILED


def run_sweep(
    scenario: str | Path | Mapping[str, Any],
    out_dir: str | Path,
    backend: str = "local",
    workers: int = 2,
    address: str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    sweep: Mapping[str, Any] | SweepSpec | None = None,
) -> pd.DataFrame:
    """Run a parameter sweep and return its table.

    Runs already completed in ``out_dir`` are skipped, so calling it again after
    an interruption finishes the sweep (runs the infrastructure lost run again
    too). Failed runs are recorded (see ``manifest.parquet``) and left out of
    the table; ``retry_failed=True`` runs them again. Diverged runs are stored
    with state ``diverged`` and left out of the table too (read them with
    ``SweepStore.read(out_dir).diverged_table()``). With ``backend="local"``
    (processes started with ``spawn``), a script must guard its entry point
    with ``if __name__ == "__main__":``.

    Example::

        table = run_sweep("scenarios/sweeps/demo.toml", "results/demo", workers=2)
        summary = aggregate(table)

    Args:
        scenario: Scenario TOML file or parsed document with a ``[sweep]`` table.
        out_dir: Results folder (created; resumed when it holds the same sweep).
        backend: ``serial``, ``local`` (default), ``dask`` or ``ray``.
        workers: Worker processes (``local``; new Dask or Ray clusters).
        address: Dask scheduler (``tcp://HOST:PORT``) or Ray cluster address.
        retry_failed: Also run again the runs recorded as failed.
        progress: Show a progress bar (done, failed, time left) on standard error.
        sweep: A ``[sweep]`` table or specification replacing the scenario's own.

    Returns:
        One row per completed, not diverged run (``record = "last"``) or per
        such run and round (``record = "rounds"``): ``run_key``, ``replicate``, ``seed``,
        ``status``, ``message``, the parameter columns, then the model's
        columns; sorted by run key, then round.

    Raises:
        InputError: For bad options, an invalid sweep or scenario, or a results
            folder holding something else.
        KeyboardInterrupt: When interrupted; completed runs stay recorded.
    """
    options = SweepOptions(backend, workers, address, retry_failed, progress)
    return execute_sweep(scenario, out_dir, options, sweep=sweep).table


def load_results(out_dir: str | Path, include_diverged: bool = False) -> pd.DataFrame:
    """The table of every completed run recorded in a results folder.

    Args:
        out_dir: A sweep's results folder.
        include_diverged: Also the rows of runs that diverged (status
            ``diverged``; see :meth:`~platform_abm.batch.store.SweepStore.load_table`).

    Returns:
        The rows, sorted by run key then round; ``attrs["parameters"]`` names
        the parameter columns.

    Raises:
        InputError: When the folder holds no sweep.
    """
    return SweepStore.read(out_dir).load_table(include_diverged=include_diverged)
