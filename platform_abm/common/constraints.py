"""scikit-learn's parameter-constraint vocabulary, for the learners' ``_parameter_constraints``.

A learner declares each constructor parameter as a list of constraints, any
one of which may hold, exactly as scikit-learn's estimators do::

    _parameter_constraints = {
        "lr": [Interval(Real, 0, None, closed="neither")],
        "reg": [None, Interval(Real, 0, None, closed="left")],
        "penalize_bias": ["boolean"],
    }

The classes below have the names, arguments and attributes of those in
``sklearn.utils._param_validation``. They are mirrored rather than imported
because that module is private (it may change without deprecation) and
importing it imports the whole of scikit-learn, which about doubles the start-up
time of every run whose learner never uses scikit-learn. Their meaning is the
one :func:`platform_abm.common.validation.constraint_type` gives them, which also
reads scikit-learn's own classes (a test checks that both translate alike), so
a learner that becomes a scikit-learn estimator can switch to scikit-learn's
classes by changing its import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Interval:
    """Numbers of a type between two bounds.

    Attributes:
        type: ``numbers.Integral`` or ``numbers.Real``.
        left: Lower bound (None: unbounded).
        right: Upper bound (None: unbounded).
        closed: Which bounds are included: ``"left"``, ``"right"``, ``"both"``
            or ``"neither"``.
    """

    type: type
    left: float | None
    right: float | None
    closed: Literal["left", "right", "both", "neither"]


@dataclass(frozen=True)
class StrOptions:
    """One of a set of strings.

    Attributes:
        options: The allowed strings.
    """

    options: frozenset[str] = field(default_factory=frozenset)

    def __init__(self, options: Iterable[str]) -> None:
        object.__setattr__(self, "options", frozenset(options))


@dataclass(frozen=True)
class HasMethods:
    """Any object with the given methods (an estimator, for instance).

    Attributes:
        methods: The method names.
    """

    methods: tuple[str, ...]

    def __init__(self, methods: Iterable[str] | str) -> None:
        names = (methods,) if isinstance(methods, str) else tuple(methods)
        object.__setattr__(self, "methods", names)
