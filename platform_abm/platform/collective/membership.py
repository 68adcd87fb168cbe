"""Who belongs to a collective: a random fraction, a label/feature condition, or an id list.

Rules combine: the condition (if any) defines the eligible pool, an id list
(if any) restricts it further, and a fraction α (if any) draws
round(α·|pool|) members from the pool at random with the caller's numpy
Generator. The result is a sorted array of row indices.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from platform_abm.common.errors import InputError

Array = np.ndarray

OPERATORS: dict[str, Callable[[Array, float], Array]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class Condition:
    """A membership condition ``<target> <op> <value>``.

    Attributes:
        target: ``"label"`` or a feature (column index or name).
        op: One of ``==, !=, <, <=, >, >=``.
        value: The threshold.
    """

    target: str | int
    op: str
    value: float

    def mask(
        self, X: Array, y: Array, feature_names: Sequence[str] | None = None, field: str = ""
    ) -> Array:
        """Boolean mask of the users meeting the condition.

        Args:
            X: Base features, shape (n, d).
            y: Labels, shape (n,).
            feature_names: Column names, to resolve a named feature.
            field: Dotted field name used in error messages.

        Returns:
            Boolean array of shape (n,).

        Raises:
            InputError: For an unknown operator or feature.
        """
        if self.op not in OPERATORS:
            raise InputError(f"{field}.op", self.op, f"one of {sorted(OPERATORS)}")
        if self.target == "label":
            column = y
        else:
            index = resolve_feature(self.target, X.shape[1], feature_names, f"{field}.feature")
            column = X[:, index]
        return np.asarray(OPERATORS[self.op](column, self.value), dtype=bool)


def resolve_feature(
    feature: str | int, d: int, feature_names: Sequence[str] | None, field: str
) -> int:
    """Column index of a feature given by index or by name.

    Args:
        feature: Index or name.
        d: Number of columns.
        feature_names: Known column names (may omit the bias column).
        field: Dotted field name used in error messages.

    Returns:
        The column index.

    Raises:
        InputError: If the feature is unknown.
    """
    names = list(feature_names or [])
    if isinstance(feature, bool):
        raise InputError(field, feature, f"a column index in 0..{d - 1} or a feature name")
    if isinstance(feature, int | np.integer):
        if 0 <= int(feature) < d:
            return int(feature)
        raise InputError(field, feature, f"a column index in 0..{d - 1}")
    if isinstance(feature, str) and feature in names:
        return names.index(feature)
    allowed = f"one of {names}" if names else f"a column index in 0..{d - 1}"
    raise InputError(field, feature, allowed)


def select_members(
    n: int,
    *,
    fraction: float | None = None,
    condition: Condition | None = None,
    ids: Sequence[int] | None = None,
    X: Array | None = None,
    y: Array | None = None,
    feature_names: Sequence[str] | None = None,
    rng: np.random.Generator | None = None,
    field: str = "collective.members",
) -> Array:
    """Select the members of a collective.

    Args:
        n: Population size.
        fraction: Share α ∈ (0, 1] of the eligible pool drawn at random.
        condition: Restricts the pool (e.g. label == 1).
        ids: Explicit row indices; restricts the pool.
        X: Base features (needed by a feature condition).
        y: Labels (needed by a label condition).
        feature_names: Column names for named features.
        rng: Random generator for the fraction draw (required with ``fraction``
            below 1).
        field: Dotted field name used in error messages.

    Returns:
        Sorted unique member indices.

    Raises:
        InputError: For a fraction outside (0, 1], ids out of range, or an
            empty collective.
    """
    pool = np.arange(n)
    if condition is not None:
        if X is None or y is None:
            raise InputError(f"{field}.condition", condition, "a population to evaluate it on")
        pool = pool[condition.mask(X, y, feature_names, f"{field}.condition")]
    if ids is not None:
        arr = np.asarray(list(ids))
        if arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() >= n):
            raise InputError(f"{field}.ids", list(ids)[:10], f"integer row indices in 0..{n - 1}")
        pool = np.intersect1d(pool, arr.astype(int))
    if fraction is not None:
        if isinstance(fraction, bool) or not (
            isinstance(fraction, int | float) and np.isfinite(fraction) and 0 < fraction <= 1
        ):
            raise InputError(f"{field}.fraction", fraction, "a number in (0, 1]")
        size = round(fraction * len(pool))
        if size < len(pool):
            if rng is None:
                raise InputError(f"{field}.rng", None, "a numpy Generator to draw members")
            pool = np.sort(rng.choice(pool, size=size, replace=False))
    if len(pool) == 0:
        raise InputError(field, "no member", "a rule that selects at least one user")
    return np.unique(pool)
