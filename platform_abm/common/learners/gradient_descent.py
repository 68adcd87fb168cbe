"""Fixed-budget gradient descent on the logistic loss: the notebooks' simple learners."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from platform_abm.common.constraints import Interval
from platform_abm.common.learners.base import LOGISTIC_PARAMETERS, MAX_ITERATIONS, LogisticLearner
from platform_abm.common.learners.losses import LogisticLoss

Array = np.ndarray


class GradientDescent(LogisticLearner):
    """Plain full-batch gradient descent on the logistic objective.

    Reproduces the notebooks' fixed-budget learners: ``steps`` iterations of
    θ ← θ − lr·∇L(θ), from the warm start when ``use_warm_start`` and one is
    given, from zero otherwise. The result is where the budget ends, so it
    depends on the start.

    Args:
        steps: Number of gradient steps.
        lr: Step size.
        reg: Penalty strength λ (the notebooks use 0).
        penalize_bias: Whether the bias column is penalised.
        use_warm_start: Whether ``fit`` starts from the given warm start (the
            previous solution, in the platform model) rather than from zero.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "steps": [Interval(Integral, 1, MAX_ITERATIONS, closed="both")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "reg": LOGISTIC_PARAMETERS["reg"],
        "penalize_bias": LOGISTIC_PARAMETERS["penalize_bias"],
        "use_warm_start": ["boolean"],
    }

    def __init__(
        self,
        steps: int = 200,
        lr: float = 0.1,
        reg: float | None = 0.0,
        penalize_bias: bool = True,
        use_warm_start: bool = False,
    ) -> None:
        self.steps = steps
        self.lr = lr
        self.reg = reg
        self.penalize_bias = penalize_bias
        self.use_warm_start = use_warm_start

    def loss_function(self) -> LogisticLoss:
        """The logistic loss with this learner's penalty (the bias in the last column)."""
        return LogisticLoss(reg=self.reg, penalize_bias=self.penalize_bias)

    def _solve(self, X: Array, y: Array, sample_weight: Array | None, start: Array | None) -> None:
        loss = self.loss_function()
        theta = np.zeros(X.shape[1]) if start is None else start
        for _ in range(self.steps):
            theta = theta - self.lr * loss.gradient(theta, X, y, sample_weight)
        self.coef_ = theta
        self.n_iter_ = self.steps
