"""The labelled population every data source returns, and the steps the sources share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from platform_abm.common.errors import InputError

MIN_PER_LABEL = 2
"""Fewest users of each label a population needs (the platform fits a classifier)."""


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


def standardise(X: np.ndarray) -> np.ndarray:
    """Centre and scale columns by their mean and population std; constant columns are centred."""
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std[~(std > 0)] = 1.0
    return (X - mean) / std


def check_seed(seed: Any) -> int:
    """A random seed as an int, refused unless it is an integer >= 0.

    Args:
        seed: The seed given.

    Returns:
        The seed.

    Raises:
        InputError: For a bool, a non-integer or a negative number.
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError("seed", seed, "an integer >= 0")
    return int(seed)
