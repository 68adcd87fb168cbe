"""Results folders: written completely or not at all.

A run's folder holds the round-by-round table (``rounds.csv`` and
``rounds.parquet``), ``summary.json`` (scenario, package version, final state)
and PNG figures. Everything is written into a temporary sibling folder first,
which then replaces the target in one rename, so an interrupted or failed run
never leaves a partial folder behind.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


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


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_atomic(path: Path, content: bytes) -> None:
    """Write one file through a temporary name in the same folder and a rename.

    Args:
        path: Destination file.
        content: Bytes to write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_results(
    out_dir: str | Path,
    table: pd.DataFrame,
    summary: Mapping[str, Any],
    figures: Mapping[str, Figure] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write a complete results folder, replacing any previous one atomically.

    Args:
        out_dir: The results folder.
        table: Round-by-round table (``rounds.csv`` and ``rounds.parquet``).
        summary: JSON-serialisable summary (numpy scalars and NaN are converted).
        figures: PNG figures by file stem.
        tables: Further tables by file stem, each written as CSV and Parquet.

    Returns:
        The folder written.
    """
    target = Path(out_dir).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        for stem, frame in {"rounds": table, **(tables or {})}.items():
            frame.to_csv(staging / f"{stem}.csv", index=False)
            frame.to_parquet(staging / f"{stem}.parquet", index=False)
        text = json.dumps(jsonable(summary), indent=2, allow_nan=False)
        (staging / "summary.json").write_text(text + "\n", encoding="utf-8")
        for stem, figure in (figures or {}).items():
            figure.savefig(staging / f"{stem}.png", dpi=110, bbox_inches="tight")
        if target.exists():
            retired = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old."))
            os.replace(target, retired / target.name)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def drift_figure(table: pd.DataFrame, title: str) -> Figure:
    """Drift ||θ_{t+1} − θ_t|| per round on a log scale.

    Args:
        table: Round table with ``round`` and ``drift`` columns.
        title: Figure title.

    Returns:
        The figure.
    """
    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    positive = table[table["drift"] > 0]
    axes.semilogy(positive["round"], positive["drift"], marker="o")
    axes.set_xlabel("round t")
    axes.set_ylabel(r"$\|\theta_{t+1}-\theta_t\|$")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    return figure


def save_figure(figure: Figure, path: str | Path, dpi: int = 110) -> None:
    """Save a figure as PNG atomically (temporary name, then rename).

    Args:
        figure: The figure.
        path: Destination ``.png`` file.
        dpi: Resolution.
    """
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    write_atomic(Path(path), buffer.getvalue())


def save_table(table: pd.DataFrame, path: str | Path) -> None:
    """Save a table as CSV atomically (temporary name, then rename).

    Args:
        table: The table.
        path: Destination ``.csv`` file.
    """
    write_atomic(Path(path), table.to_csv(index=False).encode("utf-8"))
