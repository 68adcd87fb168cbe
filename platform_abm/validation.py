"""Checks shared by every scenario validator: each raises one InputError naming the field."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from platform_abm.errors import InputError


def check_keys(table: Any, allowed: Sequence[str], where: str) -> Mapping[str, Any]:
    """Check that a table is a mapping holding only allowed keys.

    Args:
        table: The value read from the file.
        allowed: Allowed keys.
        where: Dotted name of the table.

    Returns:
        The table.

    Raises:
        InputError: If it is not a table or holds an unknown key.
    """
    if not isinstance(table, Mapping):
        raise InputError(where, table, "a table")
    for key in table:
        if key not in allowed:
            name = f"{where}.{key}" if where else str(key)
            raise InputError(name, table[key], f"no such key; known keys: {', '.join(allowed)}")
    return table


def check_int(value: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    """Validate an integer in ``[minimum, maximum]``.

    Args:
        value: The value.
        name: Field name for the error.
        minimum: Smallest allowed value.
        maximum: Largest allowed value (None: unbounded).

    Returns:
        The integer.

    Raises:
        InputError: If it is not an integer in range.
    """
    ok = isinstance(value, int) and not isinstance(value, bool)
    if ok and value >= minimum and (maximum is None or value <= maximum):
        return int(value)
    upper = f" and <= {maximum}" if maximum is not None else ""
    raise InputError(name, value, f"an integer >= {minimum}{upper}")


def check_float(
    value: Any,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    open_minimum: bool = False,
) -> float:
    """Validate a finite number in a range.

    Args:
        value: The value.
        name: Field name for the error.
        minimum: Lower bound (None: unbounded).
        maximum: Upper bound, inclusive (None: unbounded).
        open_minimum: Whether the lower bound is excluded.

    Returns:
        The number as float.

    Raises:
        InputError: If it is not a finite number in range.
    """
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        low_ok = minimum is None or (value > minimum if open_minimum else value >= minimum)
        if low_ok and (maximum is None or value <= maximum):
            return float(value)
    parts = ["a finite number"]
    if minimum is not None:
        parts.append(f"{'>' if open_minimum else '>='} {minimum}")
    if maximum is not None:
        parts.append(f"<= {maximum}")
    raise InputError(name, value, " ".join(parts))


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """Validate one of a set of strings.

    Args:
        value: The value.
        name: Field name for the error.
        choices: Allowed strings.

    Returns:
        The string.

    Raises:
        InputError: If it is not one of the choices.
    """
    if isinstance(value, str) and value in choices:
        return value
    raise InputError(name, value, "one of " + ", ".join(repr(c) for c in choices))
