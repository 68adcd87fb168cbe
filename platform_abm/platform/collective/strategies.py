"""Strategy families a collective can commit to (docs/model.md §4).

A strategy maps the members' base points (x_i, y_i) and a parameter vector p to
the reported points (x'_i, y'_i). Every family gives the map, the parameters of
"no manipulation", optional box bounds, and the vector–Jacobian product that
turns gradients in the reported points into a gradient in p (what the
implicit-function-theorem solver needs):

* :class:`FeatureShift`: x'_S = x_S + η ⊙ μ_S for every member, one η per
  feature (or one η shared by all features of S); μ defaults to ones.
* :class:`FreeEdit`: every member chooses its own value of one column
  (p has one entry per member), optionally within ± budget of its base value.
* :class:`LabelEdit`: every member chooses its own (real-valued) label,
  optionally within [low, high].

All functions are pure numpy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from platform_abm.common.errors import InputError

Array = np.ndarray
Bounds = list[tuple[float | None, float | None]]


class Strategy(ABC):
    """A parametrised map from the members' base points to their reports."""

    name: str = "strategy"

    @abstractmethod
    def n_params(self, X_members: Array) -> int:
        """Number of strategy parameters for these members."""

    @abstractmethod
    def initial(self, X_members: Array, y_members: Array) -> Array:
        """Parameters that reproduce the base points (no manipulation)."""

    @abstractmethod
    def apply(self, params: Array, X_members: Array, y_members: Array) -> tuple[Array, Array]:
        """Reported features and labels of the members.

        Args:
            params: Strategy parameters.
            X_members: Members' base features, shape (m, d).
            y_members: Members' base labels, shape (m,).

        Returns:
            The reported features (m, d) and labels (m,), new arrays.
        """

    @abstractmethod
    def vjp(
        self, params: Array, X_members: Array, y_members: Array, x_bar: Array, y_bar: Array
    ) -> Array:
        """Gradient in the parameters from gradients in the reported points.

        Args:
            params: Strategy parameters.
            X_members: Members' base features.
            y_members: Members' base labels.
            x_bar: ∂F/∂x'_i, shape (m, d).
            y_bar: ∂F/∂y'_i, shape (m,).

        Returns:
            ∂F/∂params.
        """

    def bounds(self, X_members: Array, y_members: Array) -> Bounds | None:
        """Box bounds on the parameters (None: unbounded)."""
        return None

    @property
    def edits_labels(self) -> bool:
        """Whether the strategy changes labels."""
        return False

    def edited_features(self) -> tuple[int, ...]:
        """Feature columns the strategy may change."""
        return ()


class FeatureShift(Strategy):
    """x'_S = x_S + η ⊙ μ_S: all members shift the features S by the same amount.

    Args:
        features: Column indices S.
        direction: μ_S, one value per feature of S (default ones).
        shared: If True a single η scales the whole vector μ_S (p has one entry);
            otherwise one η per feature.
        bound: Optional bound |η| ≤ bound on every entry.
    """

    name = "shift"

    def __init__(
        self,
        features: Sequence[int],
        direction: Array | Sequence[float] | None = None,
        shared: bool = False,
        bound: float | None = None,
    ) -> None:
        self.features = tuple(int(f) for f in features)
        if not self.features:
            raise InputError("strategy.features", list(features), "at least one feature")
        mu = np.ones(len(self.features)) if direction is None else np.asarray(direction, float)
        if mu.shape != (len(self.features),) or not np.all(np.isfinite(mu)):
            raise InputError(
                "strategy.direction", direction, f"{len(self.features)} finite numbers"
            )
        if bound is not None and not (np.isfinite(bound) and bound > 0):
            raise InputError("strategy.bound", bound, "a finite number > 0")
        self.direction = mu
        self.shared = bool(shared)
        self.bound = bound

    def n_params(self, X_members: Array) -> int:
        """One η, or one per feature."""
        return 1 if self.shared else len(self.features)

    def initial(self, X_members: Array, y_members: Array) -> Array:
        """η = 0."""
        return np.zeros(self.n_params(X_members))

    def shift(self, params: Array) -> Array:
        """The shift η ⊙ μ_S added to every member's features S."""
        eta = np.asarray(params, float)
        return (eta[0] if self.shared else eta) * self.direction

    def apply(self, params: Array, X_members: Array, y_members: Array) -> tuple[Array, Array]:
        """Add η ⊙ μ_S to the columns S."""
        X = np.array(X_members, dtype=float)
        X[:, list(self.features)] += self.shift(params)
        return X, np.array(y_members, dtype=float)

    def vjp(
        self, params: Array, X_members: Array, y_members: Array, x_bar: Array, y_bar: Array
    ) -> Array:
        """Σ_i x̄_{i,S} ⊙ μ_S (summed over S when η is shared)."""
        per_feature = x_bar[:, list(self.features)].sum(axis=0) * self.direction
        return np.array([per_feature.sum()]) if self.shared else per_feature

    def bounds(self, X_members: Array, y_members: Array) -> Bounds | None:
        """|η| ≤ bound when a bound is set."""
        if self.bound is None:
            return None
        return [(-self.bound, self.bound)] * self.n_params(X_members)

    def edited_features(self) -> tuple[int, ...]:
        """The columns S."""
        return self.features


class FreeEdit(Strategy):
    """Every member reports its own value of one column.

    Args:
        column: The editable column.
        budget: Optional bound |x'_ij − x_ij| ≤ budget.
    """

    name = "free-edit"

    def __init__(self, column: int, budget: float | None = None) -> None:
        if budget is not None and not (np.isfinite(budget) and budget > 0):
            raise InputError("strategy.budget", budget, "a finite number > 0")
        self.column = int(column)
        self.budget = budget

    def n_params(self, X_members: Array) -> int:
        """One value per member."""
        return len(X_members)

    def initial(self, X_members: Array, y_members: Array) -> Array:
        """The base values of the column."""
        return np.array(X_members[:, self.column], dtype=float)

    def apply(self, params: Array, X_members: Array, y_members: Array) -> tuple[Array, Array]:
        """Replace the column by the parameters."""
        X = np.array(X_members, dtype=float)
        X[:, self.column] = params
        return X, np.array(y_members, dtype=float)

    def vjp(
        self, params: Array, X_members: Array, y_members: Array, x_bar: Array, y_bar: Array
    ) -> Array:
        """The column of x̄."""
        return np.array(x_bar[:, self.column], dtype=float)

    def bounds(self, X_members: Array, y_members: Array) -> Bounds | None:
        """Base value ± budget when a budget is set."""
        if self.budget is None:
            return None
        base = X_members[:, self.column]
        return [(float(b - self.budget), float(b + self.budget)) for b in base]

    def edited_features(self) -> tuple[int, ...]:
        """The editable column."""
        return (self.column,)


class LabelEdit(Strategy):
    """Every member reports its own label (a real number; docs/model.md, Example 1).

    Args:
        low: Optional lower bound on the reported labels.
        high: Optional upper bound.
    """

    name = "label-edit"

    def __init__(self, low: float | None = None, high: float | None = None) -> None:
        if low is not None and high is not None and not low < high:
            raise InputError("strategy.labels", (low, high), "low < high")
        self.low = low
        self.high = high

    def n_params(self, X_members: Array) -> int:
        """One label per member."""
        return len(X_members)

    def initial(self, X_members: Array, y_members: Array) -> Array:
        """The base labels."""
        return np.array(y_members, dtype=float)

    def apply(self, params: Array, X_members: Array, y_members: Array) -> tuple[Array, Array]:
        """Keep the features, replace the labels."""
        return np.array(X_members, dtype=float), np.array(params, dtype=float)

    def vjp(
        self, params: Array, X_members: Array, y_members: Array, x_bar: Array, y_bar: Array
    ) -> Array:
        """ȳ."""
        return np.array(y_bar, dtype=float)

    def bounds(self, X_members: Array, y_members: Array) -> Bounds | None:
        """[low, high] for every label when either bound is set."""
        if self.low is None and self.high is None:
            return None
        return [(self.low, self.high)] * len(y_members)

    @property
    def edits_labels(self) -> bool:
        """Label edits change labels."""
        return True
