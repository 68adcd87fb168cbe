"""Learners: the platform's risk minimisers and the derivatives the theory needs.

Every learner follows scikit-learn's conventions (the constructor stores
parameters, ``fit`` returns ``self``, fitted attributes end in ``_``) and exposes
the same objective interface in θ:

* ``objective(theta, X, y, weights)``: regularised weighted mean loss,
* ``gradient`` and ``hessian`` of that objective in θ,
* ``mixed_vjp(theta, X, y, v)``: the vector–Jacobian product of the per-sample
  gradient ∇θℓ(x_i, y_i; θ) with respect to the features x_i, i.e. row i is
  Σ_k v_k ∂(∇θℓ_i)_k / ∂x_i. It is what implicit-function-theorem gradients and
  the alignment metrics Φ and Ψ contract.

The objective of the logistic learners is

    L(θ) = Σ_i w_i ℓ(x_i, y_i; θ) / Σ_i w_i + (λ/2) ||P θ||²,

with ℓ the logistic loss, P the penalty mask (the bias column can be left
unpenalised) and λ = 1/Σ_i w_i by default (1/n with unit weights). This is
scikit-learn's ``LogisticRegression(C=1, fit_intercept=False)`` objective with
the same sample weights, divided by Σ_i w_i.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import BeforeValidator
from scipy import linalg
from scipy.special import expit

from platform_abm.common.constraints import HasMethods, Interval
from platform_abm.common.errors import InputError, SimulationError
from platform_abm.common.validation import Allowed, StrictModel, constraint_type, refuse, validate

Array = np.ndarray


def _weights(weights: Array | None, n: int) -> tuple[Array | float, float]:
    """Sample weights normalised to sum to one, and their total (the effective n).

    As in scikit-learn, weights count samples: uniform weights 1 (the default)
    make the effective sample size n, which sets the default penalty λ = 1/n.
    Uniform weights are returned as the scalar 1/n, which broadcasts to the
    same products without a pass over an array of n copies.
    """
    if weights is None:
        return 1.0 / n, float(n)
    w = np.asarray(weights, dtype=float)
    total = float(w.sum())
    if w.shape != (n,) or not np.isfinite(total) or total <= 0 or (w < 0).any():
        raise InputError("weights", f"array of shape {w.shape}", f"{n} non-negative finite values")
    return w / total, total


def logistic_loss(z: Array, y: Array) -> Array:
    """Per-sample logistic loss log(1 + e^z) − y·z, computed without overflow.

    Args:
        z: Linear scores x·θ.
        y: Labels in {0, 1}.

    Returns:
        The per-sample losses.
    """
    return np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0.0) - y * z


MAX_NEWTON_STEP = 10.0
MAX_ITERATIONS = 1_000_000
"""Upper bound of the declared iteration counts (Newton steps, gradient steps)."""
FULL_STEP_SCORE_MOVE = 0.4
HESSIAN_REUSE_MOVE = 1e-6
GRAM_CHUNK_ROWS = 4096
_BLAS_CONTROLLER: Any = None


def single_threaded_blas() -> Any:
    """A context in which BLAS runs on one thread.

    The exact learner's passes over the data are matrix–vector products bound
    by memory bandwidth; multi-threaded BLAS makes them up to ten times slower
    on a 2-core machine as soon as another process competes for a core.
    """
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


def weighted_gram(X: Array, c: Array) -> Array:
    """Σ_i c_i x_i x_iᵀ, accumulated over row blocks that stay in cache.

    Args:
        X: Rows x_i, shape (n, d).
        c: Weights, shape (n,).

    Returns:
        The (d, d) matrix.
    """
    gram = np.zeros((X.shape[1], X.shape[1]))
    for start in range(0, len(X), GRAM_CHUNK_ROWS):
        block = X[start : start + GRAM_CHUNK_ROWS]
        gram += block.T @ (block * c[start : start + GRAM_CHUNK_ROWS, None])
    return gram


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


class Learner(ABC):
    """Interface shared by all learners (see the module docstring).

    Every learner declares its constructor parameters in
    ``_parameter_constraints``, in scikit-learn's vocabulary (``Interval``,
    ``StrOptions``, ``"boolean"``, ``None``, ``HasMethods``): the one
    declaration from which scenario files, :func:`make_learner`, the platform
    model and ``fit`` check the parameters (see :func:`parameters_model`).
    """

    coef_: Array
    n_iter_: int

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    #: Whether the learner classifies labels 0/1 (then a population needs both,
    #: at least 2 users each); a custom learner of another target sets False.
    requires_both_labels: ClassVar[bool] = False

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The constructor's parameter names, in order (as scikit-learn reads them)."""
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, parameter in signature.parameters.items()
            if name != "self"
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        ]

    def _check_params(self, where: str = "learner") -> None:
        """Validate the parameters against the class's declaration (once per value set).

        Args:
            where: Prefix of the field names in error messages.

        Raises:
            InputError: Naming the first parameter that is not allowed.
        """
        params = {name: getattr(self, name) for name in self._get_param_names()}
        if getattr(self, "_checked_params", None) == params:
            return
        validate(parameters_model(type(self)), params, where)
        self._checked_params = params

    @abstractmethod
    def fit(
        self,
        X: Array,
        y: Array,
        sample_weight: Array | None = None,
        warm_start: Array | None = None,
    ) -> Learner:
        """Minimise the objective on (X, y) and store the minimiser in ``coef_``.

        Args:
            X: Features, shape (n, d).
            y: Labels, shape (n,).
            sample_weight: Non-negative weights (normalised internally).
            warm_start: Starting parameters, shape (d,); ignored by learners
                that do not support it.

        Returns:
            The fitted learner.
        """

    @abstractmethod
    def objective(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> float:
        """Regularised weighted mean loss at θ."""

    @abstractmethod
    def gradient(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> Array:
        """Gradient of the objective in θ, shape (d,)."""

    @abstractmethod
    def hessian(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> Array:
        """Hessian of the objective in θ, shape (d, d)."""

    @abstractmethod
    def sample_loss(self, theta: Array, X: Array, y: Array) -> Array:
        """Unregularised per-sample loss ℓ(x_i, y_i; θ), shape (n,)."""

    @abstractmethod
    def sample_gradient(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample gradient ∇θℓ(x_i, y_i; θ), shape (n, d)."""

    @abstractmethod
    def sample_grad_x(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample gradient ∂ℓ(x_i, y_i; θ)/∂x_i in the features, shape (n, d)."""

    @abstractmethod
    def mixed_vjp(self, theta: Array, X: Array, y: Array, v: Array) -> Array:
        """Rows Σ_k v_k ∂(∇θℓ_i)_k/∂x_i, shape (n, d)."""

    def mixed_derivative(self, theta: Array, X: Array, y: Array) -> Array:
        """Full per-sample mixed derivative J[i, k, f] = ∂(∇θℓ_i)_k/∂x_{i,f}.

        Costs n·d² memory: meant for small problems and tests. Large problems
        should contract with :meth:`mixed_vjp` instead.
        """
        d = X.shape[1]
        return np.stack([self.mixed_vjp(theta, X, y, e) for e in np.eye(d)], axis=1)

    def accuracy(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> float:
        """(Weighted) share of samples classified correctly by the sign of x·θ."""
        return float(np.average((X @ theta > 0) == (y > 0.5), weights=weights))


class _LogisticObjective(Learner, ABC):
    """Regularised logistic objective shared by the logistic learners.

    Args:
        reg: Penalty strength λ; ``None`` means 1/n for the data being fitted.
        penalize_bias: Whether the bias column is penalised.
        bias_index: Column holding the constant bias feature (default: last).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "reg": [None, Interval(Real, 0, None, closed="left")],
        "penalize_bias": ["boolean"],
        "bias_index": [Interval(Integral, None, None, closed="neither")],
    }
    requires_both_labels: ClassVar[bool] = True

    def __init__(
        self, reg: float | None = None, penalize_bias: bool = True, bias_index: int = -1
    ) -> None:
        self.reg = reg
        self.penalize_bias = penalize_bias
        self.bias_index = bias_index

    def _lambda(self, n: int) -> float:
        if self.reg is None:
            return 1.0 / n
        if not np.isfinite(self.reg) or self.reg < 0:
            raise InputError("learner.reg", self.reg, "a finite number >= 0 or None")
        return float(self.reg)

    def _mask(self, d: int) -> Array:
        mask = np.ones(d)
        if not self.penalize_bias:
            if not -d <= self.bias_index < d:
                raise InputError(
                    "learner.bias_index", self.bias_index, f"a column index from {-d} to {d - 1}"
                )
            mask[self.bias_index] = 0.0
        return mask

    def objective(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> float:
        """Regularised weighted mean logistic loss at θ."""
        w, total = _weights(weights, len(y))
        penalty = 0.5 * self._lambda(total) * np.sum(self._mask(len(theta)) * theta**2)
        return float(np.sum(w * logistic_loss(X @ theta, y)) + penalty)

    def gradient(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> Array:
        """Gradient Σ w_i (σ(x_i·θ) − y_i) x_i + λ P θ."""
        w, total = _weights(weights, len(y))
        residual = w * (expit(X @ theta) - y)
        return X.T @ residual + self._lambda(total) * self._mask(len(theta)) * theta

    def hessian(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> Array:
        """Hessian Σ w_i σ_i(1 − σ_i) x_i x_iᵀ + λ P."""
        w, total = _weights(weights, len(y))
        p = expit(X @ theta)
        curvature = w * p * (1.0 - p)
        return weighted_gram(X, curvature) + np.diag(self._lambda(total) * self._mask(len(theta)))

    def sample_loss(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample logistic loss."""
        return logistic_loss(X @ theta, y)

    def sample_gradient(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample gradient (σ(x_i·θ) − y_i) x_i."""
        return (expit(X @ theta) - y)[:, None] * X

    def sample_grad_x(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample (σ(x_i·θ) − y_i) θ."""
        return (expit(X @ theta) - y)[:, None] * theta[None, :]

    def mixed_vjp(self, theta: Array, X: Array, y: Array, v: Array) -> Array:
        """Rows σ'_i (v·x_i) θ + (σ_i − y_i) v (see :class:`Learner`)."""
        p = expit(X @ theta)
        slope = p * (1.0 - p) * (X @ v)
        return slope[:, None] * theta[None, :] + (p - y)[:, None] * v[None, :]


class ExactLogistic(_LogisticObjective):
    """L2-regularised logistic regression solved by Newton's method to machine precision.

    Newton steps with a backtracking line search, warm-started when a previous
    solution is given. Each step costs two passes over the data for the scores
    and the gradient plus one for the Hessian; the line search reuses the
    scores, so it costs no extra pass.

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
        **_LogisticObjective._parameter_constraints,
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

    def fit(
        self,
        X: Array,
        y: Array,
        sample_weight: Array | None = None,
        warm_start: Array | None = None,
    ) -> ExactLogistic:
        """Run Newton's method; see :meth:`Learner.fit`."""
        self._check_params()
        with single_threaded_blas():
            return self._newton(X, y, sample_weight, warm_start)

    def _newton(
        self, X: Array, y: Array, sample_weight: Array | None, warm_start: Array | None
    ) -> ExactLogistic:
        n, d = X.shape
        w, total = _weights(sample_weight, n)
        theta = np.zeros(d) if warm_start is None else np.array(warm_start, dtype=float)
        lam = self._lambda(total) * self._mask(d)

        def value_at(scores: Array, params: Array) -> float:
            return float(np.sum(w * logistic_loss(scores, y)) + 0.5 * np.sum(lam * params**2))

        z = X @ theta
        value = None  # the objective, evaluated only when a line search needs it
        previous_move = np.inf
        self.n_iter_ = self.max_iter
        for iteration in range(1, self.max_iter + 1):
            p = expit(z)
            grad = X.T @ (w * (p - y)) + lam * theta
            # Once the steps are tiny the Hessian no longer changes noticeably: the
            # last, confirming step reuses it (a chord step, still converging).
            fresh = previous_move > HESSIAN_REUSE_MOVE
            if fresh:
                hess = weighted_gram(X, w * p * (1.0 - p)) + np.diag(lam)
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
        return self


class SklearnLearner(_LogisticObjective):
    """A scikit-learn linear classifier as the platform's learner.

    With the default estimator, ``LogisticRegression(C=1, tol=1e-5,
    max_iter=1000, fit_intercept=False)`` fitted from scratch every round, it is
    the learner of the public notebooks (an inexact lbfgs solve). Its objective
    methods are those of the regularised logistic loss with λ = 1/(C·n).

    Args:
        estimator: A scikit-learn estimator with ``coef_`` after ``fit``; by
            default the notebooks' logistic regression.
        warm_start: Whether to pass the previous solution to lbfgs (the
            notebooks do not).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [None, HasMethods(["fit", "get_params", "set_params"])],
        "warm_start": ["boolean"],
    }

    def __init__(self, estimator: Any = None, warm_start: bool = False) -> None:
        super().__init__(reg=None, penalize_bias=True)
        self.estimator = estimator
        self.warm_start = warm_start

    def _estimator(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        if self.estimator is None:
            return LogisticRegression(C=1.0, tol=1e-5, max_iter=1000, fit_intercept=False)
        return self.estimator

    def _lambda(self, n: int) -> float:
        return 1.0 / (float(getattr(self._estimator(), "C", 1.0)) * n)

    def fit(
        self,
        X: Array,
        y: Array,
        sample_weight: Array | None = None,
        warm_start: Array | None = None,
    ) -> SklearnLearner:
        """Fit the wrapped estimator; see :meth:`Learner.fit`."""
        from sklearn.base import clone

        self._check_params()
        est = clone(self._estimator())
        if sample_weight is not None:
            _weights(sample_weight, len(y))  # validate
        if self.warm_start and warm_start is not None and hasattr(est, "warm_start"):
            est.set_params(warm_start=True)
            est.coef_ = np.asarray(warm_start, dtype=float)[None, :].copy()
            est.classes_ = np.array([0, 1])
        est.fit(X, y.astype(int), sample_weight=sample_weight)
        self.coef_ = np.ravel(est.coef_).astype(float)
        self.n_iter_ = int(np.max(getattr(est, "n_iter_", 0)))
        return self


class GradientDescent(_LogisticObjective):
    """Plain full-batch gradient descent on the logistic objective.

    Reproduces the notebooks' fixed-budget learners: ``steps`` iterations of
    θ ← θ − lr·∇L(θ), from ``warm_start`` when given and ``start`` otherwise.

    Args:
        steps: Number of gradient steps.
        lr: Step size.
        reg: Penalty strength λ (the notebooks use 0).
        penalize_bias: Whether the bias column is penalised.
        use_warm_start: Whether ``fit`` starts from the given previous solution.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "steps": [Interval(Integral, 1, MAX_ITERATIONS, closed="both")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "reg": _LogisticObjective._parameter_constraints["reg"],
        "penalize_bias": ["boolean"],
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
        super().__init__(reg=reg, penalize_bias=penalize_bias)
        self.steps = steps
        self.lr = lr
        self.use_warm_start = use_warm_start

    def fit(
        self,
        X: Array,
        y: Array,
        sample_weight: Array | None = None,
        warm_start: Array | None = None,
    ) -> GradientDescent:
        """Run the fixed number of gradient steps; see :meth:`Learner.fit`."""
        self._check_params()
        use_start = self.use_warm_start and warm_start is not None
        theta = np.array(warm_start, dtype=float) if use_start else np.zeros(X.shape[1])
        for _ in range(self.steps):
            theta = theta - self.lr * self.gradient(theta, X, y, sample_weight)
        self.coef_ = theta
        self.n_iter_ = self.steps
        return self


class LeastSquares(Learner):
    """Ridge-regularised least squares, solved exactly (squared-loss learner).

    Objective Σ_i w_i ½(x_i·θ − y_i)² + (reg/2)||θ||². Used by the label-target
    examples of the theory (``docs/model.md`` §2, Example 1).

    Args:
        reg: Ridge penalty (default 0).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "reg": [Interval(Real, 0, None, closed="left")],
    }
    requires_both_labels: ClassVar[bool] = True

    def __init__(self, reg: float = 0.0) -> None:
        self.reg = reg

    def fit(
        self,
        X: Array,
        y: Array,
        sample_weight: Array | None = None,
        warm_start: Array | None = None,
    ) -> LeastSquares:
        """Solve the normal equations; see :meth:`Learner.fit`."""
        self._check_params()
        w = _weights(sample_weight, len(y))[0]
        hess = self.hessian(np.zeros(X.shape[1]), X, y, sample_weight)
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
        return self

    def objective(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> float:
        """Weighted mean squared loss plus the ridge penalty."""
        w = _weights(weights, len(y))[0]
        return float(np.sum(w * self.sample_loss(theta, X, y)) + 0.5 * self.reg * theta @ theta)

    def gradient(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> Array:
        """Gradient Σ w_i (x_i·θ − y_i) x_i + reg·θ."""
        w = _weights(weights, len(y))[0]
        return X.T @ (w * (X @ theta - y)) + self.reg * theta

    def hessian(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> Array:
        """Hessian Σ w_i x_i x_iᵀ + reg·I."""
        w = _weights(weights, len(y))[0]
        return (X.T * w) @ X + self.reg * np.eye(X.shape[1])

    def sample_loss(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample ½(x·θ − y)²."""
        return 0.5 * (X @ theta - y) ** 2

    def sample_gradient(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample (x·θ − y) x."""
        return (X @ theta - y)[:, None] * X

    def sample_grad_x(self, theta: Array, X: Array, y: Array) -> Array:
        """Per-sample (x_i·θ − y_i) θ."""
        return (X @ theta - y)[:, None] * theta[None, :]

    def mixed_vjp(self, theta: Array, X: Array, y: Array, v: Array) -> Array:
        """Rows (v·x_i) θ + (x_i·θ − y_i) v."""
        return (X @ v)[:, None] * theta[None, :] + (X @ theta - y)[:, None] * v[None, :]

    def accuracy(self, theta: Array, X: Array, y: Array, weights: Array | None = None) -> float:
        """(Weighted) share of samples whose prediction rounds to their label."""
        return float(np.average(np.abs(X @ theta - y) < 0.5, weights=weights))


LEARNERS: dict[str, type[Learner]] = {
    "exact": ExactLogistic,
    "sklearn-lbfgs": SklearnLearner,
    "gd": GradientDescent,
    "least-squares": LeastSquares,
}


def learner_names() -> tuple[str, ...]:
    """The registered learner names, sorted."""
    return tuple(sorted(LEARNERS))


@functools.cache
def parameters_model(cls: type[Learner]) -> type[StrictModel]:
    """The strict declaration of a learner class's constructor parameters.

    One field per constructor parameter, typed from the class's
    ``_parameter_constraints`` (:func:`~platform_abm.common.validation.constraint_type`)
    with the constructor's default; a parameter the class does not constrain
    accepts any value (the registered learners constrain all of theirs, which
    their tests check).

    Args:
        cls: The learner class.

    Returns:
        The pydantic model.
    """
    from pydantic import create_model

    signature = inspect.signature(cls.__init__)
    fields: dict[str, Any] = {}
    for name in cls._get_param_names():
        constraints = cls._parameter_constraints.get(name)
        tp = Any if constraints is None else constraint_type(constraints)
        fields[name] = (tp, signature.parameters[name].default)
    first_line = (inspect.getdoc(cls) or cls.__name__).splitlines()[0]
    model = create_model(
        f"{cls.__name__}Parameters", __base__=StrictModel, __doc__=first_line, **fields
    )
    model.KEYS_NOTE = f"for {cls.__name__}"
    return model


@functools.cache
def learner_table(name: str) -> type[StrictModel]:
    """The declaration of a ``[learner]`` table for one registered learner.

    Its keys are ``name`` and the learner's constructor parameters, so a
    parameter the learner does not take is refused and every one it takes is
    accepted.

    Args:
        name: A registered learner name.

    Returns:
        The pydantic model.
    """
    from pydantic import create_model

    cls = LEARNERS[name]
    base = parameters_model(cls)
    fields: dict[str, Any] = {"name": (Literal[name], name)}
    for field, info in base.model_fields.items():
        fields[field] = (info.annotation, info)
    table = create_model(
        f"{cls.__name__}Table", __base__=StrictModel, __doc__=base.__doc__, **fields
    )
    table.KEYS_NOTE = f"for learner {name!r}"
    return table


def learner_from_table(value: Any) -> StrictModel:
    """Validate a ``[learner]`` table: its name first, then that learner's parameters.

    Args:
        value: The table.

    Returns:
        The validated table (a :func:`learner_table` model).

    Raises:
        pydantic.ValidationError: Located at the offending key (for
            :func:`~platform_abm.common.validation.validate` to report).
    """
    if isinstance(value, StrictModel):
        return value
    if not isinstance(value, dict):
        raise refuse("a table with the learner's name and parameters")
    name = value.get("name", DEFAULT_LEARNER)
    if not isinstance(name, str) or name not in LEARNERS:
        allowed = "one of " + ", ".join(repr(n) for n in learner_names())
        raise refuse(allowed, key="name", value=name)
    return learner_table(name).model_validate(value)


DEFAULT_LEARNER = "exact"


def make_learner(name: str, **params: Any) -> Learner:
    """Build a learner from its scenario name, its parameters validated by its declaration.

    Args:
        name: One of :func:`learner_names` (``exact``, ``gd``, ``least-squares``,
            ``sklearn-lbfgs``).
        **params: Constructor parameters of that learner.

    Returns:
        The learner.

    Raises:
        InputError: For an unknown name or a parameter the learner does not
            take or does not allow (field ``learner.<parameter>``).
    """
    table = validate(_LearnerDocument, {"learner": {**params, "name": name}}).learner
    return build_learner(table)


def build_learner(table: StrictModel) -> Learner:
    """The learner a validated ``[learner]`` table describes.

    Args:
        table: A :func:`learner_table` model.

    Returns:
        The learner, built with the parameters the table gives (the others
        keep the constructor's defaults).
    """
    given = {key: getattr(table, key) for key in table.model_fields_set if key != "name"}
    return LEARNERS[table.name](**given)


LearnerTable = Annotated[
    Any,
    BeforeValidator(learner_from_table),
    Allowed("a table: name (one of the learners) and that learner's parameters"),
]
"""The declared type of a ``[learner]`` table (see :func:`learner_from_table`)."""


class _LearnerDocument(StrictModel):
    """A document holding one ``learner`` table: how :func:`make_learner` names its fields."""

    learner: LearnerTable
