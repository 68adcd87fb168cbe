"""A scikit-learn logistic regression as the platform's learner, its loss declared for the theory.

The theory (implicit gradients, the alignment metrics) needs the derivatives of
the loss the learner minimises, so this learner accepts only estimators whose
loss it knows: scikit-learn's ``LogisticRegression`` with an L2 penalty or
none, no intercept of its own (the bias is a feature column) and no class
weights. Anything else (an SVC, a forest, an L1 or elastic-net penalty) is
refused with an :class:`~platform_abm.common.errors.InputError` naming it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from platform_abm.common.constraints import HasMethods
from platform_abm.common.errors import InputError
from platform_abm.common.learners.base import LossLearner
from platform_abm.common.learners.losses import LogisticLoss, sample_weights

Array = np.ndarray

ACCEPTED_ESTIMATORS = (
    "a scikit-learn LogisticRegression with fit_intercept=False, an L2 penalty or none "
    "(penalty 'l2' or None, l1_ratio 0) and class_weight=None: the loss whose derivatives "
    "the learner provides"
)
"""What :class:`SklearnLearner` accepts as its estimator (the message of a refusal)."""


def notebook_estimator() -> Any:
    """The public notebooks' estimator: ``LogisticRegression(C=1, tol=1e-5, max_iter=1000)``.

    Without an intercept of its own, fitted from scratch (an inexact lbfgs solve).
    """
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, tol=1e-5, max_iter=1000, fit_intercept=False)


def logistic_loss_of(estimator: Any, field: str = "learner.estimator") -> LogisticLoss:
    """The loss a scikit-learn estimator minimises, when this package can differentiate it.

    Args:
        estimator: A scikit-learn estimator.
        field: The estimator's name in a refusal.

    Returns:
        Its loss: λ = 1/(C·Σw), or no penalty for ``penalty=None``.

    Raises:
        InputError: For any estimator but a logistic regression of the
            accepted kind (naming ``field``).
    """
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

    if not isinstance(estimator, LogisticRegression) or isinstance(estimator, LogisticRegressionCV):
        raise InputError(field, estimator, ACCEPTED_ESTIMATORS)
    params = estimator.get_params(deep=False)
    penalty = params.get("penalty", "l2")
    l2 = penalty in ("l2", "deprecated") and params.get("l1_ratio") in (None, 0)
    if (
        params["fit_intercept"]
        or params.get("class_weight") is not None
        or not (l2 or penalty is None)
    ):
        raise InputError(field, estimator, ACCEPTED_ESTIMATORS)
    if penalty is None:
        return LogisticLoss(reg=0.0)
    return LogisticLoss(C=float(params["C"]))


class SklearnLearner(LossLearner):
    """A scikit-learn logistic regression as the platform's learner.

    With the default estimator, ``LogisticRegression(C=1, tol=1e-5,
    max_iter=1000, fit_intercept=False)`` fitted from scratch every round, it is
    the learner of the public notebooks (an inexact lbfgs solve). Its objective
    methods are those of the regularised logistic loss with λ = 1/(C·n).

    Args:
        estimator: A scikit-learn ``LogisticRegression`` with
            ``fit_intercept=False``, an L2 penalty or none and no class weights
            (any other estimator is refused); by default the notebooks' one.
        use_warm_start: Whether ``fit`` passes the given warm start to the
            estimator's solver (the notebooks do not).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [None, HasMethods(["fit", "get_params", "set_params"])],
        "use_warm_start": ["boolean"],
    }
    requires_both_labels: ClassVar[bool] = True

    def __init__(self, estimator: Any = None, use_warm_start: bool = False) -> None:
        self.estimator = estimator
        self.use_warm_start = use_warm_start

    def _estimator(self) -> Any:
        return notebook_estimator() if self.estimator is None else self.estimator

    def loss_function(self) -> LogisticLoss:
        """The estimator's loss (see :func:`logistic_loss_of`)."""
        return logistic_loss_of(self._estimator())

    def _check_params(self, where: str = "learner") -> None:
        """Validate the parameters, then refuse an estimator whose loss is not known."""
        super()._check_params(where)
        logistic_loss_of(self._estimator(), field=f"{where}.estimator")

    def _solve(self, X: Array, y: Array, sample_weight: Array | None, start: Array | None) -> None:
        from sklearn.base import clone

        est = clone(self._estimator())
        if sample_weight is not None:
            sample_weights(sample_weight, len(y))  # validate
        if start is not None:
            est.set_params(warm_start=True)
            est.coef_ = start[None, :].copy()
            est.classes_ = np.array([0, 1])
        est.fit(X, y.astype(int), sample_weight=sample_weight)
        self.coef_ = np.ravel(est.coef_).astype(float)
        self.n_iter_ = int(np.max(getattr(est, "n_iter_", 0)))
