"""Newton's method on the logistic loss: the exact learner, solved to machine precision."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy import linalg
from scipy.special import expit

from platform_abm.common.constraints import Interval
from platform_abm.common.errors import SimulationError
from platform_abm.common.learners.base import LOGISTIC_PARAMETERS, MAX_ITERATIONS, LogisticLearner
from platform_abm.common.learners.blas import single_threaded_blas
from platform_abm.common.learners.losses import sample_weights

Array = np.ndarray

MAX_NEWTON_STEP = 10.0
"""Longest Newton step (largest coordinate) before the line search."""
FULL_STEP_SCORE_MOVE = 0.4
"""A step with a fresh Hessian moving no score by more than this passes the Armijo test."""
HESSIAN_REUSE_MOVE = 1e-6
"""Below this relative move the Hessian is reused for the confirming step."""


def _relative_move(step: Array, theta: Array) -> float:
    """Largest coordinate of a step, relative to the largest coefficient (at least 1)."""
    return float(np.max(np.abs(step))) / max(1.0, float(np.max(np.abs(theta))))


def _newton_step(hess: Array, grad: Array) -> Array:
    """Solve H·step = g with a Cholesky factorisation, damping H when it is singular.

    Far from the optimum the logistic curvature σ(1 − σ) can underflow for most
    samples, leaving H numerically singular (e.g. with an unpenalised bias).
    Adding μI with a growing μ gives a descent direction; the line search does
    the rest, and near the optimum no damping is needed.

    Raises:
        SimulationError: When H stays singular whatever the damping (non-finite data).
    """
    scale = float(np.max(np.abs(np.diag(hess)))) if np.all(np.isfinite(hess)) else np.nan
    damping = 0.0
    for _ in range(12):
        try:
            with warnings.catch_warnings():
                # ill-conditioned but factorisable: the line search keeps the step safe
                warnings.simplefilter("ignore", linalg.LinAlgWarning)
                return linalg.solve(hess + damping * np.eye(len(grad)), grad, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            if not np.isfinite(scale):
                break
            damping = max(damping * 100.0, 1e-12 * max(scale, 1e-300))
    raise SimulationError(
        "the logistic Hessian is singular: the features may be non-finite or far too large; "
        "add regularisation (learner.reg > 0) or keep the bias penalised"
    )


class ExactLogistic(LogisticLearner):
    """L2-regularised logistic regression solved by Newton's method to machine precision.

    Newton steps with a backtracking line search, from the warm start when one
    is given (the optimum does not depend on it). Each step costs two passes
    over the data for the scores and the gradient plus one for the Hessian; the
    line search reuses the scores, so it costs no extra pass.

    Args:
        reg: Penalty strength λ; ``None`` means 1/n.
        penalize_bias: Whether the bias column is penalised (default True,
            matching scikit-learn with ``fit_intercept=False``).
        bias_index: Column holding the constant bias feature.
        tol: Stop after a full Newton step that moves no coordinate by more
            than ``tol`` (relative to the largest coefficient, at least 1):
            quadratic convergence leaves an error of order tol², below rounding.
        max_iter: Maximum number of Newton steps.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **LOGISTIC_PARAMETERS,
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, MAX_ITERATIONS, closed="both")],
    }

    def __init__(
        self,
        reg: float | None = None,
        penalize_bias: bool = True,
        bias_index: int = -1,
        tol: float = 1e-10,
        max_iter: int = 100,
    ) -> None:
        super().__init__(reg=reg, penalize_bias=penalize_bias, bias_index=bias_index)
        self.tol = tol
        self.max_iter = max_iter

    def _solve(self, X: Array, y: Array, sample_weight: Array | None, start: Array | None) -> None:
        with single_threaded_blas():
            self._newton(X, y, sample_weight, start)

    def _newton(self, X: Array, y: Array, sample_weight: Array | None, start: Array | None) -> None:
        loss = self.loss_function()
        n, d = X.shape
        w, total = sample_weights(sample_weight, n)
        theta = np.zeros(d) if start is None else start
        lam = loss.penalty_diagonal(d, total)

        def value_at(scores: Array, params: Array) -> float:
            # The objective from kept scores, its penalty summed coordinate-wise
            # (λ·P as a vector): the line search compares these values only
            # with one another.
            return float(loss.data_value(scores, y, w) + 0.5 * np.sum(lam * params**2))

        z = X @ theta
        value = None  # the objective, evaluated only when a line search needs it
        previous_move = np.inf
        self.n_iter_ = self.max_iter
        for iteration in range(1, self.max_iter + 1):
            p = expit(z)
            grad = loss.data_gradient(X, p, y, w) + lam * theta
            # Once the steps are tiny the Hessian no longer changes noticeably: the
            # last, confirming step reuses it (a chord step, still converging).
            fresh = previous_move > HESSIAN_REUSE_MOVE
            if fresh:
                hess = loss.data_hessian(X, p, w) + np.diag(lam)
            step = _newton_step(hess, grad)
            # Where the curvature has underflowed (all scores saturated) the Newton
            # step is huge: cap its length so that the line search starts sensibly.
            longest = float(np.max(np.abs(step)))
            if longest > MAX_NEWTON_STEP:
                step = step * (MAX_NEWTON_STEP / longest)
            decrement = float(grad @ step)
            if not np.isfinite(decrement):
                raise SimulationError("Newton's method met non-finite values (features too large?)")
            if decrement <= 1e-12 and _relative_move(step, theta - step) <= self.tol:
                # Converged (see below) on a full step: the scores are not needed again.
                theta = theta - step
                self.n_iter_ = iteration
                break
            z_step = X @ step
            t = 1.0
            # The full step is taken without a line search in the quadratic region
            # (rounding would hide the decrease anyway), and wherever it provably
            # passes the Armijo test: with a fresh Hessian and no score moving by more
            # than FULL_STEP_SCORE_MOVE, since the logistic loss has |ℓ‴| ≤ ℓ″ its
            # curvature along the step stays within e^0.4 < 1.5 of H's, and then
            # f(θ − step) ≤ f(θ) − decrement/4. Elsewhere backtrack (Armijo).
            certified = fresh and float(np.max(np.abs(z_step))) <= FULL_STEP_SCORE_MOVE
            if decrement > 1e-12 and not certified:
                if value is None:
                    value = value_at(z, theta)
                while True:
                    new_value = value_at(z - t * z_step, theta - t * step)
                    if new_value <= value - 0.25 * t * decrement:
                        value = new_value
                        break
                    t *= 0.5
                    if t < 1e-16:
                        raise SimulationError(
                            "Newton's line search found no decrease of the logistic loss "
                            "(the problem is numerically degenerate)"
                        )
            else:
                value = None  # not known at the new point
            theta = theta - t * step
            z -= z_step if t == 1.0 else t * z_step
            move = _relative_move(t * step, theta)
            # Converged: a full step this small leaves an error of order move², below
            # rounding; or the steps stopped shrinking at the floating-point noise floor.
            if (t == 1.0 and move <= self.tol) or (move < 1e-9 and move >= 0.5 * previous_move):
                self.n_iter_ = iteration
                break
            previous_move = move
        self.coef_ = theta
