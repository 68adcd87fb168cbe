"""Ridge-regularised least squares solved by its normal equations: the squared-loss learner."""

from __future__ import annotations

import warnings
from numbers import Real
from typing import Any, ClassVar

import numpy as np
from scipy import linalg

from platform_abm.common.constraints import Interval
from platform_abm.common.errors import SimulationError
from platform_abm.common.learners.base import LossLearner
from platform_abm.common.learners.losses import SquaredLoss, sample_weights

Array = np.ndarray


class LeastSquares(LossLearner):
    """Ridge-regularised least squares, solved exactly (squared-loss learner).

    Objective Σ_i w_i ½(x_i·θ − y_i)² + (reg/2)||θ||². Used by the label-target
    examples of the theory (``docs/model.md`` §2, Example 1). A closed-form
    solve: a warm start changes nothing.

    Args:
        reg: Ridge penalty (default 0).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "reg": [Interval(Real, 0, None, closed="left")],
    }
    requires_both_labels: ClassVar[bool] = True

    def __init__(self, reg: float = 0.0) -> None:
        self.reg = reg

    def loss_function(self) -> SquaredLoss:
        """The squared loss with this learner's ridge penalty."""
        return SquaredLoss(reg=self.reg)

    def _solve(self, X: Array, y: Array, sample_weight: Array | None, start: Array | None) -> None:
        w = sample_weights(sample_weight, len(y))[0]
        hess = self.loss_function().hessian(np.zeros(X.shape[1]), X, y, sample_weight)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", linalg.LinAlgWarning)
                self.coef_ = linalg.solve(hess, X.T @ (w * y))
        except (linalg.LinAlgError, linalg.LinAlgWarning, ValueError):
            raise SimulationError(
                "the least-squares normal equations are singular or not finite "
                "(collinear features: add a ridge penalty, learner.reg > 0)"
            ) from None
        self.n_iter_ = 1

    def accuracy(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> float:
        """(Weighted) share of samples whose prediction rounds to their label."""
        return float(np.average(np.abs(X @ theta - y) < 0.5, weights=sample_weight))
