"""Progress bars: the one factory every long command (run, reproduce, sweep) draws its bar from."""

from __future__ import annotations

import sys
from typing import Any


def progress_bar(
    total: int, description: str, *, unit: str = "round", enabled: bool = True, leave: bool = False
) -> Any:
    """A tqdm bar on standard error; a silent object with the same methods when disabled.

    Args:
        total: Number of steps the work takes.
        description: Text in front of the bar (e.g. ``"fig1 paper"``).
        unit: What one step is (``"round"``, ``"run"``, ``"fit"``, ``"problem"``).
        enabled: False for ``--quiet`` and the tests.
        leave: Keep the finished bar on screen.

    Returns:
        The bar; use it as a context manager and call ``update(1)`` per step.
    """
    from tqdm import tqdm  # imported here: the command line's --help does not need it

    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
        leave=leave,
    )
