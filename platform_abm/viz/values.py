"""Values typed or slid in a page's sidebar, read into numbers, seeds and choices.

Every reader raises :class:`~platform_abm.common.errors.InputError` naming the
control, so that the page can show one clear line. Pure Python: nothing here
knows about Solara or about a model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from platform_abm.common.errors import InputError

MAX_SEED = 2**63 - 1
"""Largest seed accepted (as in scenario files)."""


def given_controls(values: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The controls that ``values`` sets (a None value leaves a control unset).

    Args:
        values: Control values keyed by control keyword.
        names: The page's control keywords.

    Returns:
        The values that are not None.

    Raises:
        InputError: For a keyword that is not one of ``names``.
    """
    names = list(names)
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise InputError(unknown[0], values[unknown[0]], f"one of {names}")
    return {key: value for key, value in values.items() if value is not None}


def parse_number(value: Any, name: str, kind: type) -> Any:
    """A control's number, refusing text, booleans and non-finite values.

    Args:
        value: The control's value.
        name: The control's label (named in the error).
        kind: ``int`` for a whole number, ``float`` otherwise.

    Returns:
        The value as ``kind``.

    Raises:
        InputError: For anything but a finite number (of the right kind).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(name, value, "a number")
    if not math.isfinite(value):
        raise InputError(name, value, "a finite number")
    if kind is int:
        if float(value) != int(value):
            raise InputError(name, value, "a whole number")
        return int(value)
    return float(value)


def parse_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """A control's choice among fixed strings.

    Args:
        value: The control's value.
        name: The control's label (named in the error).
        choices: The strings offered.

    Returns:
        The choice.

    Raises:
        InputError: When the value is not one of the choices.
    """
    if isinstance(value, str) and value in choices:
        return value
    raise InputError(name, value, "one of " + ", ".join(repr(c) for c in choices))


def number_reader(name: str, kind: type) -> Callable[[Any], Any]:
    """The reader of a number control: :func:`parse_number` for that control.

    Args:
        name: The control's label (named in the error).
        kind: ``int`` for a whole number, ``float`` otherwise.

    Returns:
        ``value -> number``.
    """
    return partial(parse_number, name=name, kind=kind)


def choice_reader(name: str, choices: Sequence[str]) -> Callable[[Any], str]:
    """The reader of a choice control: :func:`parse_choice` for that control.

    Args:
        name: The control's label (named in the error).
        choices: The strings offered.

    Returns:
        ``value -> choice``.
    """
    return partial(parse_choice, name=name, choices=choices)


def parse_seed(value: Any) -> int:
    """Cast the seed typed in the sidebar to an integer.

    Args:
        value: An integer, or text holding one (surrounding blanks are ignored).

    Returns:
        The seed, between 0 and 2**63 − 1.

    Raises:
        InputError: For anything else (text that is not an integer, a negative
            or too large number, a boolean).
    """
    allowed = f"a whole number between 0 and {MAX_SEED}"
    if isinstance(value, bool):
        raise InputError("seed", value, allowed)
    if isinstance(value, str):
        try:
            seed = int(value.strip(), 10)
        except ValueError:
            raise InputError("seed", value, allowed) from None
    elif isinstance(value, int):
        seed = value
    else:
        raise InputError("seed", value, allowed)
    if not 0 <= seed <= MAX_SEED:
        raise InputError("seed", value, allowed)
    return seed
