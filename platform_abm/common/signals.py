"""Process signals: Ctrl-C, SIGTERM and SIGHUP held back or raised as exceptions, never lost.

Two context managers share one way of installing handlers (main thread only:
Python runs signal handlers there; a signal that is ignored, or whose handler
is not Python's, is left alone):

* :func:`signals_as_interrupts` turns SIGTERM and SIGHUP into :class:`Terminated`
  (a KeyboardInterrupt), so a command unwinds and cleans up as on Ctrl-C;
* :func:`deferred_signals` holds Ctrl-C, SIGTERM and SIGHUP back until its block
  (a rename, a clean-up) has finished, then lets the first one act.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

_INTERRUPTS = ("SIGTERM", "SIGHUP")
_DEFERRED = ("SIGINT", "SIGTERM", "SIGHUP")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP received: handled like Ctrl-C, so every clean-up runs.

    Attributes:
        signum: The signal number (the exit code is 128 + signum).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def _handlers(
    names: tuple[str, ...], handler: Callable[[int, Any], Any]
) -> Iterator[dict[int, Any]]:
    """Install ``handler`` for the named signals while the block runs; yield the previous ones.

    Only in the main thread, and only for signals that exist on this system,
    are not ignored and are handled by Python; the previous handlers are back
    when the block ends.
    """
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for name in names:
            number = getattr(signal, name, None)
            if number is None:
                continue
            current = signal.getsignal(number)
            if current is None or current is signal.SIG_IGN:
                continue  # not Python's to handle, or ignored (nohup)
            previous[number] = signal.signal(number, handler)
    try:
        yield previous
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _raise_terminated(signum: int, frame: Any) -> None:
    del frame
    raise Terminated(signum)


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Terminated` while the block runs (main thread only).

    Python's default for both is to die at once, leaving staging folders and
    worker processes behind; raised as an exception they unwind like Ctrl-C. A
    signal that is ignored (``nohup``) stays ignored.
    """
    with _handlers(_INTERRUPTS, _raise_terminated):
        yield


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold back Ctrl-C, SIGTERM and SIGHUP until the block ends (a rename or a clean-up).

    While the block runs, those signals are only recorded; when it ends, the
    handler that was in place runs for the first one received (raising
    KeyboardInterrupt for Ctrl-C), so a swap of folders or the removal of a
    staging folder is never cut in half. Python runs signal handlers in the
    main thread only, so elsewhere the block runs unprotected.
    """
    received: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        del frame
        received.append(signum)

    previous: dict[int, Any] = {}
    try:
        with _handlers(_DEFERRED, hold) as previous:
            yield
    finally:
        if received:  # the handlers in place before are back: let the first signal act
            handler = previous[received[0]]
            if callable(handler):
                handler(received[0], None)
            else:  # SIG_DFL: what the signal would have done
                signal.raise_signal(received[0])
