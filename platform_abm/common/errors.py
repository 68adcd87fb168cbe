"""Errors that the command line turns into one clear message and a non-zero exit."""

from __future__ import annotations

from typing import Any


class PlatformABMError(Exception):
    """Base class of every error the package reports to its users without a traceback."""


class InputError(PlatformABMError, ValueError):
    """A value supplied by the user (scenario field, CSV column, argument) is not allowed.

    Attributes:
        field: Dotted name of the offending field (e.g. ``population.epsilon``).
        value: The value received.
        allowed: Human-readable description of what is allowed.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {value!r}; allowed: {allowed}")


class DataUnavailableError(PlatformABMError):
    """A data file the run needs is not available on this machine."""


class SimulationError(PlatformABMError):
    """A run could not produce valid results (diverged, or an inner solve failed)."""
