"""BLAS threads: one thread for the learners' memory-bound passes over the data."""

from __future__ import annotations

from typing import Any

_BLAS_CONTROLLER: Any = None


def single_threaded_blas() -> Any:
    """A context in which BLAS runs on one thread.

    The exact learner's passes over the data are matrix–vector products bound
    by memory bandwidth; multi-threaded BLAS makes them up to ten times slower
    on a 2-core machine as soon as another process competes for a core.
    """
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")
