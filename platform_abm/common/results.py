"""Results folders: written completely or not at all, and never over what the program did not write.

A run's folder holds the round-by-round table (``rounds.csv`` and
``rounds.parquet``), ``summary.json`` (scenario, package version, final state),
PNG figures and a marker, ``.platform_abm.json``, naming the package, its
version, the command, the scenario (or figure) and the files the program wrote
there. :class:`OutputFolder` is how every command writes one:

* Before anything is computed it checks the target and creates a hidden staging
  folder for the results (so a location that cannot be written fails at once).
* The results are written into the staging folder; when they are complete, the
  staging folder takes the target's place (one rename when the target is new,
  empty or holds only the program's files). On an error or Ctrl-C the staging
  folder is removed and the target is left as it was.
* A target is replaced only if it is missing, empty or carries the marker.
  A file, the working directory or one of its parents, the home folder (or one
  of its parents), the filesystem root and ``results/`` itself are always
  refused. A non-empty folder without the marker is refused unless ``force``:
  then the new files are added next to the folder's own, and nothing in it is
  deleted or overwritten (a name clash is refused).
* Files in a marked folder that the marker does not list (added by the user)
  are kept: only the files the marker lists are replaced or removed.

The rules are documented for users in ``docs/cli.md``.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import math
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from platform_abm.common.errors import InputError
from platform_abm.common.signals import deferred_signals

if TYPE_CHECKING:  # matplotlib is imported by the code that draws, not by the command line
    from matplotlib.figure import Figure

MARKER = ".platform_abm.json"
"""The marker file of a results folder written by this package."""

PACKAGE = "platform_abm"
RESULTS_ROOT = "results"
"""Folder (relative to the working directory) holding the default results folders."""

_STAGING_SUFFIX = ".tmp"
_INNER_STAGING_PREFIX = ".platform_abm-staging-"


def jsonable(value: Any) -> Any:
    """Convert numpy scalars, tuples and non-finite floats for strict JSON."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def current_umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux).

    Elsewhere it is read by setting and restoring it, which is not atomic but
    only matters to threads creating files at that very moment.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, content: bytes) -> None:
    """Write one file through a temporary name in the same folder and a rename.

    Args:
        path: Destination file.
        content: Bytes to write.

    Raises:
        OSError: When the file cannot be written; the error names ``path``
            (not the temporary name), and no temporary file is left.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except FileExistsError as exc:  # a file stands where a folder of the path should be
        raise OSError(errno.ENOTDIR, "a file is in the way of its folder", str(path)) from exc
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException as exc:
        with deferred_signals():
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename != str(path):
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


# ---------------------------------------------------------------- targets
def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError, OSError):  # no home folder known
        return None


def protected_reason(target: Path) -> str | None:
    """Why a resolved path may never be a results folder, or None.

    Args:
        target: An absolute, resolved path.

    Returns:
        A short description (``"the working directory"``...), or None.
    """
    cwd = Path.cwd().resolve()
    home = _home()
    if target.parent == target:
        return "the filesystem root"
    if target == cwd:
        return "the working directory"
    if cwd.is_relative_to(target):
        return "a parent of the working directory"
    if home is not None and target == home:
        return "your home folder"
    if home is not None and home.is_relative_to(target):
        return "a parent of your home folder"
    if target == (cwd / RESULTS_ROOT).resolve():
        return f"the {RESULTS_ROOT}/ folder that holds every results folder"
    return None


def default_target(name: str, *, under: str | Path = RESULTS_ROOT, field: str) -> Path:
    """``results/<name>`` (or ``<under>/<name>``), refused when it is not strictly inside.

    A name such as ``.`` or ``..`` would make the results folder ``results/``
    itself or a folder outside it; this check does not rely on the name having
    been validated elsewhere.

    Args:
        name: Scenario (or figure) name.
        under: The folder the default results folders live in.
        field: The field the name came from (for the message).

    Returns:
        The (relative) target path.

    Raises:
        InputError: When the target is not a folder strictly inside ``under``.
    """
    root = Path(under)
    target = root / str(name)
    try:
        resolved, resolved_root = target.resolve(), root.resolve()
    except (OSError, ValueError) as exc:  # a NUL byte, a loop of links
        raise InputError(field, name, f"a name usable as a folder name ({exc})") from None
    if resolved == resolved_root or not resolved.is_relative_to(resolved_root):
        raise InputError(
            field,
            name,
            f"a name whose results folder is inside {root}/ (this one gives {resolved}); "
            "rename it, or choose the folder with --out",
        )
    return target


def _safe_name(name: Any) -> bool:
    return (
        isinstance(name, str)
        and name not in ("", ".", "..", MARKER)
        and "/" not in name
        and "\\" not in name
        and "\0" not in name
    )


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a folder written by this package, or None (missing or not ours).

    Args:
        folder: A folder.

    Returns:
        The marker, with ``files`` reduced to plain entry names.
    """
    path = Path(folder) / MARKER
    try:
        if path.is_symlink() or not path.is_file():
            return None
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("package") != PACKAGE:
        return None
    files = marker.get("files")
    if not isinstance(files, list):
        return None
    marker["files"] = sorted({f for f in files if _safe_name(f)})
    return marker


@dataclass
class _State:
    """What a target holds: ``absent``, ``file``, ``empty``, ``ours``, ``mixed`` or ``foreign``."""

    kind: str
    marker: dict[str, Any] | None = None
    foreign: list[str] = field(default_factory=list)


def _entries(folder: Path, skip: str | None = None) -> list[str]:
    return sorted(e.name for e in os.scandir(folder) if e.name != skip)


def _inspect(target: Path, skip: str | None = None) -> _State:
    if not target.exists() and not target.is_symlink():
        return _State("absent")
    if target.is_symlink() or not target.is_dir():
        return _State("file")
    entries = _entries(target, skip)
    if not entries:
        return _State("empty")
    marker = read_marker(target)
    ours = {MARKER, *marker["files"]} if marker else set()
    foreign = [name for name in entries if name not in ours]
    if marker is None:
        return _State("foreign", None, foreign)
    return _State("mixed" if foreign else "ours", marker, foreign)


def _listing(names: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    more = len(names) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


class OutputFolder:
    """A results folder written through a staging folder (see the module docstring).

    Use it as a context manager: entering checks the target and returns the
    staging folder to write into; leaving without an error puts the results in
    place with the marker; leaving with an error (or Ctrl-C) removes the
    staging folder and any folder created for it, leaving the target untouched.

    Example::

        with OutputFolder("results/demo", command="run", name="demo") as staging:
            save_table(table, staging / "rounds.csv")

    Args:
        target: The results folder.
        command: The command writing it (for the marker).
        name: The scenario or figure name (for the marker).
        force: Also write into a non-empty folder that has no marker: the new
            files are added next to the folder's own, nothing is deleted, and a
            name clash with a file the program did not write is refused.
        field: How the target was given (``--out``, ``output.dir``...), for messages.
        expected: Names the results will certainly include, checked for a clash
            before anything runs (with ``force``).

    Raises:
        InputError: (On entering, or on leaving if the target changed meanwhile)
            when the target may not be written: it is a file or a protected
            folder, it holds files the program did not write (without
            ``force``), a result would overwrite one of them, or it cannot be
            written (read-only, no permission).
    """

    def __init__(
        self,
        target: str | Path,
        *,
        command: str,
        name: str,
        force: bool = False,
        field: str = "--out",
        expected: Sequence[str] = (),
    ) -> None:
        self.target = Path(target).expanduser().resolve()
        self.given = str(target)
        self.command = command
        self.name = str(name)
        self.force = force
        self.field = field
        self.expected = tuple(expected)
        self.staging: Path | None = None
        self._inner = False
        self._created: list[Path] = []

    # ------------------------------------------------------------ checks
    def _refuse(self, allowed: str) -> InputError:
        return InputError(self.field, str(self.target), allowed)

    def _check(self, state: _State) -> None:
        reason = protected_reason(self.target)
        if reason is not None:
            raise self._refuse(
                f"a folder of its own ({self.target} is {reason}, which platform-abm never "
                "replaces, even with --force): choose another --out"
            )
        if state.kind == "file":
            raise self._refuse(
                "a folder (this is a file, which platform-abm never replaces, even with "
                "--force): choose another --out"
            )
        if state.kind == "foreign" and not self.force:
            raise self._refuse(
                f"a new or empty folder, or one written by platform-abm (this one holds "
                f"{_listing(state.foreign)}, which platform-abm did not write, and no {MARKER}): "
                "choose another --out, or add --force to write next to them (nothing is "
                "deleted)"
            )
        if state.kind in ("foreign", "mixed"):
            self._check_clashes(state, self.expected)

    def _check_clashes(self, state: _State, names: Sequence[str]) -> None:
        ours = set(state.marker["files"]) if state.marker else set()
        clashes = [n for n in names if n in state.foreign and n not in ours]
        if state.marker is None and MARKER in state.foreign:
            clashes.insert(0, MARKER)
        if clashes:
            raise self._refuse(
                f"a folder where the results do not overwrite files platform-abm did not write "
                f"({_listing(clashes)} would be): move them away, or choose another --out"
            )

    def _check_writable(self, folder: Path) -> None:
        if not os.access(folder, os.W_OK | os.X_OK):
            raise self._refuse(f"a folder you can write to ({folder} is not writable)")

    # --------------------------------------------------------- lifecycle
    def __enter__(self) -> Path:
        try:
            state = _inspect(self.target)
        except OSError as exc:
            raise self._refuse(f"a folder you can read and write ({exc.strerror})") from None
        self._check(state)
        try:
            with deferred_signals():
                self.staging = self._make_staging(state)
        except OSError as exc:
            self._discard()
            where = Path(exc.filename) if exc.filename else self.target
            if where.name.endswith(_STAGING_SUFFIX):  # name the folder, not our temporary name
                where = where.parent
            raise self._refuse(f"a folder you can write to ({where}: {exc.strerror})") from None
        return self.staging

    def _make_staging(self, state: _State) -> Path:
        if state.kind in ("foreign", "mixed"):
            self._check_writable(self.target)
            self._inner = True
            parent, prefix = self.target, _INNER_STAGING_PREFIX
        else:
            if state.kind != "absent":
                self._check_writable(self.target)
            parent, prefix = self.target.parent, f".{self.target.name}."
            missing = [p for p in (parent, *parent.parents) if not p.exists()]
            for folder in reversed(missing):
                folder.mkdir()
                self._created.append(folder)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=prefix, suffix=_STAGING_SUFFIX))
        os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp gives 0700: follow the umask
        return staging

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self._discard()
            return
        try:
            with deferred_signals():
                self._commit()
        except BaseException:
            self._discard()
            raise

    def _discard(self) -> None:
        with deferred_signals():
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
                self.staging = None
            for folder in reversed(self._created):
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only if still empty
            self._created.clear()

    # ------------------------------------------------------------ commit
    def _marker(self, files: Sequence[str]) -> bytes:
        from platform_abm import __version__

        marker = {
            "package": PACKAGE,
            "version": __version__,
            "command": self.command,
            "name": self.name,
            "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": sorted(files),
        }
        return (json.dumps(marker, indent=2) + "\n").encode("utf-8")

    def _commit(self) -> None:
        staging = self.staging
        if staging is None:
            raise RuntimeError("OutputFolder used outside its with block")
        new = [n for n in _entries(staging) if _safe_name(n)]
        state = _inspect(self.target, skip=staging.name if self._inner else None)
        self._check(state)
        if self._inner or state.kind in ("foreign", "mixed"):
            self._merge(state, new)
        elif state.kind == "absent":
            write_atomic(staging / MARKER, self._marker(new))
            os.replace(staging, self.target)
        else:  # empty, or only the program's files: swap the folders
            self._swap(new)
        self.staging = None
        self._created.clear()

    def _swap(self, new: Sequence[str]) -> None:
        staging = self.staging
        assert staging is not None
        write_atomic(staging / MARKER, self._marker(new))
        retired = self.target.with_name(f".{self.target.name}.{secrets.token_hex(6)}.old")
        os.rename(self.target, retired)
        try:
            os.replace(staging, self.target)
        except BaseException:
            os.rename(retired, self.target)
            raise
        shutil.rmtree(retired, ignore_errors=True)

    def _merge(self, state: _State, new: Sequence[str]) -> None:
        staging = self.staging
        assert staging is not None
        self._check_clashes(state, new)
        ours = set(state.marker["files"]) if state.marker else set()
        # Listed first, so that an interruption leaves every file of ours known as ours.
        write_atomic(self.target / MARKER, self._marker(sorted(ours | set(new))))
        for name in new:
            destination = self.target / name
            if destination.is_dir() and not destination.is_symlink():
                _remove(destination)
            os.replace(staging / name, destination)
        for name in sorted(ours - set(new)):
            _remove(self.target / name)
        write_atomic(self.target / MARKER, self._marker(new))
        shutil.rmtree(staging, ignore_errors=True)


# ---------------------------------------------------------------- writers
def save_table(table: pd.DataFrame, path: str | Path) -> None:
    """Save a table as CSV atomically (temporary name, then rename).

    Args:
        table: The table.
        path: Destination ``.csv`` file.
    """
    write_atomic(Path(path), table.to_csv(index=False).encode("utf-8"))


def save_figure(figure: Figure, path: str | Path, dpi: int = 110) -> None:
    """Save a figure as PNG atomically (temporary name, then rename).

    Every command writes its figures through this function.

    Args:
        figure: The figure.
        path: Destination ``.png`` file.
        dpi: Resolution.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    write_atomic(Path(path), buffer.getvalue())


def save_json(content: Mapping[str, Any], path: str | Path) -> None:
    """Save a summary as strict, indented JSON atomically (numpy scalars and NaN converted).

    Args:
        content: The summary.
        path: Destination ``.json`` file.
    """
    text = json.dumps(jsonable(content), indent=2, allow_nan=False) + "\n"
    write_atomic(Path(path), text.encode("utf-8"))


def write_run_files(
    folder: str | Path,
    table: pd.DataFrame,
    summary: Mapping[str, Any],
    figures: Mapping[str, Figure] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """Write a run's files into a folder (a staging folder of :class:`OutputFolder`).

    Args:
        folder: The folder (created if missing).
        table: Round-by-round table (``rounds.csv`` and ``rounds.parquet``).
        summary: JSON-serialisable summary (numpy scalars and NaN are converted).
        figures: PNG figures by file stem.
        tables: Further tables by file stem, each written as CSV and Parquet.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for stem, frame in {"rounds": table, **(tables or {})}.items():
        save_table(frame, folder / f"{stem}.csv")
        frame.to_parquet(folder / f"{stem}.parquet", index=False)
    save_json(summary, folder / "summary.json")
    for stem, figure in (figures or {}).items():
        save_figure(figure, folder / f"{stem}.png")


RUN_FILES = ("rounds.csv", "rounds.parquet", "summary.json")
"""Files every run's folder holds (checked for clashes before a run starts)."""


#: errno values meaning "this location cannot be used" (the user's choice: exit 2);
#: anything else (disk full, I/O error) is a failure to finish (exit 1).
LOCATION_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "EACCES",
        "EPERM",
        "EROFS",
        "ENOENT",
        "ENOTDIR",
        "EISDIR",
        "EEXIST",
        "ENAMETOOLONG",
        "ELOOP",
        "ENOTEMPTY",
        "EXDEV",
        "EINVAL",
    )
    if hasattr(errno, name)
)
