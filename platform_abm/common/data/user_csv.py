"""A user's own labelled CSV file as a population."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from platform_abm.common.data.population import Population, standardise
from platform_abm.common.data.tables import numeric_column, read_table
from platform_abm.common.errors import InputError


def load_csv(
    path: str | os.PathLike[str],
    label: str,
    features: Sequence[str] | None = None,
    standardize: bool = True,
    add_bias: bool = True,
) -> Population:
    """Load a user's own labelled CSV file.

    Args:
        path: The CSV file (comma-separated, header row).
        label: Name of the label column; its values must be 0 or 1.
        features: Feature columns in order; None takes every other column
            except unnamed ones (such as a saved index).
        standardize: Centre and scale every feature by its mean and population
            standard deviation (constant columns are only centred).
        add_bias: Append a constant column named ``"bias"``.

    Returns:
        The population (source ``"csv:<path>"``).

    Raises:
        InputError: When the file is missing, empty or not CSV; when the label
            or a feature column is missing; when a feature is non-numeric or a
            feature or label holds missing/infinite values; when labels are
            not all 0 or 1. The message names the file and column.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise InputError("population.path", str(path), "an existing CSV file")
    where = str(file)
    frame = read_table(file)
    frame.columns = [str(c) for c in frame.columns]
    columns = list(frame.columns)
    if frame.shape[0] == 0:
        raise InputError(where, "a header without data rows", "at least one data row")
    if label not in frame.columns:
        raise InputError(f"{where}: label column", label, f"one of the columns {columns}")
    if features is None:
        names = [c for c in columns if c != label and not c.startswith("Unnamed:")]
    elif isinstance(features, str):
        raise InputError("population.features", features, "a list of column names")
    else:
        names = [str(f) for f in features]
    if not names:
        raise InputError(f"{where}: features", names, "at least one feature column")
    for name in names:
        if name not in frame.columns:
            raise InputError(f"{where}: feature column", name, f"one of the columns {columns}")
        if name == label:
            raise InputError(f"{where}: feature column", name, "a column other than the label")
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise InputError(f"{where}: features", duplicated, "each column at most once")
    if add_bias and "bias" in names:
        raise InputError(
            f"{where}: feature column", "bias", "no column named 'bias' when add_bias is set"
        )
    X = np.column_stack([numeric_column(frame, name, where) for name in names])
    for j, name in enumerate(names):
        bad = ~np.isfinite(X[:, j])
        if bad.any():
            raise InputError(
                f"{where}: column {name!r}",
                f"{int(bad.sum())} of {len(X)} rows missing or infinite "
                f"(first at data row {int(np.flatnonzero(bad)[0]) + 1})",
                "finite numbers in every row (drop or impute those rows first)",
            )
    try:
        y = numeric_column(frame, label, where)
    except InputError as exc:
        raise InputError(f"{where}: label column {label!r}", exc.value, "only 0 and 1") from None
    bad = ~np.isfinite(y)
    if bad.any():
        raise InputError(
            f"{where}: label column {label!r}",
            f"{int(bad.sum())} of {len(y)} rows missing or infinite "
            f"(first at data row {int(np.flatnonzero(bad)[0]) + 1})",
            "a label 0 or 1 in every row",
        )
    if not np.isin(y, (0.0, 1.0)).all():
        others = np.unique(y[~np.isin(y, (0.0, 1.0))])
        shown = ", ".join(f"{v:g}" for v in others[:5]) + (", ..." if len(others) > 5 else "")
        raise InputError(f"{where}: label column {label!r}", f"values {shown}", "only 0 and 1")
    if standardize:
        X = standardise(X)
    if add_bias:
        X = np.column_stack([X, np.ones(len(X))])
        names.append("bias")
    return Population(X=X, y=y, feature_names=tuple(names), source=f"csv:{file}")
