"""Parameter sweeps: grids × seeds run on local processes, Dask or Ray, into a Parquet store.

Python API::

    from platform_abm.batch import aggregate, plot_sweep, run_sweep

    table = run_sweep("scenarios/sweeps/demo.toml", "results/sweeps/demo", workers=2)
    summary = aggregate(table)                 # mean, std, 95% interval per point
    plot_sweep("results/sweeps/demo", x="epsilon", y="utility", hue="levels")

The ``[sweep]`` table is described in :mod:`platform_abm.batch.spec`, the
results folder in :mod:`platform_abm.batch.store`, the backends in
:mod:`platform_abm.batch.executors`.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "SweepOptions": "platform_abm.batch.runner",
    "SweepSpec": "platform_abm.batch.spec",
    "aggregate": "platform_abm.batch.summary",
    "execute_sweep": "platform_abm.batch.runner",
    "load_results": "platform_abm.batch.runner",
    "plan_sweep": "platform_abm.batch.runner",
    "plot_sweep": "platform_abm.batch.plot",
    "run_sweep": "platform_abm.batch.runner",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the public functions on first use (workers need only the runner)."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
