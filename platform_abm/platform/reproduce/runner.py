"""How every figure reproduction runs: the common options in, the figure's files and summary out.

A figure module defines ``reproduce(request, **options) -> Reproduction``, the
computation, whose keyword-only parameters are the figure's own options, and
``run = FigureRun("figN", reproduce)``. The command line and scripts call
``run(out_dir, variant=..., seeds=..., quick=..., data_path=..., progress=...,
**options)``: it checks the common options (:class:`Request`), times the
computation and writes its tables, figures and ``summary.json`` into
``out_dir`` (:func:`write_reproduction`), each file through a temporary name.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from platform_abm.common import data
from platform_abm.common.errors import InputError
from platform_abm.common.progress import progress_bar
from platform_abm.common.results import save_figure, save_table
from platform_abm.platform.reproduce import VARIANTS
from platform_abm.platform.reproduce.summary import Headline, write_summary

Progress = Callable[[int], None] | None
"""A progress callback, called with the number of units (rounds, fits...) just finished."""


@dataclass(frozen=True)
class Request:
    """The options every reproduction takes, checked when the request is made.

    Attributes:
        figure: The figure (``fig1`` … ``fig5``), for messages and the progress bar.
        variant: ``paper`` (the paper's semantics) or ``notebook`` (the authors' procedure).
        seeds: Runs, repeats or trials (``--seeds``/``--trials``); None: the figure's default.
        quick: Run the figure's reduced grid.
        data_path: An explicit copy of the Kaggle credit file (None: look it up).
        progress: Show a progress bar.

    Raises:
        InputError: For an unknown variant.
    """

    figure: str
    variant: str = "paper"
    seeds: int | None = None
    quick: bool = False
    data_path: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise InputError("--variant", self.variant, f"one of {list(VARIANTS)}")

    def count(self, full: int, quick: int, *, minimum: int = 1, why: str = "") -> int:
        """The number of runs (repeats, trials): ``seeds``, else the quick or the full default.

        Args:
            full: The published count.
            quick: The count of the reduced grid.
            minimum: The smallest count the figure can use.
            why: Why the minimum (for the message).

        Returns:
            The count.

        Raises:
            InputError: When ``seeds`` is not a whole number ≥ ``minimum``.
        """
        value = self.seeds if self.seeds is not None else (quick if self.quick else full)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            reason = f" ({why})" if why else ""
            raise InputError("--seeds", value, f"a whole number ≥ {minimum}{reason}")
        return value

    def credit(self, seed: int = 0) -> data.Population:
        """The real credit population (rows shuffled with ``seed``), from ``data_path`` or found."""
        return data.load_credit(self.data_path, seed=seed)

    def progress_bar(self, total: int, unit: str) -> Any:
        """The reproduction's progress bar (silent without ``progress``); a context manager."""
        return progress_bar(
            total, f"{self.figure} {self.variant}", unit=unit, enabled=self.progress
        )


@dataclass
class Reproduction:
    """What a figure's computation gives: its files' contents, headline numbers and settings.

    Attributes:
        tables: Tables by file stem, each written as ``<stem>.csv``.
        figures: Figures by file stem, each written as ``<stem>.png``.
        headlines: The numbers a reader compares with the paper.
        settings: The settings the run used (``quick`` and ``seconds`` are added).
    """

    tables: dict[str, pd.DataFrame]
    figures: dict[str, Figure]
    headlines: list[Headline]
    settings: dict[str, Any]


def write_reproduction(
    out_dir: str | Path, request: Request, result: Reproduction, seconds: float
) -> dict[str, Any]:
    """Write a reproduction's tables, figures and ``summary.json`` into ``out_dir``.

    Args:
        out_dir: The output folder (created if needed; the command line gives a
            staging folder that replaces the results folder once all is written).
        request: The common options the run used.
        result: What the figure computed.
        seconds: Wall time of the computation (recorded in the settings).

    Returns:
        The summary as written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stem, table in result.tables.items():
        save_table(table, out / f"{stem}.csv")
    for stem, picture in result.figures.items():
        save_figure(picture, out / f"{stem}.png")
    settings = {**result.settings, "quick": request.quick, "seconds": round(seconds, 1)}
    return write_summary(out, request.figure, request.variant, result.headlines, settings)


@dataclass(frozen=True)
class FigureRun:
    """The ``run`` of a figure module: checks the options, computes, writes the files.

    Attributes:
        figure: The figure's name (``fig1`` … ``fig5``).
        reproduce: The figure's computation, ``reproduce(request, *, <options>)``.
    """

    figure: str
    reproduce: Callable[..., Reproduction]

    @property
    def options(self) -> frozenset[str]:
        """The figure's own options: the keyword-only parameters of ``reproduce``."""
        parameters = inspect.signature(self.reproduce).parameters.values()
        return frozenset(p.name for p in parameters if p.kind is p.KEYWORD_ONLY)

    def __call__(
        self,
        out_dir: str | Path,
        *,
        variant: str = "paper",
        seeds: int | None = None,
        quick: bool = False,
        data_path: str | None = None,
        progress: bool = True,
        **options: Any,
    ) -> dict[str, Any]:
        """Reproduce the figure on the real credit data and write its files into ``out_dir``.

        Args:
            out_dir: Output folder (created if needed).
            variant: ``paper`` or ``notebook``.
            seeds: Runs, repeats or trials (default: the figure's published count).
            quick: The figure's reduced grid.
            data_path: An explicit copy of the Kaggle credit file.
            progress: Whether to show a progress bar.
            **options: The figure's own options (see its ``reproduce``).

        Returns:
            The summary as written.

        Raises:
            InputError: For an option the figure does not take or a value it
                does not allow, before any computation.
        """
        for name in sorted(set(options) - self.options):
            allowed = f"one of {sorted(self.options)}" if self.options else "none"
            raise InputError(name, options[name], f"an option of {self.figure}: {allowed}")
        request = Request(self.figure, variant, seeds, quick, data_path, progress)
        started = time.perf_counter()
        result = self.reproduce(request, **options)
        return write_reproduction(out_dir, request, result, time.perf_counter() - started)
