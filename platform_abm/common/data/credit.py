"""The Kaggle "Give Me Some Credit" file, found and read through the paper's pipeline.

The file is not redistributed with the package: :func:`find_credit_file`
looks for it, and :func:`load_credit` turns it into the paper's population
(``docs/model.md`` §5).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

import numpy as np

from platform_abm.common.data.population import Population, check_seed, standardise
from platform_abm.common.data.tables import numeric_column, read_table
from platform_abm.common.errors import DataUnavailableError, InputError

CREDIT_LABEL = "SeriousDlqin2yrs"
"""Label column of the Kaggle credit file (1 = serious delinquency within two years)."""

CREDIT_FEATURES: tuple[str, ...] = (
    "RevolvingUtilizationOfUnsecuredLines",
    "age",
    "NumberOfTime30-59DaysPastDueNotWorse",
    "DebtRatio",
    "MonthlyIncome",
    "NumberOfOpenCreditLinesAndLoans",
    "NumberOfTimes90DaysLate",
    "NumberRealEstateLoansOrLines",
    "NumberOfTime60-89DaysPastDueNotWorse",
    "NumberOfDependents",
    "bias",
)
"""Feature names of the credit populations, in ``docs/model.md`` §5 order; the last is the bias."""

CREDIT_NON_DEFAULTERS = 10_000
"""Number of non-defaulters kept (the first ones in file order)."""

CREDIT_SIZE = 18_357
"""Size of the credit population built from the Kaggle file (8,357 defaulters)."""

CREDIT_ENV_VAR = "PLATFORM_ABM_CREDIT_CSV"
"""Environment variable naming a copy of the Kaggle credit file (.csv or .zip)."""

WHYNOT_CREDIT_MEMBER = ("simulators", "credit", "credit_data.zip")
"""Location of the credit file inside the installed ``whynot`` package."""

_HOW_TO_GET_CREDIT = (
    "the Kaggle 'Give Me Some Credit' training file is not available. Provide it in one "
    "of three ways: (1) pass its path explicitly (population.path in a scenario, or "
    f"--data on the command line); (2) set the environment variable {CREDIT_ENV_VAR} "
    "to the path of cs-training.csv or of a .zip holding it; (3) install the wheel "
    "that carries a copy with `pip install --no-deps whynot==0.12.0`. Without it, use "
    "the embedded synthetic stand-in (source = 'synthetic-credit')."
)


def _whynot_credit_file() -> Path | None:
    """Path of the credit zip inside an installed ``whynot`` wheel, without importing it."""
    try:
        spec = importlib.util.find_spec("whynot")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    roots: list[Path] = []
    if spec.origin is not None:
        roots.append(Path(spec.origin).parent)
    roots.extend(Path(p) for p in spec.submodule_search_locations or ())
    for root in roots:
        candidate = root.joinpath(*WHYNOT_CREDIT_MEMBER)
        if candidate.is_file():
            return candidate
    return None


def find_credit_file(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Locate the Kaggle credit file.

    Looks, in order, at the explicit ``path``, at the environment variable
    ``PLATFORM_ABM_CREDIT_CSV``, and at the copy inside an installed
    ``whynot`` wheel (``pip install --no-deps whynot==0.12.0``).

    Args:
        path: An explicit ``.csv`` or ``.zip`` file, or None.

    Returns:
        The file found, or None when none of the three places has one.

    Raises:
        InputError: When ``path`` or the environment variable names a file
            that does not exist (a typo should not silently fall back).
    """
    if path is not None:
        explicit = Path(path).expanduser()
        if not explicit.is_file():
            raise InputError(
                "population.path (--data)", str(path), "an existing Kaggle credit .csv or .zip file"
            )
        return explicit
    from_env = os.environ.get(CREDIT_ENV_VAR, "").strip()
    if from_env:
        env_path = Path(from_env).expanduser()
        if not env_path.is_file():
            raise InputError(
                CREDIT_ENV_VAR, from_env, "the path of an existing Kaggle credit .csv or .zip file"
            )
        return env_path
    return _whynot_credit_file()


@functools.lru_cache(maxsize=4)
def _parse_credit(resolved: str, mtime_ns: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Run the credit pipeline up to (not including) the shuffle; cached per file version.

    Args:
        resolved: Absolute path of the file.
        mtime_ns: Modification time (part of the cache key only).
        size: File size in bytes (part of the cache key only).

    Returns:
        Read-only features (with bias) and labels, rows in file order.
    """
    del mtime_ns, size  # only distinguish cache entries
    path = Path(resolved)
    frame = read_table(path)
    names = CREDIT_FEATURES[:-1]
    missing = [c for c in (CREDIT_LABEL, *names) if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: column",
            missing[0],
            f"the Kaggle credit columns {[CREDIT_LABEL, *names]} "
            f"(missing: {missing}; the file has {list(frame.columns)})",
        )
    values = np.column_stack([numeric_column(frame, c, str(path)) for c in (CREDIT_LABEL, *names)])
    values = values[~np.isnan(values).any(axis=1)]
    if values.shape[0] == 0:
        raise InputError(str(path), "no complete rows", "a credit file with complete rows")
    if not np.isfinite(values).all():
        column = [CREDIT_LABEL, *names][int(np.flatnonzero(~np.isfinite(values).all(axis=0))[0])]
        raise InputError(f"{path}: column {column!r}", "infinite values", "finite numbers")
    y = values[:, 0]
    if not np.isin(y, (0.0, 1.0)).all():
        raise InputError(
            f"{path}: column {CREDIT_LABEL!r}", sorted(set(np.unique(y)))[:5], "labels 0 and 1"
        )
    X = standardise(values[:, 1:])
    keep = (y == 1.0) | (np.cumsum(y == 0.0) <= CREDIT_NON_DEFAULTERS)
    X = np.column_stack([X[keep], np.ones(int(keep.sum()))])
    y = y[keep].copy()
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def load_credit(path: str | os.PathLike[str] | None = None, seed: int = 0) -> Population:
    """Load the Kaggle credit population of the paper (``docs/model.md`` §5).

    Pipeline: drop rows with any missing value; standardise every feature with
    the mean and population standard deviation (ddof=0) over all complete rows;
    append a bias column last; keep all defaulters and the first 10,000
    non-defaulters in file order (18,357 rows for the Kaggle file); shuffle the
    rows with ``np.random.default_rng(seed)``. The parsed file is cached in
    process (keyed on path, modification time and size); every call returns
    fresh arrays.

    Args:
        path: A ``.csv`` file or a ``.zip`` holding it; None looks it up with
            :func:`find_credit_file`.
        seed: Seed of the row shuffle.

    Returns:
        The population (source ``"credit"``, features :data:`CREDIT_FEATURES`).

    Raises:
        DataUnavailableError: When no copy of the file can be found; the
            message names the three ways to provide one.
        InputError: When the file is malformed, lacks a column, or ``path``
            does not exist.
    """
    seed = check_seed(seed)
    file = find_credit_file(path)
    if file is None:
        raise DataUnavailableError(_HOW_TO_GET_CREDIT)
    stat = file.stat()
    X, y = _parse_credit(str(file.resolve()), stat.st_mtime_ns, stat.st_size)
    order = np.random.default_rng(seed).permutation(X.shape[0])
    return Population(X=X[order], y=y[order], feature_names=CREDIT_FEATURES, source="credit")
