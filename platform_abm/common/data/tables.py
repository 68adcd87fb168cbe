"""Reading a data file: a CSV, or a zip holding one, checked before pandas reads it."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from platform_abm.common.errors import InputError

MAX_DATA_BYTES = 2 * 1024**3
"""Largest data file read (or CSV inside a zip): 2 GiB of CSV is already ~10 GiB in pandas."""

SNIFF_BYTES = 64 * 1024
"""How much of a data file is inspected before it is read."""


def _csv_member(archive: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    """The one CSV file inside a zip archive, or InputError."""
    members = [
        info
        for info in archive.infolist()
        if info.filename.lower().endswith(".csv") and not info.filename.startswith("__MACOSX/")
    ]
    if len(members) != 1:
        raise InputError(
            str(path), archive.namelist(), "a zip archive holding exactly one .csv file"
        )
    return members[0]


def _size(size: int) -> str:
    return f"{size / 1024**3:.1f} GiB" if size >= 1024**3 else f"{size / 1024**2:.1f} MiB"


def check_data_file(path: Path) -> None:
    """Refuse a data file that cannot be a CSV (or a zip holding one), before reading it.

    Reads at most :data:`SNIFF_BYTES` of the file (or of the CSV inside a
    zip): the file must not be empty, the beginning must be UTF-8 text without
    NUL bytes with a complete header row of distinct column names (pandas
    would silently rename duplicates), and the CSV must be at most
    :data:`MAX_DATA_BYTES` long. Memory and time are bounded whatever the file.

    Args:
        path: The file.

    Raises:
        InputError: Naming the file and what was found.
    """
    where = str(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise InputError(where, "an empty file (0 bytes)", "a CSV file with a header row")
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                member = _csv_member(archive, path)
                where, size = f"{path}:{member.filename}", member.file_size
                with archive.open(member) as handle:
                    head = handle.read(SNIFF_BYTES)
        else:
            with path.open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
    except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
        raise InputError(where, f"unreadable ({exc})", "a readable CSV or ZIP file") from None
    _check_csv_head(head, where, complete=size <= SNIFF_BYTES)
    if size > MAX_DATA_BYTES:
        raise InputError(
            where, f"a CSV of {_size(size)}", f"a data file of at most {_size(MAX_DATA_BYTES)}"
        )


def _check_csv_head(head: bytes, where: str, complete: bool) -> None:
    """Refuse a beginning that is not CSV text with a header row of distinct names."""
    expected = "a comma-separated text file (UTF-8) with a header row"
    nul = head.find(b"\x00")
    if nul >= 0:
        found = "only NUL bytes" if not head.strip(b"\x00") else f"a NUL byte at offset {nul}"
        raise InputError(where, f"binary data ({found} in the first {len(head)} bytes)", expected)
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=complete)
    except UnicodeDecodeError as exc:
        raise InputError(where, f"bytes that are not UTF-8 text ({exc.reason})", expected) from None
    if "\n" not in text and "\r" not in text and not complete:
        raise InputError(where, f"no line break in the first {len(head)} bytes", expected)
    header = next(csv.reader(io.StringIO(text.splitlines()[0] if text else "")), [])
    names = [name.strip() for name in header if name.strip()]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise InputError(
            f"{where}: header", duplicated, "distinct column names (each name at most once)"
        )


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV file, or the single CSV inside a zip archive, into a data frame.

    The file is checked first (:func:`check_data_file`), so that neither its
    size nor its content can exhaust memory or time before an error.

    Raises:
        InputError: When the file cannot be read as CSV (or holds no CSV).
    """
    check_data_file(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                raw = archive.read(_csv_member(archive, path))
            return pd.read_csv(io.BytesIO(raw), low_memory=False)
        return pd.read_csv(path, low_memory=False)
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(str(path), "an empty file", "a CSV file with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError, zipfile.BadZipFile, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            str(path), f"unreadable as CSV ({reason})", "a comma-separated file"
        ) from None


def numeric_column(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
    """Column as float64, or InputError naming the column and a non-numeric value."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    converted = pd.to_numeric(series, errors="coerce")
    bad = converted.isna() & series.notna()
    if bad.any():
        first = series[bad].iloc[0]
        raise InputError(
            f"{where}: column {column!r}",
            f"{int(bad.sum())} non-numeric value(s), e.g. {first!r}",
            "numbers only",
        )
    return converted.to_numpy(dtype=np.float64, na_value=np.nan)
