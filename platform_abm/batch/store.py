"""The sweep's results folder: one Parquet file per run, a journal and a manifest.

Layout of a results folder::

    sweep.json          the sweep: family, fingerprint, base scenario, [sweep] table
    runs/<key>.parquet  one file per completed run (its parameters and collected rows)
    journal.jsonl       one line per finished attempt: key, state, error, time
    manifest.parquet    run keys with their state, rewritten at the end of every
                        sweep command

A run's state is one of:

* ``done``: it completed (converged, reached its round limit or cycles); its
  file holds its rows.
* ``diverged``: it completed with the model's ``diverged`` status; its file
  holds the rounds it completed before diverging (``record = "rounds"``) or
  only its key, seed and parameters (``record = "last"``), never NaN stand-ins.
  Tables leave diverged runs out unless asked for them, and
  :func:`~platform_abm.batch.summary.aggregate` counts them per point.
* ``failed``: the run raised an error by itself (a bad data file, a solver
  failure); re-run only with ``retry_failed``.
* ``lost``: the infrastructure lost it (its worker process died, the pool
  broke, a Dask worker went away); the next sweep command runs it again.
* ``pending``: not run yet.

A folder holds one sweep: the same scenario and ``[sweep]`` table resume it;
any other sweep is refused, naming what differs.

Every run file is written to a temporary name and renamed into place
(:func:`platform_abm.common.results.write_atomic`), so a file under ``runs/`` is always
complete. Only the process driving the sweep writes (workers return their
tables to it), under an exclusive lock on ``.lock``. The run files are the truth
about which runs are done: a journal line lost to a crash between a rename and
its append is rebuilt from the file, and a torn last line is ignored, so a
killed sweep loses at most the runs that were in flight.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from platform_abm import __version__
from platform_abm.batch.keys import canonical_json, plain
from platform_abm.common.errors import InputError
from platform_abm.common.results import protected_reason, write_atomic

FORMAT = 1
META_FILE = "sweep.json"
RUNS_DIR = "runs"
JOURNAL_FILE = "journal.jsonl"
MANIFEST_FILE = "manifest.parquet"
LOCK_FILE = ".lock"
META_COLUMNS = ("run_key", "replicate", "seed", "status", "message")
STATE_DONE = "done"
STATE_DIVERGED = "diverged"
STATE_FAILED = "failed"
STATE_LOST = "lost"
STATE_PENDING = "pending"
#: States of runs that have a run file (completed runs, skipped when resuming).
COMPLETED_STATES = (STATE_DONE, STATE_DIVERGED)
STATUS_DIVERGED = "diverged"
SHOWN_DIFFERENCES = 4


@dataclass(frozen=True)
class SweepIdentity:
    """What makes a sweep the one a results folder holds (any other is refused).

    Attributes:
        fingerprint: Digest of everything that determines a run's result
            besides its parameters (base scenario, family, sweep seed, record).
        family: Model family.
        scenario: The base scenario document (kept in ``sweep.json``).
        sweep: The ``[sweep]`` table (kept in ``sweep.json``).
    """

    fingerprint: str
    family: str
    scenario: Mapping[str, Any]
    sweep: Mapping[str, Any]


@dataclass
class RunRecord:
    """What the store knows about one run.

    Attributes:
        key: Run key.
        state: ``done``, ``diverged``, ``failed`` or ``lost``.
        replicate: Replicate number.
        seed: Model seed.
        columns: Parameter cells by column name.
        error: One-line error of a failed or lost run, or the divergence
            message of a diverged run.
        traceback: Full traceback of a failed run.
        wall_time_s: Duration of the last attempt (None when unknown).
        attempts: Number of recorded attempts.
        finished_at: UTC time of the last attempt (ISO 8601).
    """

    key: str
    state: str
    replicate: int | None = None
    seed: int | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    traceback: str = ""
    wall_time_s: float | None = None
    attempts: int = 1
    finished_at: str = ""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _acquire_lock(root: Path) -> TextIO | None:
    """Lock the folder against a second writer (the lock dies with its process)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        return None
    handle = (root / LOCK_FILE).open("a")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise InputError(
            "out_dir", str(root), "a results folder no other sweep is writing to right now"
        ) from None
    return handle


def _ends_mid_line(path: Path) -> bool:
    """Whether a non-empty file's last byte is not a newline."""
    size = path.stat().st_size if path.is_file() else 0
    if size == 0:
        return False
    with path.open("rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) != b"\n"


def read_meta(root: str | Path) -> dict[str, Any]:
    """Read a results folder's ``sweep.json``.

    Args:
        root: The results folder.

    Returns:
        The parsed metadata.

    Raises:
        InputError: When the folder holds no sweep.
    """
    path = Path(root) / META_FILE
    if not path.is_file():
        raise InputError("results", str(root), f"a sweep results folder (with {META_FILE})")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError("results", str(path), f"a readable sweep.json ({exc})") from None


class SweepStore:
    """A sweep's results folder (see the module docstring).

    Open it for writing with :meth:`open` (locks the folder) or for reading with
    :meth:`read`. ``write_seconds`` accumulates the time spent writing runs.
    """

    def __init__(self, root: Path, lock: TextIO | None, writable: bool) -> None:
        self.root = root
        self.runs_dir = root / RUNS_DIR
        self.meta: dict[str, Any] = {}
        self.records: dict[str, RunRecord] = {}
        self.write_seconds = 0.0
        self.writes = 0
        self._lock = lock
        self._writable = writable
        self._journal: TextIO | None = None
        self._pending_appends: list[RunRecord] = []

    # ------------------------------------------------------------ opening
    @classmethod
    def check(cls, root: str | Path, identity: SweepIdentity, *, field: str = "out_dir") -> Path:
        """Check that a folder can receive this sweep, creating nothing.

        Args:
            root: The results folder.
            identity: The sweep.
            field: How the folder was given (for messages).

        Returns:
            The folder, resolved.

        Raises:
            InputError: When the folder is a file or a protected folder (the
                working directory, a parent of it, home, root, ``results/``),
                holds something other than a sweep, holds a different sweep
                (the message says what differs), or cannot be written.
        """
        root = Path(root).expanduser().resolve()
        reason = protected_reason(root)
        if reason is not None:
            raise InputError(
                field, str(root), f"a folder of its own ({root} is {reason}): choose another --out"
            )
        if root.exists() and not root.is_dir():
            raise InputError(field, str(root), "a folder (this is a file): choose another --out")
        if root.is_dir():
            if (root / META_FILE).exists():
                old = read_meta(root)
                differences = sweep_differences(old, identity)
                if differences or old.get("fingerprint") != identity.fingerprint:
                    shown = "; ".join(differences[:SHOWN_DIFFERENCES]) or (
                        "its fingerprint differs: written by another version of platform-abm?"
                    )
                    more = len(differences) - SHOWN_DIFFERENCES
                    shown += f"; and {more} more" if more > 0 else ""
                    raise InputError(
                        field,
                        str(root),
                        f"a new folder, or one holding this same sweep (it holds a different "
                        f"sweep: {shown}): choose another --out, or run the sweep it holds",
                    )
            else:
                others = sorted(p.name for p in root.iterdir() if p.name != LOCK_FILE)
                if others:
                    shown = ", ".join(repr(n) for n in others[:3])
                    raise InputError(
                        field,
                        str(root),
                        f"an empty folder or the results of this sweep (it holds {shown}"
                        f"{' and more' if len(others) > 3 else ''} and no {META_FILE})",
                    )
            writable = root
        else:
            writable = next(p for p in root.parents if p.exists())
            if not writable.is_dir():
                raise InputError(field, str(root), f"a folder path ({writable} is a file)")
        if not os.access(writable, os.W_OK | os.X_OK):
            raise InputError(field, str(root), f"a folder you can write to ({writable} is not)")
        return root

    @classmethod
    def open(
        cls, root: str | Path, identity: SweepIdentity, *, field: str = "out_dir"
    ) -> SweepStore:
        """Open (or create) a results folder for writing, checking it holds the same sweep.

        Args:
            root: The results folder.
            identity: The sweep (written to ``sweep.json``).
            field: How the folder was given (for messages).

        Returns:
            The store, locked until :meth:`close`.

        Raises:
            InputError: See :meth:`check`; also when another sweep is writing to it.
        """
        root = cls.check(root, identity, field=field)
        root.mkdir(parents=True, exist_ok=True)
        lock = _acquire_lock(root)
        store = cls(root, lock, writable=True)
        try:
            cls.check(root, identity, field=field)  # again, now that no other sweep can write to it
            meta_path = root / META_FILE
            resumed = meta_path.exists()
            names = list(read_meta(root).get("parameter_names", [])) if resumed else []
            for name in identity.sweep.get("parameters", {}):
                if name not in names:
                    names.append(name)
            store.meta = {
                "format": FORMAT,
                "family": identity.family,
                "fingerprint": identity.fingerprint,
                "platform_abm_version": __version__,
                "parameter_names": names,
                "record": identity.sweep.get("record", "last"),
                "sweep": plain(dict(identity.sweep)),
                "scenario": plain(dict(identity.scenario)),
            }
            text = json.dumps(store.meta, indent=2, default=str, allow_nan=False)
            write_atomic(meta_path, (text + "\n").encode("utf-8"))
            store.runs_dir.mkdir(exist_ok=True)
            if resumed:
                for folder in (root, store.runs_dir):  # left by writes a crash interrupted
                    for stale in folder.glob(".*.parquet.*.tmp"):
                        stale.unlink(missing_ok=True)
                    for stale in folder.glob(f".{META_FILE}.*.tmp"):
                        stale.unlink(missing_ok=True)
                    for stale in folder.glob(f".{MANIFEST_FILE}.*.tmp"):
                        stale.unlink(missing_ok=True)
            store._load_records()
            store._journal = (root / JOURNAL_FILE).open("a", encoding="utf-8")
            if _ends_mid_line(root / JOURNAL_FILE):
                store._journal.write("\n")  # close a line torn by a crash
            store.flush_recovered()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def read(cls, root: str | Path) -> SweepStore:
        """Open a results folder for reading (no lock; files are complete or absent).

        Args:
            root: The results folder.

        Returns:
            The store.

        Raises:
            InputError: When the folder holds no sweep.
        """
        root = Path(root).expanduser().resolve()
        store = cls(root, None, writable=False)
        store.meta = read_meta(root)
        store._load_records()
        return store

    def close(self) -> None:
        """Close the journal and release the lock."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------- state
    @property
    def parameter_names(self) -> list[str]:
        """Parameter columns of every grid this folder has held."""
        return list(self.meta.get("parameter_names", []))

    def _run_file(self, key: str) -> Path:
        return self.runs_dir / f"{key}.parquet"

    def _load_records(self) -> None:
        """Rebuild the run states from the journal, then from the run files (the truth)."""
        records: dict[str, RunRecord] = {}
        journal = self.root / JOURNAL_FILE
        if journal.is_file():
            with journal.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    try:
                        entry = json.loads(line)
                        record = RunRecord(**entry)
                    except (ValueError, TypeError):
                        continue  # a line torn by a crash: the run files decide
                    previous = records.get(record.key)
                    record.attempts = (previous.attempts + 1) if previous else 1
                    records[record.key] = record
        files = (
            {p.stem for p in self.runs_dir.glob("*.parquet") if not p.name.startswith(".")}
            if self.runs_dir.is_dir()
            else set()
        )
        for key in [
            k for k, r in records.items() if r.state in COMPLETED_STATES and k not in files
        ]:
            del records[key]  # its file was removed: run it again
        for key in sorted(files):
            record = records.get(key)
            if record is None or record.state not in COMPLETED_STATES:
                recovered = self._record_from_file(key, record)
                records[key] = recovered
                if self._writable:
                    self._pending_appends.append(recovered)
        self.records = records

    def _record_from_file(self, key: str, previous: RunRecord | None) -> RunRecord:
        """A completed run's record for a run file the journal does not list as completed."""
        first = pq.read_table(self._run_file(key)).slice(0, 1).to_pylist()
        row = first[0] if first else {}
        columns = {name: row[name] for name in self.parameter_names if name in row}
        diverged = row.get("status") == STATUS_DIVERGED
        return RunRecord(
            key=key,
            state=STATE_DIVERGED if diverged else STATE_DONE,
            replicate=row.get("replicate"),
            seed=row.get("seed"),
            columns=columns,
            error=str(row.get("message") or "") if diverged else "",
            attempts=(previous.attempts + 1) if previous else 1,
            finished_at=_now(),
        )

    def state(self, key: str) -> str:
        """``done``, ``diverged``, ``failed``, ``lost`` or ``pending`` for a run key."""
        record = self.records.get(key)
        return record.state if record is not None else STATE_PENDING

    # ------------------------------------------------------------ writing
    def _append(self, record: RunRecord) -> None:
        if self._journal is None:
            raise RuntimeError("the store is not open for writing")
        entry = {
            "key": record.key,
            "state": record.state,
            "replicate": record.replicate,
            "seed": record.seed,
            "columns": plain(record.columns),
            "error": record.error,
            "traceback": record.traceback,
            "wall_time_s": record.wall_time_s,
            "finished_at": record.finished_at,
        }
        self._journal.write(json.dumps(entry, default=str) + "\n")
        self._journal.flush()

    def record_done(
        self,
        key: str,
        table: pd.DataFrame,
        replicate: int,
        seed: int,
        columns: Mapping[str, Any],
        wall_time_s: float,
        diverged: str | None = None,
    ) -> None:
        """Write a completed run's table (atomically), then journal it.

        Args:
            key: Run key.
            table: The run's rows (parameters and collected data).
            replicate: Replicate number.
            seed: Model seed.
            columns: Parameter cells by column name.
            wall_time_s: How long the run took.
            diverged: The model's message when the run diverged (state
                ``diverged``); None for a run that completed normally.
        """
        started = time.perf_counter()
        buffer = io.BytesIO()
        table.to_parquet(buffer, index=False)
        write_atomic(self._run_file(key), buffer.getvalue())
        previous = self.records.get(key)
        record = RunRecord(
            key,
            STATE_DONE if diverged is None else STATE_DIVERGED,
            replicate,
            seed,
            dict(columns),
            error=diverged or "",
            wall_time_s=wall_time_s,
            attempts=(previous.attempts + 1) if previous else 1,
            finished_at=_now(),
        )
        self._append(record)
        self.records[key] = record
        self.write_seconds += time.perf_counter() - started
        self.writes += 1

    def record_failed(
        self,
        key: str,
        error: str,
        traceback: str,
        replicate: int,
        seed: int,
        columns: Mapping[str, Any],
        wall_time_s: float | None,
        state: str = STATE_FAILED,
    ) -> None:
        """Journal a run that did not complete (its error and traceback).

        Args:
            key: Run key.
            error: One-line error.
            traceback: Full traceback text.
            replicate: Replicate number.
            seed: Model seed.
            columns: Parameter cells by column name.
            wall_time_s: How long the attempt took (None when unknown).
            state: ``failed`` (the run raised by itself: re-run only when
                asked) or ``lost`` (the infrastructure lost it: the next sweep
                command runs it again).
        """
        if state not in (STATE_FAILED, STATE_LOST):
            raise ValueError(f"state must be {STATE_FAILED!r} or {STATE_LOST!r}, not {state!r}")
        previous = self.records.get(key)
        record = RunRecord(
            key,
            state,
            replicate,
            seed,
            dict(columns),
            error,
            traceback,
            wall_time_s,
            attempts=(previous.attempts + 1) if previous else 1,
            finished_at=_now(),
        )
        self._append(record)
        self.records[key] = record

    def flush_recovered(self) -> None:
        """Journal the runs found done on disk but missing from the journal."""
        for record in self._pending_appends:
            self._append(record)
        self._pending_appends.clear()

    def manifest(self, runs: Iterable[Any] = ()) -> pd.DataFrame:
        """One row per run key: recorded runs, plus the current grid's pending runs.

        Args:
            runs: The current grid's :class:`~platform_abm.batch.spec.RunSpec` objects.

        Returns:
            Columns ``run_key``, ``state``, ``in_sweep``, ``replicate``, ``seed``,
            ``attempts``, ``wall_time_s``, ``error``, ``finished_at`` and the
            parameter columns, sorted by run key.
        """
        current = {run.key: run for run in runs}
        rows = []
        for key in sorted(set(self.records) | set(current)):
            record = self.records.get(key)
            run = current.get(key)
            row: dict[str, Any] = {
                "run_key": key,
                "state": record.state if record else STATE_PENDING,
                "in_sweep": run is not None,
                "replicate": run.replicate if run else record.replicate if record else None,
                "seed": run.seed if run else record.seed if record else None,
                "attempts": record.attempts if record else 0,
                "wall_time_s": record.wall_time_s if record else None,
                "error": record.error if record else "",
                "finished_at": record.finished_at if record else "",
            }
            row.update(dict(run.columns) if run else record.columns if record else {})
            rows.append(row)
        columns = [
            "run_key",
            "state",
            "in_sweep",
            "replicate",
            "seed",
            "attempts",
            "wall_time_s",
            "error",
            "finished_at",
        ]
        frame = pd.DataFrame(rows, columns=[*columns, *self.parameter_names])
        return _uniform(frame)

    def write_manifest(self, runs: Iterable[Any] = ()) -> pd.DataFrame:
        """Rewrite ``manifest.parquet`` atomically.

        Args:
            runs: The current grid's runs (see :meth:`manifest`).

        Returns:
            The manifest written.
        """
        frame = self.manifest(runs)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        write_atomic(self.root / MANIFEST_FILE, buffer.getvalue())
        return frame

    # ------------------------------------------------------------ reading
    def done_keys(self) -> list[str]:
        """Keys of every run completed normally (not diverged), sorted."""
        return sorted(k for k, r in self.records.items() if r.state == STATE_DONE)

    def keys_in(self, state: str) -> list[str]:
        """Keys of every run in a state, sorted."""
        return sorted(k for k, r in self.records.items() if r.state == state)

    def load_table(
        self, keys: Sequence[str] | None = None, include_diverged: bool = False
    ) -> pd.DataFrame:
        """The rows of completed runs, sorted by run key (then round).

        Args:
            keys: Run keys to load (default: every completed run); keys that
                are not completed are skipped.
            include_diverged: Also load the runs that diverged (their rows have
                status ``diverged``; with ``record = "last"`` they hold no
                metric columns, so the merged table has empty cells there).

        Returns:
            One table; ``attrs["parameters"]`` lists the parameter columns.
        """
        states = COMPLETED_STATES if include_diverged else (STATE_DONE,)
        candidates = self.records if keys is None else set(keys)
        wanted = sorted(k for k in candidates if self.state(k) in states)
        tables = [pq.read_table(self._run_file(key)) for key in wanted]
        if tables:
            merged = pa.concat_tables(tables, promote_options="permissive")
            frame = merged.replace_schema_metadata(None).to_pandas()
            if not include_diverged and "status" in frame:  # folders journalled before 'diverged'
                frame = frame[frame["status"] != STATUS_DIVERGED].reset_index(drop=True)
        else:
            frame = pd.DataFrame(columns=list(META_COLUMNS))
        frame.attrs["parameters"] = [n for n in self.parameter_names if n in frame.columns]
        return frame

    def diverged_table(self, keys: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per diverged run: key, replicate, seed, message and parameter cells.

        Args:
            keys: Run keys to consider (default: every recorded run).

        Returns:
            The table (read from the journal, no run file is opened);
            ``attrs["parameters"]`` lists the parameter columns.
        """
        candidates = self.records if keys is None else set(keys)
        rows = []
        for key in sorted(candidates):
            record = self.records.get(key)
            if record is None or record.state != STATE_DIVERGED:
                continue
            rows.append(
                {
                    "run_key": key,
                    "replicate": record.replicate,
                    "seed": record.seed,
                    "status": STATUS_DIVERGED,
                    "message": record.error,
                    **record.columns,
                }
            )
        frame = pd.DataFrame(rows, columns=[*META_COLUMNS, *self.parameter_names])
        frame.attrs["parameters"] = list(self.parameter_names)
        return frame


_ABSENT: Any = object()


def _normal(value: Any) -> Any:
    """A JSON-like value as it reads back from ``sweep.json`` (tuples as lists, dates as text)."""
    return json.loads(json.dumps(plain(value), default=str))


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """The leaves of a document by dotted path (lists and empty tables are leaves)."""
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: value}


def _shown(value: Any, width: int = 60) -> str:
    if value is _ABSENT:
        return "(absent)"
    text = canonical_json(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def sweep_differences(meta: Mapping[str, Any], identity: SweepIdentity) -> list[str]:
    """What differs between the sweep a folder holds and another one, path by path.

    Args:
        meta: The folder's ``sweep.json``.
        identity: The other sweep.

    Returns:
        One ``"path: old → new"`` line per difference (empty when the same).
    """

    def leaves(family_: Any, scenario_: Any, sweep_: Any) -> dict[str, Any]:
        flat = {"family": family_, **_flat(_normal(scenario_ or {}))}
        flat.update({f"sweep.{k}": v for k, v in _flat(_normal(sweep_ or {})).items()})
        flat.pop("", None)
        flat.pop("sweep", None)
        return flat

    old = leaves(meta.get("family"), meta.get("scenario"), meta.get("sweep"))
    new = leaves(identity.family, identity.scenario, identity.sweep)
    differences = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path, _ABSENT), new.get(path, _ABSENT)
        if before is _ABSENT or after is _ABSENT or canonical_json(before) != canonical_json(after):
            differences.append(f"{path}: {_shown(before)} → {_shown(after)}")
    return differences


def _uniform(frame: pd.DataFrame) -> pd.DataFrame:
    """Give every object column one type, writing mixed columns as canonical JSON."""
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        kinds = {type(v) for v in frame[column] if v is not None and v == v}
        if len(kinds) > 1 or kinds - {str, bool, int, float}:
            frame[column] = [
                None if v is None else v if isinstance(v, str) else canonical_json(v)
                for v in frame[column]
            ]
    return frame
