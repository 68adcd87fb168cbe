"""The platform's learners: scikit-learn estimators of a declared loss, and their registry.

A learner is a ``sklearn.base.BaseEstimator`` (parameters in the constructor,
``get_params``/``set_params``/``clone``) that minimises a loss of
:mod:`~platform_abm.common.learners.losses` and exposes that objective's
derivatives in θ and in the features (:mod:`~platform_abm.common.learners.base`).
The solvers:

* :class:`ExactLogistic` (``exact``): Newton's method to machine precision,
* :class:`SklearnLearner` (``sklearn-lbfgs``): a scikit-learn logistic regression,
* :class:`GradientDescent` (``gd``): fixed-budget gradient descent,
* :class:`BacktrackingGD` (``backtracking-gd``): the performative-prediction
  credit code's gradient descent,
* :class:`LeastSquares` (``least-squares``): the squared loss in closed form.

``LEARNERS`` maps the scenario names to the classes; the learners' guide is
``docs/learners.md``.
"""

from platform_abm.common.learners.backtracking_gd import BacktrackingGD
from platform_abm.common.learners.base import (
    MAX_ITERATIONS,
    Learner,
    LogisticLearner,
    LossLearner,
    parameters_model,
)
from platform_abm.common.learners.blas import single_threaded_blas
from platform_abm.common.learners.gradient_descent import GradientDescent
from platform_abm.common.learners.least_squares import LeastSquares
from platform_abm.common.learners.losses import (
    LogisticLoss,
    Loss,
    SquaredLoss,
    logistic_loss,
    sample_weights,
    weighted_gram,
)
from platform_abm.common.learners.newton import FULL_STEP_SCORE_MOVE, ExactLogistic
from platform_abm.common.learners.registry import (
    DEFAULT_LEARNER,
    LEARNERS,
    LearnerTable,
    build_learner,
    learner_from_table,
    learner_names,
    learner_table,
    make_learner,
)
from platform_abm.common.learners.sklearn_learner import SklearnLearner

__all__ = [
    "DEFAULT_LEARNER",
    "FULL_STEP_SCORE_MOVE",
    "LEARNERS",
    "MAX_ITERATIONS",
    "BacktrackingGD",
    "ExactLogistic",
    "GradientDescent",
    "Learner",
    "LearnerTable",
    "LeastSquares",
    "LogisticLearner",
    "LogisticLoss",
    "Loss",
    "LossLearner",
    "SklearnLearner",
    "SquaredLoss",
    "build_learner",
    "learner_from_table",
    "learner_names",
    "learner_table",
    "logistic_loss",
    "make_learner",
    "parameters_model",
    "sample_weights",
    "single_threaded_blas",
    "weighted_gram",
]
