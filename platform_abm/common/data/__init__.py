"""Populations: the real credit data, its embedded synthetic stand-in, user CSVs, Gaussians.

Every loader returns a :class:`Population`: a float feature matrix whose last
column is the constant bias 1 (when a bias is added), binary labels in
{0., 1.}, the feature names and a short description of the source. The module
is pure I/O and numpy; it knows nothing about Mesa.

Sources (``docs/model.md`` §5):

* :func:`load_credit`: the Kaggle "Give Me Some Credit" training file, through
  the paper's pipeline (drop incomplete rows, standardise on every complete
  row, append the bias, keep all defaulters and the first 10,000 non-defaulters,
  shuffle). The file is not redistributed with the package; it is found by
  :func:`find_credit_file`.
* :func:`synthetic_credit`: the embedded default population, drawn from a
  generator calibrated once on the real file by
  ``scripts/calibrate_synthetic.py`` (numbers in ``credit_calibration.json``).
* :func:`load_csv`: a user's own labelled CSV file.
* :func:`gaussian_population`: Gaussian features with logistic labels, for
  theory checks.
"""

from __future__ import annotations

import codecs
import copy
import csv
import functools
import importlib.resources
import importlib.util
import io
import json
import math
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr, ndtri

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

CALIBRATION_RESOURCE = "credit_calibration.json"
"""Package resource holding the synthetic generator's calibration."""

MAX_DATA_BYTES = 2 * 1024**3
"""Largest data file read (or CSV inside a zip): 2 GiB of CSV is already ~10 GiB in pandas."""

SNIFF_BYTES = 64 * 1024
"""How much of a data file is inspected before it is read."""

MIN_PER_LABEL = 2
"""Fewest users of each label a population needs (the platform fits a classifier)."""

_HOW_TO_GET_CREDIT = (
    "the Kaggle 'Give Me Some Credit' training file is not available. Provide it in one "
    "of three ways: (1) pass its path explicitly (population.path in a scenario, or "
    f"--data on the command line); (2) set the environment variable {CREDIT_ENV_VAR} "
    "to the path of cs-training.csv or of a .zip holding it; (3) install the wheel "
    "that carries a copy with `pip install --no-deps whynot==0.12.0`. Without it, use "
    "the embedded synthetic stand-in (source = 'synthetic-credit')."
)


@dataclass(frozen=True, eq=False)
class Population:
    """A labelled population: one row per user.

    Attributes:
        X: Features, shape (n, d), float64. When the loader adds a bias, the
            last column is the constant 1.
        y: Labels, shape (n,), float64 with values in {0., 1.}.
        feature_names: The d column names; the last is ``"bias"`` when a bias
            column was added.
        source: Where the population comes from, e.g. ``"credit"``,
            ``"synthetic-credit"``, ``"csv:/path/to/file.csv"`` or ``"gaussian"``.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    source: str

    def __post_init__(self) -> None:
        # Column-major (Fortran) features: the learners' passes X·v, Xᵀ·r and
        # the Hessian run two to three times faster on tall matrices with few
        # columns, and a best response writes whole contiguous columns.
        object.__setattr__(self, "X", np.asfortranarray(self.X))
        if self.X.ndim != 2 or self.y.shape != (self.X.shape[0],):
            raise InputError(
                "population",
                f"X of shape {self.X.shape} and y of shape {self.y.shape}",
                "X of shape (n, d) and y of shape (n,)",
            )
        if len(self.feature_names) != self.X.shape[1]:
            raise InputError(
                "population.feature_names",
                self.feature_names,
                f"{self.X.shape[1]} names, one per column of X",
            )

    @property
    def n(self) -> int:
        """Number of users (rows)."""
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        """Number of features (columns), bias included."""
        return int(self.X.shape[1])

    def feature_index(
        self, feature: str | int, field: str = "population.strategic_features"
    ) -> int:
        """Column index of a feature given by name or by index.

        Args:
            feature: A name from :attr:`feature_names` or an index 0 <= i < d.
            field: Name of the setting being resolved, used in error messages.

        Returns:
            The column index.

        Raises:
            InputError: For an unknown name or an index out of range.
        """
        allowed = f"a feature name {list(self.feature_names)} or an index 0..{self.d - 1}"
        if isinstance(feature, str):
            if feature in self.feature_names:
                return self.feature_names.index(feature)
            raise InputError(field, feature, allowed)
        if isinstance(feature, (int, np.integer)) and not isinstance(feature, (bool, np.bool_)):
            if 0 <= int(feature) < self.d:
                return int(feature)
        raise InputError(field, feature, allowed)


# --------------------------------------------------------------------------- credit file


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


def _read_table(path: Path) -> pd.DataFrame:
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


def check_labels(y: np.ndarray, field: str = "population") -> None:
    """Refuse a population the platform cannot learn from: fewer than 2 users of a label.

    Args:
        y: Labels in {0, 1}.
        field: Name of the setting that chose the population (for the message).

    Raises:
        InputError: Saying how many users of each label were found.
    """
    counts = [int(np.count_nonzero(y == label)) for label in (0.0, 1.0)]
    if min(counts) < MIN_PER_LABEL:
        raise InputError(
            field,
            f"a population of {counts[0]} user(s) of label 0 and {counts[1]} of label 1",
            f"at least {MIN_PER_LABEL} users of each label (the platform fits a classifier)",
        )


def _numeric_column(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
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


def _standardise(X: np.ndarray) -> np.ndarray:
    """Centre and scale columns by their mean and population std; constant columns are centred."""
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std[~(std > 0)] = 1.0
    return (X - mean) / std


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
    frame = _read_table(path)
    names = CREDIT_FEATURES[:-1]
    missing = [c for c in (CREDIT_LABEL, *names) if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: column",
            missing[0],
            f"the Kaggle credit columns {[CREDIT_LABEL, *names]} "
            f"(missing: {missing}; the file has {list(frame.columns)})",
        )
    values = np.column_stack([_numeric_column(frame, c, str(path)) for c in (CREDIT_LABEL, *names)])
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
    X = _standardise(values[:, 1:])
    keep = (y == 1.0) | (np.cumsum(y == 0.0) <= CREDIT_NON_DEFAULTERS)
    X = np.column_stack([X[keep], np.ones(int(keep.sum()))])
    y = y[keep].copy()
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def _check_seed(seed: Any) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError("seed", seed, "an integer >= 0")
    return int(seed)


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
    seed = _check_seed(seed)
    file = find_credit_file(path)
    if file is None:
        raise DataUnavailableError(_HOW_TO_GET_CREDIT)
    stat = file.stat()
    X, y = _parse_credit(str(file.resolve()), stat.st_mtime_ns, stat.st_size)
    order = np.random.default_rng(seed).permutation(X.shape[0])
    return Population(X=X[order], y=y[order], feature_names=CREDIT_FEATURES, source="credit")


# --------------------------------------------------------------------------- synthetic credit


LATENT_GRID_HALF_WIDTH = 5.0
"""The synthetic generator tabulates its quantile maps over latent z in [-5, 5]."""

LATENT_GRID_CELLS = 1 << 14
"""Cells of that table: 6.1e-4 wide in z, so a discrete feature's thresholds are
off by at most 1.3e-4 in probability (the data's own resolution is 1e-4)."""


@dataclass(frozen=True)
class _Marginal:
    """Quantile map of one feature, applied to a latent standard normal z.

    Discrete features take ``values[k]`` with ``k`` the number of ``knots``
    at or below z (the knots are the normal quantiles of the cumulative
    probabilities). Continuous features interpolate ``values`` linearly over
    ``knots`` (the normal quantiles of the stored probabilities), clamped at
    both ends. :meth:`__call__` is the exact map; ``table`` holds it at the
    centres of :data:`LATENT_GRID_CELLS` cells, which the generator reads.

    ``tails`` (continuous features only) gives the probability masses
    (low, high) of the extreme order statistics, which the generator draws
    independently of the other features (see :class:`SyntheticCreditModel`);
    the table then holds the map of the body only.
    """

    discrete: bool
    knots: np.ndarray
    values: np.ndarray
    table: np.ndarray
    tails: tuple[float, float] | None = None

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> _Marginal:
        """Build the map from a calibration entry (see :class:`SyntheticCreditModel`)."""
        values = np.asarray(spec["values"], dtype=np.float64)
        if spec["kind"] == "discrete":
            knots = ndtri(np.asarray(spec["cdf"], dtype=np.float64)[:-1])
        else:
            knots = ndtri(np.asarray(spec["probs"], dtype=np.float64))
        exact = cls(spec["kind"] == "discrete", knots, values, np.zeros(0))
        width = 2 * LATENT_GRID_HALF_WIDTH / LATENT_GRID_CELLS
        centres = -LATENT_GRID_HALF_WIDTH + width * (np.arange(LATENT_GRID_CELLS) + 0.5)
        if spec.get("independent_tails") is None:
            return cls(exact.discrete, knots, values, exact(centres))
        low, high = (float(t) for t in spec["independent_tails"])
        # The table covers the body only: latent probabilities are squeezed
        # into [low, 1 - high], a monotone map that keeps the ranks.
        body = ndtri(low + (1.0 - low - high) * ndtr(centres))
        return cls(exact.discrete, knots, values, exact(body), (low, high))

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Exact quantile map of latent values z."""
        if self.discrete:
            return self.values[np.searchsorted(self.knots, z, side="right")]
        return np.interp(z, self.knots, self.values)


@dataclass(frozen=True)
class _ClassModel:
    """Feature distribution of one class: a Gaussian copula with empirical marginals.

    Attributes:
        marginals: Quantile map of every feature (bias excluded).
        cholesky: Lower Cholesky factor of the latent correlation.
        coded_rates: Share of the class's rows carrying each code pattern.
    """

    marginals: tuple[_Marginal, ...]
    cholesky: np.ndarray
    coded_rates: np.ndarray

    def draw(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Draw iid feature rows without codes, feature-major: shape (features, size).

        The latent draw is float32 and read through the tabulated quantile
        maps: the float32 rounding is a thousandth of a table cell. For a
        feature with independent tails, the table maps the latent value into
        the body of the distribution, and an independent uniform decides
        (with the tails' masses) whether the row takes an extreme order
        statistic instead.
        """
        scale = LATENT_GRID_CELLS / (2 * LATENT_GRID_HALF_WIDTH)
        factor = (self.cholesky * scale).astype(np.float32)
        cells = factor @ rng.standard_normal((len(self.marginals), size), dtype=np.float32)
        cells += LATENT_GRID_CELLS / 2
        out = np.empty((len(self.marginals), size))
        for j, marginal in enumerate(self.marginals):
            # Truncation toward zero and index clipping are exact: cells below 0
            # or above the last one take the end values.
            out[j] = marginal.table.take(cells[j].astype(np.intp), mode="clip")
            if marginal.tails is not None:
                low, high = marginal.tails
                u = rng.random(size)
                extreme = np.flatnonzero((u < low) | (u > 1.0 - high))
                out[j, extreme] = marginal(ndtri(u[extreme]))
        return out


def _class_model(spec: dict[str, Any]) -> _ClassModel:
    return _ClassModel(
        marginals=tuple(_Marginal.from_dict(m) for m in spec["marginals"]),
        cholesky=np.linalg.cholesky(np.asarray(spec["latent_correlation"], dtype=np.float64)),
        coded_rates=np.asarray(spec.get("coded_rates", ()), dtype=np.float64),
    )


@dataclass(frozen=True)
class SyntheticCreditModel:
    """The synthetic credit generator (parameters in ``credit_calibration.json``).

    A class-conditional model fitted to the standardised real population:

    * labels: ``round(n · prior)`` defaulters at random rows, the others
      non-defaulters (the real class prior, stratified);
    * features of each class: a Gaussian copula. A latent z ~ N(0, R_c) is
      drawn per row and each coordinate goes through the empirical quantile
      function of that feature in that class, so per-class marginals (hence
      per-class means and spreads) and rank correlations match the real data.
      The ten most extreme values at each end of utilisation and debt ratio
      (file artefacts such as a utilisation of 9,340) keep their frequency in
      the class but are drawn independently of the other features, so that
      they do not take on the risk profile of the copula's high ranks;
    * coded rows: the Kaggle file marks unknown past-due counts with 96 or 98
      in all three past-due columns (92 of the 18,357 rows, 91 % of them
      defaulters). These are applicants without a credit history (no open
      line, no real-estate loan, utilisation 1, young, low income), and they
      drive the fitted coefficients of the past-due features. Each class gets
      its real share of them per code (rounded, at random rows); their other
      features come from a coarse copula of the coded rows.

    Attributes:
        class_prior: Share of defaulters (label 1).
        classes: Feature model of class 0 and of class 1.
        coded: Feature model of the coded rows (code columns excluded).
        coded_features: Columns set by the codes.
        coded_values: One row of (standardised) code values per pattern.
    """

    class_prior: float
    classes: tuple[_ClassModel, _ClassModel]
    coded: _ClassModel
    coded_features: np.ndarray
    coded_values: np.ndarray

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> SyntheticCreditModel:
        """Build the model from the ``generator`` section of the calibration file.

        Args:
            spec: Mapping with ``class_prior``; ``classes`` (``"0"`` and
                ``"1"``, each with ``marginals``, ``latent_correlation`` and
                ``coded_rates``, the share of the class's rows per code
                pattern); ``coded_rows`` (``features``, ``values`` per
                pattern, ``marginals`` and ``latent_correlation``). A marginal
                is ``{"kind": "discrete", "values", "cdf"}`` or
                ``{"kind": "continuous", "probs", "values"}``.

        Returns:
            The model.
        """
        coded = spec["coded_rows"]
        return cls(
            class_prior=float(spec["class_prior"]),
            classes=(_class_model(spec["classes"]["0"]), _class_model(spec["classes"]["1"])),
            coded=_class_model(coded),
            coded_features=np.asarray(coded["features"], dtype=np.intp),
            coded_values=np.asarray(coded["values"], dtype=np.float64),
        )

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw n rows.

        Args:
            n: Number of rows.
            rng: Random generator (the only source of randomness).

        Returns:
            Features with the bias column last, shape (n, d), column-major
            (as :class:`Population` stores them), and labels in {0., 1.}.
        """
        y = np.zeros(n)
        y[: math.floor(n * self.class_prior + 0.5)] = 1.0
        y = y[rng.permutation(n)]
        features = np.empty((len(self.coded.marginals) + 1, n))
        features[-1] = 1.0
        for label, model in enumerate(self.classes):
            rows = np.flatnonzero(y == label)
            features[:-1, rows] = model.draw(len(rows), rng)
            counts = np.floor(len(rows) * model.coded_rates + 0.5).astype(np.intp)
            coded = rng.choice(rows, size=int(counts.sum()), replace=False)
            features[:-1, coded] = self.coded.draw(len(coded), rng)
            for values, chosen in zip(
                self.coded_values, np.split(coded, np.cumsum(counts)[:-1]), strict=True
            ):
                features[np.ix_(self.coded_features, chosen)] = values[:, None]
        return features.T, y


@functools.lru_cache(maxsize=1)
def _calibration_record() -> dict[str, Any]:
    text = (
        importlib.resources.files("platform_abm.common.data")
        .joinpath(CALIBRATION_RESOURCE)
        .read_text()
    )
    return json.loads(text)


def credit_calibration() -> dict[str, Any]:
    """The calibration record of the synthetic credit generator.

    Returns:
        A copy of ``credit_calibration.json``: the real population's reference
        fit under ``"reference"`` (θ, accuracy, ||θ||, standard errors,
        bootstrap sign agreement), its class prior and per-class moments under
        ``"moments"``, the generator's parameters under ``"generator"`` and the
        synthetic population's own fit under ``"validation"``.
    """
    return copy.deepcopy(_calibration_record())


@functools.lru_cache(maxsize=1)
def _synthetic_model() -> SyntheticCreditModel:
    return SyntheticCreditModel.from_dict(_calibration_record()["generator"])


def synthetic_credit(n: int = CREDIT_SIZE, seed: int = 0) -> Population:
    """The embedded default population: a synthetic stand-in for the credit data.

    Draws from :class:`SyntheticCreditModel` calibrated on the real file by
    ``scripts/calibrate_synthetic.py``: same feature names, standardised
    feature marginals, latent (rank) correlations and label model as the real
    population, so that a logistic model fitted on it has about the same
    training accuracy and coefficients. Deterministic in ``seed``.

    Args:
        n: Number of rows.
        seed: Seed of ``np.random.default_rng``.

    Returns:
        The population (source ``"synthetic-credit"``, features :data:`CREDIT_FEATURES`).

    Raises:
        InputError: For a non-positive ``n`` or a negative ``seed``.
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError("population.n", n, "an integer >= 1")
    seed = _check_seed(seed)
    X, y = _synthetic_model().sample(int(n), np.random.default_rng(seed))
    return Population(X=X, y=y, feature_names=CREDIT_FEATURES, source="synthetic-credit")


# --------------------------------------------------------------------------- user CSV


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
    frame = _read_table(file)
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
    X = np.column_stack([_numeric_column(frame, name, where) for name in names])
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
        y = _numeric_column(frame, label, where)
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
        X = _standardise(X)
    if add_bias:
        X = np.column_stack([X, np.ones(len(X))])
        names.append("bias")
    return Population(X=X, y=y, feature_names=tuple(names), source=f"csv:{file}")


# --------------------------------------------------------------------------- Gaussian


def gaussian_population(
    n: int,
    d: int,
    seed: int = 0,
    theta: Sequence[float] | np.ndarray | None = None,
    signal: float = 2.0,
    cov: np.ndarray | None = None,
) -> Population:
    """Gaussian features, a bias column and logistic labels, for theory checks.

    Rows are x = (z, 1) with z ~ N(0, cov) in d dimensions, and labels are
    drawn as y ~ Bernoulli(σ(x·θ)).

    Args:
        n: Number of rows.
        d: Number of Gaussian features, bias excluded (the result has d + 1 columns).
        seed: Seed of ``np.random.default_rng``.
        theta: True parameter of the label model, d + 1 values (bias last);
            None means ``signal`` · (1, …, 1)/√d with a zero bias.
        signal: Norm of the default ``theta``.
        cov: Feature covariance, shape (d, d); None means the identity.

    Returns:
        The population (source ``"gaussian"``, features ``x0 … x{d-1}, bias``).

    Raises:
        InputError: For invalid sizes, ``theta`` or ``cov``.
    """
    for field, value in (("population.n", n), ("population.d", d)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise InputError(field, value, "an integer >= 1")
        if value < 1:
            raise InputError(field, value, "an integer >= 1")
    seed = _check_seed(seed)
    if theta is None:
        if not math.isfinite(signal):
            raise InputError("signal", signal, "a finite number")
        true_theta = np.append(np.full(d, signal / math.sqrt(d)), 0.0)
    else:
        true_theta = np.asarray(theta, dtype=np.float64)
        if true_theta.shape != (d + 1,) or not np.isfinite(true_theta).all():
            raise InputError("theta", theta, f"{d + 1} finite numbers (bias last)")
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, d))
    if cov is not None:
        matrix = np.asarray(cov, dtype=np.float64)
        if matrix.shape != (d, d) or not np.allclose(matrix, matrix.T):
            raise InputError("cov", f"array of shape {matrix.shape}", f"a symmetric {d}x{d} matrix")
        try:
            Z = Z @ np.linalg.cholesky(matrix).T
        except np.linalg.LinAlgError:
            raise InputError(
                "cov", "a matrix that is not positive definite", "a covariance"
            ) from None
    X = np.column_stack([Z, np.ones(n)])
    y = (rng.random(n) < expit(X @ true_theta)).astype(np.float64)
    names = (*(f"x{j}" for j in range(d)), "bias")
    return Population(X=X, y=y, feature_names=names, source="gaussian")
