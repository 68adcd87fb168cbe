"""The validation mechanism itself: strict declared types, refusals named by field."""

from numbers import Integral, Real

import numpy as np
import pytest
from pydantic import Field

from platform_abm.common import constraints
from platform_abm.common.errors import InputError
from platform_abm.common.learners import LEARNERS, parameters_model
from platform_abm.common.validation import (
    StrictModel,
    boolean,
    choice,
    constraint_type,
    describe,
    integer,
    number,
    sequence,
    validate,
    variants,
)


class Inner(StrictModel):
    """A nested table."""

    rate: number(gt=0) = 1.0


class Doc(StrictModel):
    """A document with one field of each kind."""

    count: integer(ge=1, le=10) = 1
    rate: number(gt=0) = 0.5
    flag: boolean() = False
    mode: choice("a", "b") = "a"
    items: sequence(number(ge=0)) = Field(default_factory=list)
    inner: Inner = Field(default_factory=Inner)


@pytest.mark.parametrize(
    ("data", "field", "allowed"),
    [
        ({"count": "3"}, "count", "an integer >= 1 and <= 10"),
        ({"count": 3.0}, "count", "an integer"),
        ({"count": True}, "count", "an integer"),
        ({"count": 11}, "count", "<= 10"),
        ({"rate": "fast"}, "rate", "a finite number > 0"),
        ({"rate": float("inf")}, "rate", "a finite number > 0"),
        ({"rate": float("nan")}, "rate", "a finite number > 0"),
        ({"rate": True}, "rate", "a finite number > 0"),
        ({"flag": "yes"}, "flag", "true or false"),
        ({"flag": 1}, "flag", "true or false"),
        ({"mode": "c"}, "mode", "one of 'a', 'b'"),
        ({"items": [1.0, -1.0]}, "items[1]", ">= 0"),
        ({"items": 3}, "items", "a list"),
        ({"inner": {"rate": 0}}, "inner.rate", "> 0"),
        ({"inner": 5}, "inner", "a table"),
        ({"inner": {"speed": 1}}, "inner.speed", "known keys: rate"),
        ({"colour": 1}, "colour", "known keys: count, rate"),
    ],
)
def test_strict_types_and_ranges_are_refused_by_field(data, field, allowed):
    with pytest.raises(InputError) as info:
        validate(Doc, data, where="doc")
    assert info.value.field == f"doc.{field}"
    assert allowed in info.value.allowed
    assert str(info.value).startswith(f"doc.{field}: got ")


def test_integers_are_numbers_and_numpy_scalars_are_plain():
    doc = validate(Doc, {"rate": 2, "count": np.int64(3), "items": np.array([1.0, 2.0])})
    assert doc.rate == 2.0 and isinstance(doc.rate, float)
    assert doc.count == 3 and type(doc.count) is int
    assert doc.items == [1.0, 2.0]


def test_argument_names_replace_the_declared_ones():
    with pytest.raises(InputError) as info:
        validate(Doc, {"count": 0}, names={"count": "scenario.rounds"})
    assert info.value.field == "scenario.rounds"


class Wide(StrictModel):
    kind: choice("wide") = "wide"
    width: number(gt=0) = 1.0


class Tall(StrictModel):
    kind: choice("tall") = "tall"
    height: number(gt=0) = 1.0


class Shape(StrictModel):
    shape: variants("kind", {"wide": Wide, "tall": Tall}, scalar=number(gt=0)) = 1.0


def test_variants_take_only_their_own_keys():
    assert validate(Shape, {"shape": {"kind": "tall", "height": 2}}).shape.height == 2.0
    assert validate(Shape, {"shape": 3}).shape == 3.0
    cases = [
        ({"kind": "tall", "width": 2}, "shape.width", "known keys: kind, height"),
        ({"kind": "round"}, "shape.kind", "one of 'wide', 'tall'"),
        ({"width": 2}, "shape.kind", "required"),
        ({"kind": "wide", "width": -1}, "shape.width", "> 0"),
        ("big", "shape", "a table whose kind is one of"),
        (0, "shape", "> 0"),
    ]
    for value, field, allowed in cases:
        with pytest.raises(InputError) as info:
            validate(Shape, {"shape": value})
        assert (info.value.field, allowed in info.value.allowed) == (field, True), info.value


@pytest.mark.parametrize(
    "constraint",
    [
        constraints.Interval(Real, 0, None, closed="neither"),
        constraints.Interval(Integral, 1, 100, closed="both"),
        constraints.StrOptions({"x", "y"}),
        constraints.HasMethods(["fit"]),
    ],
)
def test_mirrored_constraints_translate_like_scikit_learns_own(constraint):
    # The learners declare with platform_abm.common.constraints (mirrored so that no run has to
    # import scikit-learn); scikit-learn's own classes must mean exactly the same.
    from sklearn.utils import _param_validation as sk

    own = {
        constraints.Interval: lambda c: sk.Interval(c.type, c.left, c.right, closed=c.closed),
        constraints.StrOptions: lambda c: sk.StrOptions(set(c.options)),
        constraints.HasMethods: lambda c: sk.HasMethods(list(c.methods)),
    }[type(constraint)](constraint)
    ours, theirs = constraint_type([constraint]), constraint_type([own])
    assert describe(ours) == describe(theirs)
    for value in (0, 0.5, 1, 50, 101, -1, True, "x", "z", float("inf"), None, Doc()):
        outcomes = []
        for tp in (ours, theirs):

            class Probe(StrictModel):
                value: tp

            try:
                Probe.model_validate({"value": value})
                outcomes.append(True)
            except Exception:
                outcomes.append(False)
        assert outcomes[0] == outcomes[1], (constraint, value)


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_every_registered_learner_declares_every_constructor_parameter(name):
    cls = LEARNERS[name]
    assert set(cls._parameter_constraints) == set(cls._get_param_names())
    model = parameters_model(cls)
    defaults = {key: info.default for key, info in model.model_fields.items()}
    # the constructor's defaults are themselves allowed
    validate(model, defaults)
