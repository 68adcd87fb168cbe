"""Gradient descent with a step-shrinking line search: the performative-prediction credit learner.

The credit simulator of the performative-prediction literature (Perdomo et al.,
2020), whose code the look-ahead paper reuses for its initial model, fits an
L2-regularised logistic regression by full-batch gradient descent:

* objective L(θ) = mean logistic loss + (λ/2)·||Pθ||², λ = 1/n, P masking the
  bias (last) column, so the bias is not penalised;
* step η₀ = 1/(L_s + λ) with L_s = Σ_i ||x_i||² / (4n), the smoothness bound of
  the mean logistic loss;
* a candidate step θ − η∇L(θ) is taken only if the monitored loss does not
  rise; otherwise η is divided by 10 and the step retried (η is reset to η₀
  after every accepted step);
* stop as soon as an accepted step lowers the monitored loss by no more than
  ``tol``.

One quirk of that code is kept as an option: the loss it *monitors* (for the
line search and the stopping test) adds (λ/2)·||Pθ|| — the norm, not its
square — while its gradient is the gradient of the squared-norm objective. The
iterates are those of gradient descent on L whichever penalty is monitored;
only the acceptance and stopping tests see the other value. The loss this code
reports after fitting (``loss_``) is the monitored one, so its printed loss
(0.6099486754 on the credit data) is t₁ + (λ/2)||Pθ||, not L(θ). See
``docs/reproductions/fig1.md`` for what the quirk changes in figure 1.

The objective, gradient and Hessian methods are those of L (squared penalty,
:class:`~platform_abm.common.learners.losses.LogisticLoss`), consistent with
the direction the iterations follow.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar, Literal

import numpy as np
from scipy.special import expit

from platform_abm.common.constraints import Interval, StrOptions
from platform_abm.common.errors import SimulationError
from platform_abm.common.learners.base import LOGISTIC_PARAMETERS, MAX_ITERATIONS, LogisticLearner
from platform_abm.common.learners.losses import sample_weights

Array = np.ndarray
MonitoredPenalty = Literal["norm", "squared"]

BACKTRACK_FACTOR = 0.1
"""Factor of the step size after a step that raises the monitored loss."""
MAX_BACKTRACKS = 60
"""Step-size reductions tried before the descent gives up."""


class BacktrackingGD(LogisticLearner):
    """Full-batch gradient descent on the regularised logistic loss, step 1/(L_s + λ).

    Args:
        reg: Penalty strength λ; ``None`` means 1/n (1/Σw with sample weights).
        penalize_bias: Whether the bias column is penalised (default False, as
            the performative-prediction code).
        bias_index: Column holding the constant bias feature.
        tol: Stop once an accepted step lowers the monitored loss by at most ``tol``
            (default 1e-7, that code's default).
        max_iter: Maximum number of accepted steps (the original has no limit).
        use_warm_start: Whether ``fit`` starts from the given warm start (the
            original starts from a given θ or from zero).
        monitored_penalty: ``"norm"`` (default): the monitored loss adds
            (λ/2)·||Pθ||, as the original code does; ``"squared"``: it is the
            objective L itself.

    Attributes:
        coef_: The fitted θ.
        n_iter_: Accepted steps.
        loss_: The monitored loss at ``coef_``.
        step_size_: The initial step size η₀.

    ``fit`` raises :class:`~platform_abm.common.errors.SimulationError` when no
    step size lowers the monitored loss (non-finite data) or ``max_iter`` steps
    do not meet the stopping test.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **LOGISTIC_PARAMETERS,
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, MAX_ITERATIONS, closed="both")],
        "use_warm_start": ["boolean"],
        "monitored_penalty": [StrOptions({"norm", "squared"})],
    }

    def __init__(
        self,
        reg: float | None = None,
        penalize_bias: bool = False,
        bias_index: int = -1,
        tol: float = 1e-7,
        max_iter: int = MAX_ITERATIONS,
        use_warm_start: bool = True,
        monitored_penalty: MonitoredPenalty = "norm",
    ) -> None:
        super().__init__(reg=reg, penalize_bias=penalize_bias, bias_index=bias_index)
        self.tol = tol
        self.max_iter = max_iter
        self.use_warm_start = use_warm_start
        self.monitored_penalty = monitored_penalty

    def _solve(self, X: Array, y: Array, sample_weight: Array | None, start: Array | None) -> None:
        loss = self.loss_function()
        n, d = X.shape
        w, total = sample_weights(sample_weight, n)
        lam = loss.strength(total)
        mask = loss.mask(d)
        smoothness = float(np.sum(w * np.einsum("ij,ij->i", X, X))) / 4.0
        eta0 = 1.0 / (smoothness + lam)
        theta = np.zeros(d) if start is None else start

        def monitored(scores: Array, params: Array) -> float:
            masked = float(np.sum(mask * params**2))
            size = masked if self.monitored_penalty == "squared" else np.sqrt(masked)
            return loss.data_value(scores, y, w) + 0.5 * lam * size

        z = X @ theta
        # The original evaluates its starting loss with the squared penalty whatever it
        # monitors afterwards (the two agree at θ = 0, the usual start).
        previous = loss.data_value(z, y, w) + 0.5 * lam * float(np.sum(mask * theta**2))
        steps = 0
        while True:
            if steps == int(self.max_iter):
                raise SimulationError(
                    f"backtracking gradient descent did not meet its stopping test (decrease "
                    f"≤ {self.tol:g}) within learner.max_iter = {self.max_iter} steps"
                )
            steps += 1
            grad = loss.data_gradient(X, expit(z), y, w) + lam * mask * theta
            eta = eta0
            for _ in range(MAX_BACKTRACKS):
                candidate = theta - eta * grad
                z_candidate = X @ candidate
                value = monitored(z_candidate, candidate)
                if value <= previous:  # not a rise: accept (the original's test)
                    break
                eta *= BACKTRACK_FACTOR
            else:
                raise SimulationError(
                    "backtracking gradient descent found no step that does not raise the "
                    "loss (non-finite or huge features?)"
                )
            theta, z = candidate, z_candidate
            decrease = previous - value
            previous = value
            if decrease <= self.tol:
                break
        self.coef_ = theta
        self.n_iter_ = steps
        self.loss_ = previous
        self.step_size_ = eta0
