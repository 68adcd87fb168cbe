"""Reproductions of the paper's experiments, one module per figure.

Each figure module exposes ``run(out_dir, *, variant, seeds, quick, data_path,
progress, **options)``, which writes the figure, the tables behind it and
``summary.json`` (see :mod:`platform_abm.platform.reproduce.summary`) and returns the
summary, and ``OPTIONS``, the names of the figure-specific keyword options it
takes (the command line refuses the others). Both come from one path,
:class:`~platform_abm.platform.reproduce.runner.FigureRun`: a figure module
only computes (its ``reproduce(request, **options)``), the runner checks the
common options, shows the progress bar and writes the files.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

FIGURES = ("fig1", "fig2", "fig3", "fig4", "fig5")
VARIANTS = ("paper", "notebook")


def figure_module(name: str) -> ModuleType:
    """The module that reproduces figure ``name`` (one of :data:`FIGURES`)."""
    if name not in FIGURES:
        from platform_abm.common.errors import InputError

        raise InputError("figure", name, f"one of {list(FIGURES)}")
    return import_module(f"platform_abm.platform.reproduce.{name}")
