"""Scenario files on disk: reading a TOML document and checking its top-level shape.

Both families' scenarios are TOML documents of tables; this module turns I/O,
syntax and shape problems into one :class:`~platform_abm.common.errors.InputError`
before a family's declarations check the values.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from platform_abm.common.errors import InputError

#: Top-level keys that hold an array of tables (``[[collectives]]``); all others hold a table.
ARRAYS_OF_TABLES = ("collectives",)


def check_document(document: Any, source: str) -> dict[str, Any]:
    """Refuse a document that is empty or whose top level is not a table of tables.

    Args:
        document: The parsed TOML document.
        source: What it was read from (for the message).

    Returns:
        The document.

    Raises:
        InputError: Naming the first top-level key that is not a table (or an
            array of tables), or the file when it holds nothing.
    """
    if not isinstance(document, dict) or not document:
        raise InputError(
            "scenario file", source, "a TOML document with at least one table (it is empty)"
        )
    for key, value in document.items():
        if key in ARRAYS_OF_TABLES:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise InputError(str(key), value, f"an array of tables [[{key}]]")
        elif not isinstance(value, dict):
            raise InputError(str(key), value, f"a table [{key}] (the top level holds tables only)")
    family = document.get("scenario", {}).get("family", "platform")
    if not isinstance(family, str):  # it selects the declarations the rest is checked by
        raise InputError("scenario.family", family, "'platform' or 'curation'")
    return document


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML scenario file, turning I/O, syntax and shape problems into InputError.

    Args:
        path: The file.

    Returns:
        The parsed document (a non-empty table of tables).
    """
    file = Path(path)
    if not file.is_file():
        raise InputError("scenario file", str(file), "an existing TOML file")
    try:
        with file.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("scenario file", str(file), f"valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("scenario file", str(file), f"a readable UTF-8 file ({exc})") from None
    return check_document(document, str(file))
