"""The learner interface: a scikit-learn estimator that minimises a declared objective in θ.

Every learner is a ``sklearn.base.BaseEstimator``: the constructor only stores
its parameters, so ``get_params``, ``set_params`` and ``sklearn.base.clone``
work; ``fit`` returns ``self``; fitted attributes end in ``_`` (``coef_``,
``n_iter_``). Besides ``fit`` a learner exposes its objective in θ:

* ``objective(theta, X, y, sample_weight)``: the regularised weighted mean loss,
* ``gradient`` and ``hessian`` of that objective in θ,
* ``sample_loss``, ``sample_gradient`` (in θ) and ``sample_grad_x`` (in the
  features) per sample,
* ``mixed_vjp(theta, X, y, v)``: the vector–Jacobian product of the per-sample
  gradient ∇θℓ(x_i, y_i; θ) with respect to the features x_i, i.e. row i is
  Σ_k v_k ∂(∇θℓ_i)_k / ∂x_i. It is what implicit-function-theorem gradients and
  the alignment metrics Φ and Ψ contract.

``sample_weight`` is the one name for weights (normalised internally; they
count samples, as in scikit-learn). ``warm_start`` is the one name for a warm
start: the θ the fit starts from. Where a learner solves to its tolerance the
optimum does not depend on it (only the number of iterations does); a learner
whose result is the end of a fixed budget (:class:`GradientDescent`, an inexact
scikit-learn solve) has a constructor switch ``use_warm_start`` saying whether
its fits start from a given warm start at all.
"""

from __future__ import annotations

import functools
import inspect
from abc import ABC, abstractmethod
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from platform_abm.common.constraints import Interval
from platform_abm.common.errors import InputError
from platform_abm.common.learners.losses import LogisticLoss, Loss
from platform_abm.common.validation import StrictModel, validate

Array = np.ndarray

MAX_ITERATIONS = 1_000_000
"""Upper bound of the declared iteration counts (Newton steps, gradient steps)."""


def constructor_parameters(cls: type) -> list[str]:
    """A class's constructor parameter names, in declaration order.

    scikit-learn's ``_get_param_names`` sorts them; the declarations (scenario
    reference, error messages) keep the constructor's order.
    """
    signature = inspect.signature(cls.__init__)
    return [
        name
        for name, parameter in signature.parameters.items()
        if name != "self"
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]


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

    from platform_abm.common.validation import constraint_type

    signature = inspect.signature(cls.__init__)
    fields: dict[str, Any] = {}
    for name in constructor_parameters(cls):
        constraints = cls._parameter_constraints.get(name)
        tp = Any if constraints is None else constraint_type(constraints)
        fields[name] = (tp, signature.parameters[name].default)
    first_line = (inspect.getdoc(cls) or cls.__name__).splitlines()[0]
    model = create_model(
        f"{cls.__name__}Parameters", __base__=StrictModel, __doc__=first_line, **fields
    )
    model.KEYS_NOTE = f"for {cls.__name__}"
    return model


class Learner(BaseEstimator, ABC):
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

    def _check_params(self, where: str = "learner") -> None:
        """Validate the parameters against the class's declaration (once per value set).

        Args:
            where: Prefix of the field names in error messages.

        Raises:
            InputError: Naming the first parameter that is not allowed.
        """
        params = {name: getattr(self, name) for name in constructor_parameters(type(self))}
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
            warm_start: The θ the fit starts from, shape (d,) (see the module
                docstring); ignored by a learner whose ``use_warm_start`` is
                False and by one that solves in closed form.

        Returns:
            The fitted learner.
        """

    @abstractmethod
    def objective(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> float:
        """Regularised weighted mean loss at θ."""

    @abstractmethod
    def gradient(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Array:
        """Gradient of the objective in θ, shape (d,)."""

    @abstractmethod
    def hessian(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Array:
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

    def accuracy(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> float:
        """(Weighted) share of samples classified correctly by the sign of x·θ."""
        return float(np.average((X @ theta > 0) == (y > 0.5), weights=sample_weight))


class LossLearner(Learner, ABC):
    """A learner whose objective is a declared loss (:mod:`~platform_abm.common.learners.losses`).

    The objective and its derivatives are the loss's (:meth:`loss_function`);
    a subclass implements the solver alone (``_solve``), which ``fit`` calls
    after checking the parameters and resolving the warm start.
    """

    #: Whether ``fit`` starts from a given warm start; learners whose result
    #: depends on the start make this a constructor parameter.
    use_warm_start: bool = True

    @abstractmethod
    def loss_function(self) -> Loss:
        """The loss this learner minimises, built from its parameters."""

    @abstractmethod
    def _solve(self, X: Array, y: Array, sample_weight: Array | None, start: Array | None) -> None:
        """Minimise the loss from ``start`` (None: the solver's own); set the fitted attributes."""

    def fit(
        self,
        X: Array,
        y: Array,
        sample_weight: Array | None = None,
        warm_start: Array | None = None,
    ) -> LossLearner:
        """Minimise the objective on (X, y); see :meth:`Learner.fit`.

        Raises:
            InputError: For a parameter the declaration does not allow, or a
                warm start that is not one value per column of X.
        """
        self._check_params()
        start = None
        if warm_start is not None and self.use_warm_start:
            start = np.array(warm_start, dtype=float)
            if start.shape != (X.shape[1],):
                raise InputError(
                    "warm_start", f"array of shape {start.shape}", f"shape ({X.shape[1]},)"
                )
        self._solve(X, y, sample_weight, start)
        return self

    def objective(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> float:
        """The loss's value at θ."""
        return self.loss_function().value(theta, X, y, sample_weight)

    def gradient(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Array:
        """The loss's gradient in θ."""
        return self.loss_function().gradient(theta, X, y, sample_weight)

    def hessian(
        self, theta: Array, X: Array, y: Array, sample_weight: Array | None = None
    ) -> Array:
        """The loss's Hessian in θ."""
        return self.loss_function().hessian(theta, X, y, sample_weight)

    def sample_loss(self, theta: Array, X: Array, y: Array) -> Array:
        """The loss's per-sample values."""
        return self.loss_function().sample_loss(theta, X, y)

    def sample_gradient(self, theta: Array, X: Array, y: Array) -> Array:
        """The loss's per-sample gradients in θ."""
        return self.loss_function().sample_gradient(theta, X, y)

    def sample_grad_x(self, theta: Array, X: Array, y: Array) -> Array:
        """The loss's per-sample gradients in the features."""
        return self.loss_function().sample_grad_x(theta, X, y)

    def mixed_vjp(self, theta: Array, X: Array, y: Array, v: Array) -> Array:
        """The loss's mixed θ–x vector–Jacobian product (see :class:`Learner`)."""
        return self.loss_function().mixed_vjp(theta, X, y, v)


LOGISTIC_PARAMETERS: dict[str, list[Any]] = {
    "reg": [None, Interval(Real, 0, None, closed="left")],
    "penalize_bias": ["boolean"],
    "bias_index": [Interval(Integral, None, None, closed="neither")],
}
"""The declarations of the logistic loss's parameters, shared by the logistic learners."""


class LogisticLearner(LossLearner, ABC):
    """A learner of the L2-regularised logistic loss, penalised as its parameters say.

    The loss is :class:`~platform_abm.common.learners.losses.LogisticLoss` with
    the learner's ``reg``, ``penalize_bias`` and ``bias_index``.
    """

    requires_both_labels: ClassVar[bool] = True

    def __init__(
        self, reg: float | None = None, penalize_bias: bool = True, bias_index: int = -1
    ) -> None:
        self.reg = reg
        self.penalize_bias = penalize_bias
        self.bias_index = bias_index

    def loss_function(self) -> LogisticLoss:
        """The logistic loss with this learner's penalty."""
        return LogisticLoss(
            reg=self.reg, penalize_bias=self.penalize_bias, bias_index=self.bias_index
        )
