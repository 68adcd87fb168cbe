"""The learner registry: the names scenario files use, their ``[learner]`` tables, make_learner."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from platform_abm.common.learners.backtracking_gd import BacktrackingGD
from platform_abm.common.learners.base import Learner, parameters_model
from platform_abm.common.learners.gradient_descent import GradientDescent
from platform_abm.common.learners.least_squares import LeastSquares
from platform_abm.common.learners.newton import ExactLogistic
from platform_abm.common.learners.sklearn_learner import SklearnLearner
from platform_abm.common.validation import Allowed, StrictModel, refuse, validate

LEARNERS: dict[str, type[Learner]] = {
    "exact": ExactLogistic,
    "sklearn-lbfgs": SklearnLearner,
    "gd": GradientDescent,
    "least-squares": LeastSquares,
    "backtracking-gd": BacktrackingGD,
}
"""Every learner a scenario's ``[learner] name`` may choose, by that name."""


def learner_names() -> tuple[str, ...]:
    """The registered learner names, sorted."""
    return tuple(sorted(LEARNERS))


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
        name: One of :func:`learner_names` (``backtracking-gd``, ``exact``, ``gd``,
            ``least-squares``, ``sklearn-lbfgs``).
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
