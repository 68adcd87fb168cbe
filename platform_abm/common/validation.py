"""The package's one validation mechanism: strict typed declarations, errors as InputError.

Every setting a user can give (a scenario file's keys, a ``[sweep]`` table, the
keywords of :class:`~platform_abm.platform.model.PlatformModel`,
:class:`~platform_abm.curation.model.CurationModel` and the learners) is
declared once, as a field of a pydantic model derived from :class:`StrictModel`
whose type comes from the factories below (:func:`number`, :func:`integer`,
:func:`boolean`, :func:`choice`, :func:`text`, :func:`sequence`, :func:`table_of`)
or from a learner's scikit-learn style ``_parameter_constraints``
(:func:`constraint_type`). The declarations are strict: no string where a number
is expected, no ``"yes"`` for a boolean, no ``1`` for ``true``, every number
finite, no unknown key.

:func:`validate` runs a model on a document or on keyword arguments and turns
the first problem into one :class:`~platform_abm.common.errors.InputError` naming the
field as the caller wrote it (the dotted TOML path of a file, the argument name
of the Python API), the value received and what is allowed. Each declared type
carries its ``allowed`` text (:class:`Allowed`), used both by the error
messages and by the generated scenario reference (``docs/scenarios.md``), so
the two cannot drift.
"""

from __future__ import annotations

import numbers
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    WrapValidator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from platform_abm.common.errors import InputError

#: Prefix of the tags of tagged unions; stripped from error locations.
TAG = "~"

#: Error type of every refusal this module raises (its context holds ``allowed``).
REFUSAL = "allowed"

_NO_VALUE = object()


@dataclass(frozen=True)
class Allowed:
    """What a declared type allows, in words (``"a finite number > 0"``).

    Attached to a type as ``Annotated`` metadata: error messages and the
    scenario reference read it.

    Attributes:
        text: The description.
    """

    text: str


def refuse(
    allowed: str, *, key: str | int | tuple[str | int, ...] | None = None, value: Any = _NO_VALUE
) -> Exception:
    """The error a validator raises to refuse a value (pydantic keeps its context).

    Args:
        allowed: What is allowed instead.
        key: A sub-key (or a tuple of keys and indices) of the value being
            validated that the refusal is about (appended to the field name).
        value: The offending value when it is not the validated input itself.

    Returns:
        The exception to raise.
    """
    context: dict[str, Any] = {"allowed": allowed}
    if key is not None:
        context["key"] = key
    if value is not _NO_VALUE:
        context["value"] = value
    return PydanticCustomError(REFUSAL, "{allowed}", context)


def _explained(allowed: str, whole: bool = False) -> WrapValidator:
    """Replace the errors of the value itself (not of its items or keys) by ``allowed``.

    With ``whole``, every error is replaced (for unions, whose members' errors
    are located under the members' internal names).
    """

    def wrap(value: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            if whole or all(not error["loc"] for error in exc.errors()):
                raise refuse(allowed) from None
            raise

    return WrapValidator(wrap)


def explained(tp: Any, allowed: str) -> Any:
    """A type whose own errors say ``allowed`` (errors inside it keep their own text).

    A union's errors are all replaced: the value is refused as a whole.

    Args:
        tp: The type.
        allowed: What it allows, in words.

    Returns:
        The annotated type.
    """
    union = get_origin(tp) in (Union, types.UnionType)
    return Annotated[tp, _explained(allowed, whole=union), Allowed(allowed)]


def _plain_scalar(value: Any) -> Any:
    """NumPy scalars as the Python scalars they hold (``np.int64(3)`` is the integer 3)."""
    return value.item() if isinstance(value, np.generic) else value


def _bounded(
    noun: str, gt: float | None, ge: float | None, lt: float | None, le: float | None
) -> str:
    """``noun`` followed by its bounds, if any (``"an integer >= 1 and <= 10"``)."""
    bounds = [
        f"{symbol} {bound:g}" if isinstance(bound, float) else f"{symbol} {bound}"
        for symbol, bound in ((">", gt), (">=", ge), ("<", lt), ("<=", le))
        if bound is not None
    ]
    return f"{noun} {' and '.join(bounds)}" if bounds else noun


def _scalar(tp: type, field: FieldInfo, description: str) -> Any:
    """A strict scalar type (NumPy scalars read as the Python scalars they hold).

    Args:
        tp: ``float``, ``int`` or ``bool``.
        field: Its pydantic constraints.
        description: What it allows, in words (its errors say it).

    Returns:
        The annotated type.
    """
    return Annotated[tp, field, BeforeValidator(_plain_scalar), *_meta(description)]


def number(
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    allowed: str | None = None,
) -> Any:
    """A finite real number (an integer is accepted and becomes a float), within bounds.

    Args:
        gt: Exclusive lower bound.
        ge: Inclusive lower bound.
        lt: Exclusive upper bound.
        le: Inclusive upper bound.
        allowed: Description (default: generated from the bounds).

    Returns:
        The annotated type.
    """
    field = Field(strict=True, allow_inf_nan=False, gt=gt, ge=ge, lt=lt, le=le)
    return _scalar(float, field, allowed or _bounded("a finite number", gt, ge, lt, le))


def integer(*, ge: int | None = None, le: int | None = None, allowed: str | None = None) -> Any:
    """An integer (not a boolean, not a float with a whole value) in ``[ge, le]``.

    Args:
        ge: Smallest allowed value.
        le: Largest allowed value.
        allowed: Description (default: generated from the bounds).

    Returns:
        The annotated type.
    """
    field = Field(strict=True, ge=ge, le=le)
    return _scalar(int, field, allowed or _bounded("an integer", None, ge, None, le))


def boolean() -> Any:
    """``true`` or ``false`` (not 0/1, not ``"yes"``).

    Returns:
        The annotated type.
    """
    return _scalar(bool, Field(strict=True), "true or false")


def _meta(description: str) -> tuple[WrapValidator, Allowed]:
    """The metadata of a declared leaf type: its own errors say ``description``."""
    return _explained(description), Allowed(description)


def choice(*options: str, allowed: str | None = None) -> Any:
    """One of some strings.

    Args:
        *options: The allowed strings.
        allowed: Description (default: the list of options).

    Returns:
        The annotated type.
    """
    description = allowed or "one of " + ", ".join(repr(option) for option in options)
    return Annotated[Literal[options], *_meta(description)]  # type: ignore[valid-type]


def text(
    *,
    pattern: str | None = None,
    min_length: int = 0,
    max_length: int | None = None,
    allowed: str | None = None,
) -> Any:
    """A string, optionally matching a regular expression.

    Args:
        pattern: Regular expression the whole string must match.
        min_length: Shortest length.
        max_length: Longest length.
        allowed: Description.

    Returns:
        The annotated type.
    """
    description = allowed or ("a non-empty string" if min_length else "a string")
    field = Field(strict=True, pattern=pattern, min_length=min_length, max_length=max_length)
    return Annotated[str, field, *_meta(description)]


def _as_list(value: Any) -> Any:
    """Tuples and 1-d arrays as lists (every item is then validated strictly)."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return [_plain_scalar(item) for item in value]
    if isinstance(value, tuple):
        return list(value)
    return value


def sequence(
    item: Any, *, min_length: int = 0, max_length: int | None = None, allowed: str | None = None
) -> Any:
    """A list of items (a TOML array; a list, tuple or 1-d array from Python).

    Args:
        item: Type of every item.
        min_length: Fewest items.
        max_length: Most items.
        allowed: Description (default: "a list of <item>").

    Returns:
        The annotated type.
    """
    description = allowed or (
        ("a non-empty list" if min_length else "a list") + f"; each: {describe(item)}"
    )
    field = Field(min_length=min_length, max_length=max_length)
    return Annotated[list[item], field, BeforeValidator(_as_list), *_meta(description)]


def table_of(value: Any, *, key: Any = str, allowed: str | None = None) -> Any:
    """A table ``{key = value}`` with free keys.

    Args:
        value: Type of every value.
        key: Type of the keys.
        allowed: Description.

    Returns:
        The annotated type.
    """
    description = allowed or f"a table; each value: {describe(value)}"
    return Annotated[dict[key, value], *_meta(description)]


def instance_of(cls: type | tuple[type, ...], allowed: str) -> Any:
    """A Python object of a class (for the Python API only: TOML cannot give one).

    Args:
        cls: The class or classes.
        allowed: Description.

    Returns:
        The annotated type.
    """

    def check(value: Any) -> Any:
        if not isinstance(value, cls):
            raise refuse(allowed)
        return value

    return Annotated[Any, BeforeValidator(check), Allowed(allowed)]


def describe(tp: Any) -> str:
    """What a declared type allows, in words.

    Args:
        tp: A type built by this module's factories, a model class, or a union
            or optional of those.

    Returns:
        The description.
    """
    if tp is None or tp is type(None):
        return "None"
    if isinstance(tp, FieldInfo):
        for meta in reversed(tp.metadata):
            if isinstance(meta, Allowed):
                return meta.text
        return describe(tp.annotation)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "a table"
    if get_origin(tp) is Annotated:
        for meta in reversed(get_args(tp)[1:]):
            if isinstance(meta, Allowed):
                return meta.text
        return describe(get_args(tp)[0])
    args = get_args(tp)
    if get_origin(tp) is Literal:
        return " or ".join(repr(arg) for arg in args)
    if args and get_origin(tp) in (Union, types.UnionType):
        parts = " or ".join(describe(arg) for arg in args if arg is not type(None))
        return f"{parts} or None" if type(None) in args else parts
    return getattr(tp, "__name__", str(tp))


class StrictModel(BaseModel):
    """Base of every declaration: strict types, no unknown keys, immutable values.

    A key that the model does not declare is refused with the list of known
    keys; a value that is not a table where a table is declared is refused as
    such. Subclasses may set :attr:`KEYS_NOTE` to explain the known keys (e.g.
    for which learner they hold).
    """

    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, arbitrary_types_allowed=True
    )

    #: Said after the list of known keys when an unknown key is refused.
    KEYS_NOTE: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise refuse("a table")
        known = [info.alias or name for name, info in cls.model_fields.items()]
        for key in data:
            if key not in known:
                note = f" {cls.KEYS_NOTE}" if cls.KEYS_NOTE else ""
                raise refuse(
                    f"no such key{note}; known keys: {', '.join(known)}", key=key, value=data[key]
                )
        return data


def variants(
    key: str,
    models: Mapping[str, type[StrictModel]],
    *,
    default: str | None = None,
    scalar: Any = None,
    allowed: str | None = None,
) -> Any:
    """A table whose ``key`` selects the declaration that validates it (a tagged union).

    Each variant declares exactly its own keys, so a key that the chosen
    variant does not take is refused (``utility.lambda`` for ``kind =
    "callable"``).

    Args:
        key: The selecting key (``kind``, ``family``, ``distribution``).
        models: Declaration per value of the key.
        default: Variant used when the key is omitted (None: the key is required).
        scalar: Type of a plain value accepted instead of a table (e.g. a
            number for a constant ε), or None.
        allowed: Description (default: generated).

    Returns:
        The annotated type.
    """
    tags = ", ".join(repr(tag) for tag in models)
    description = allowed or (
        (f"{describe(scalar)}, or " if scalar is not None else "")
        + f"a table whose {key} is one of {tags}"
    )

    def pick(value: Any) -> str | None:
        if isinstance(value, Mapping):
            return TAG + str(value.get(key, default))
        for tag, model in models.items():
            if isinstance(value, model):
                return TAG + tag
        is_number = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
        return TAG if scalar is not None and is_number else None

    def check(value: Any) -> Any:
        if isinstance(value, Mapping):
            tag = value.get(key, default)
            if tag is None:
                raise refuse(f"one of {tags} (the key is required)", key=key, value=None)
            if not isinstance(tag, str) or tag not in models:
                raise refuse(f"one of {tags}", key=key, value=tag)
        return value

    members: list[Any] = [Annotated[model, Tag(TAG + tag)] for tag, model in models.items()]
    if scalar is not None:
        members.append(Annotated[scalar, Tag(TAG)])
    union = Union[tuple(members)]  # noqa: UP007
    discriminator = Discriminator(
        pick,
        custom_error_type=REFUSAL,
        custom_error_message=description,
        custom_error_context={"allowed": description},
    )
    return Annotated[union, discriminator, BeforeValidator(check), Allowed(description)]


def field_name(
    loc: Sequence[str | int], where: str = "", names: Mapping[str, str] | None = None
) -> str:
    """The dotted name of an error location (``users.epsilon``, ``factions[0].pool``).

    Args:
        loc: Location parts (keys and list indices).
        where: Prefix (the name of the validated table).
        names: How the caller calls the first part (e.g. ``max_rounds`` →
            ``scenario.rounds``).

    Returns:
        The name.
    """
    parts = [part for part in loc if not (isinstance(part, str) and part.startswith(TAG))]
    out = where
    for index, part in enumerate(parts):
        if index == 0 and names and part in names:
            part = names[part]
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out


def input_error(
    exc: ValidationError, where: str = "", names: Mapping[str, str] | None = None
) -> InputError:
    """The InputError that reports the first problem of a pydantic ValidationError.

    Args:
        exc: The error.
        where: Prefix of every field name.
        names: How the caller calls the first location part.

    Returns:
        The error naming the field, the value and what is allowed.
    """
    error = exc.errors(include_url=False)[0]
    context = error.get("ctx") or {}
    loc = list(error["loc"])
    if "key" in context:
        key = context["key"]
        loc.extend(key if isinstance(key, tuple) else [key])
    value = context.get("value", error.get("input"))
    if error["type"] == "missing":
        value, allowed = None, "a value (the key is required)"
    elif error["type"] == REFUSAL:
        allowed = str(context["allowed"])
    else:  # a declaration without an Allowed text: pydantic's own words
        allowed = error["msg"]
    return InputError(field_name(loc, where, names), value, allowed)


def relocated(exc: ValidationError, where: str) -> Exception:
    """A refusal reporting the first problem of a nested validation under a sub-key.

    For validators that validate a piece of their input on their own (a sweep
    parameter's range table) and must report it under that piece's name.

    Args:
        exc: The nested error.
        where: The sub-key the nested input sits at (dotted).

    Returns:
        The exception to raise.
    """
    error = input_error(exc, where)
    return refuse(error.allowed, key=error.field, value=error.value)


def validate[M: BaseModel](
    model: type[M], data: Any, where: str = "", names: Mapping[str, str] | None = None
) -> M:
    """Validate a document or keyword arguments against a declaration.

    Args:
        model: The declaration.
        data: A mapping (a parsed TOML table, or keyword arguments).
        where: Dotted name of the table, prefixed to every field name.
        names: How the caller calls the top-level fields (default: as declared).

    Returns:
        The validated model.

    Raises:
        InputError: For the first invalid value.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise input_error(exc, where, names) from None


# --------------------------------------------------------------------------- learner constraints


def constraint_type(constraints: Sequence[Any]) -> Any:
    """The strict type of a parameter declared scikit-learn style.

    Reads the constraint vocabulary of :mod:`platform_abm.common.constraints` (the
    names and attributes of scikit-learn's ``sklearn.utils._param_validation``,
    whose own classes it reads too): ``Interval(Integral | Real, left, right,
    closed=...)``, ``StrOptions``, ``"boolean"``, ``HasMethods``, ``None`` and
    classes. Real intervals are additionally finite, and a boolean is never an
    integer or a real here (scikit-learn accepts ``True`` as a number).

    Args:
        constraints: The parameter's list of constraints (any one may hold).

    Returns:
        The annotated type.

    Raises:
        TypeError: For a constraint this translation does not know (a
            declaration error, caught by the learners' tests).
    """
    members: list[Any] = []
    nullable = False
    for constraint in constraints:
        if constraint is None:
            nullable = True
        elif all(hasattr(constraint, a) for a in ("type", "left", "right", "closed")):
            bounds: dict[str, Any] = {}
            closed = constraint.closed
            if constraint.left is not None:
                bounds["ge" if closed in ("left", "both") else "gt"] = constraint.left
            if constraint.right is not None:
                bounds["le" if closed in ("right", "both") else "lt"] = constraint.right
            if issubclass(constraint.type, numbers.Integral):
                members.append(integer(**bounds))
            else:
                members.append(number(**bounds))
        elif hasattr(constraint, "options"):
            members.append(choice(*sorted(constraint.options)))
        elif constraint == "boolean":
            members.append(boolean())
        elif hasattr(constraint, "methods"):
            members.append(_has_methods(constraint.methods))
        elif isinstance(constraint, type):
            members.append(instance_of(constraint, f"a {constraint.__name__}"))
        else:
            raise TypeError(f"no translation of the parameter constraint {constraint!r}")
    if not members:
        raise TypeError("a parameter needs at least one constraint other than None")
    tp = members[0] if len(members) == 1 else Union[tuple(members)]  # noqa: UP007
    description = " or ".join(describe(member) for member in members)
    if nullable:
        return explained(tp | None, f"{description} or None")
    return tp if len(members) == 1 else explained(tp, description)


def _has_methods(methods: Sequence[str]) -> Any:
    allowed = f"an object with the methods {', '.join(methods)}"

    def check(value: Any) -> Any:
        if not all(callable(getattr(value, method, None)) for method in methods):
            raise refuse(allowed)
        return value

    return Annotated[Any, BeforeValidator(check), Allowed(allowed)]


# --------------------------------------------------------------------------- shared declarations

MAX_SEED = 2**63 - 1
"""Largest seed."""
MAX_ROUNDS = 100_000
"""Largest round limit."""
NAME_PATTERN = r"^[A-Za-z0-9_-](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?$"
"""Scenario names: they name the folder ``results/<name>``."""

SCENARIO_NAME = text(
    pattern=NAME_PATTERN,
    max_length=100,
    allowed="a name of letters, digits, '-', '_' and '.' inside (not first or last), "
    "at most 100 characters",
)
"""A scenario's name (no separators, no leading dot, not ``.`` or ``..``)."""
SEED = integer(ge=0, le=MAX_SEED)
"""A seed of a random generator."""
ROUNDS = integer(ge=1, le=MAX_ROUNDS)
"""A round limit."""
PATH = text(min_length=1, allowed="a file path")
"""A file or folder path."""

MAGNITUDE = 1e6
"""Largest magnitude of a free real setting (a coordinate, a strategy parameter, a scale).

Beyond it the models' arithmetic (squared distances, scores x·θ, exponentials)
overflows double precision long before the results could mean anything."""
REAL = number(ge=-MAGNITUDE, le=MAGNITUDE, allowed="a finite number from -1e6 to 1e6")
"""A free real number, bounded in magnitude by :data:`MAGNITUDE`."""
SCALE = number(ge=1 / MAGNITUDE, le=MAGNITUDE, allowed="a finite number from 1e-6 to 1e6")
"""A positive scale (a length, a temperature, a weight), within six orders of magnitude of 1."""
