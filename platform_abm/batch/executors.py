"""Where the runs of a sweep execute: in-process, local processes, Dask or Ray.

Every backend offers one operation, :meth:`Backend.map_unordered`: apply a
function to tasks and yield ``(task, result, error)`` as runs finish, keeping
at most ``2 × workers`` tasks submitted at a time (so a sweep of 10,000 runs
never has 10,000 futures alive, and an interrupted sweep has little in flight).
``error`` is None when the function returned; it is a one-line description when
the infrastructure failed (a worker process died, a Dask worker was lost).
Exceptions raised inside a model never get here: the run function catches them
and returns them as a failed outcome.

Backends:

* ``serial``: in the calling process, one run at a time.
* ``local``: a :class:`concurrent.futures.ProcessPoolExecutor` using the
  ``spawn`` start method (safe with threads; like every spawn-based pool, a
  script calling it must guard its entry point with
  ``if __name__ == "__main__":``). Worker processes ignore SIGINT: Ctrl-C
  reaches the driver, which stops the pool and terminates its workers. They
  also end when the driver dies without cleaning up (SIGKILL, a crash): on
  Linux the kernel sends them SIGKILL when the driver's thread that started
  them ends (``PR_SET_PDEATHSIG``); elsewhere, or for pools started from
  another thread, a watcher thread in each worker exits it within
  :data:`PARENT_POLL_S` seconds of its parent's death.
* ``dask``: a ``distributed.Client`` connected to ``address``
  (``tcp://HOST:PORT``, given up after :data:`CONNECT_TIMEOUT_S` seconds), or
  to a new ``LocalCluster`` of ``workers``
  single-threaded worker processes on 127.0.0.1 when no address is given
  (started without Dask's ``MALLOC_TRIM_THRESHOLD_``, see :func:`_worker_environ`,
  and with its dashboard diagnostics off or slowed down; an existing cluster
  keeps its own settings).
* ``ray``: ``ray.init(address=...)`` (a new local Ray instance with
  ``workers`` CPUs when no address is given). Ray is an optional extra.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from importlib import import_module
from typing import Any, Protocol, TypeVar

from platform_abm.common.errors import InputError

BACKENDS = ("serial", "local", "dask", "ray")
MAX_WORKERS = 4096
IN_FLIGHT_PER_WORKER = 2
JOIN_TIMEOUT_S = 5.0
PARENT_POLL_S = 0.5
CONNECT_TIMEOUT_S = 20.0
"""How long to try to reach a Dask scheduler before giving up."""
_PR_SET_PDEATHSIG = 1

T = TypeVar("T")
R = TypeVar("R")


class Backend(Protocol):
    """What the sweep runner needs from an execution backend."""

    name: str
    workers: int

    def __enter__(self) -> Backend: ...

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None: ...

    def map_unordered(
        self, fn: Callable[[T], R], tasks: Iterable[T]
    ) -> Iterator[tuple[T, R | None, str | None]]:
        """Yield ``(task, result, error)`` in completion order."""
        ...


def describe_error(exc: BaseException) -> str:
    """One line naming an exception: ``Type: first line of its message``."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class SerialBackend:
    """Runs every task in the calling process, in order."""

    name = "serial"

    def __init__(self) -> None:
        self.workers = 1

    def __enter__(self) -> SerialBackend:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        return None

    def map_unordered(
        self, fn: Callable[[T], R], tasks: Iterable[T]
    ) -> Iterator[tuple[T, R | None, str | None]]:
        """Apply ``fn`` to each task in turn."""
        for task in tasks:
            yield task, fn(task), None


def _exit_with_parent(parent: int, kernel_signal: bool) -> None:
    """Make this process end when its parent ``parent`` does.

    Args:
        parent: The parent's process id.
        kernel_signal: Ask Linux for SIGKILL on the parent thread's death
            (only right when the pool was started from the main thread).
    """
    if kernel_signal and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != parent:  # it died before the request took effect
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="platform-abm-parent-watch", daemon=True).start()


def _init_worker(parent: int, kernel_signal: bool) -> None:
    """Worker initialiser: Ctrl-C is the driver's to handle, and the driver's death ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent, kernel_signal)


class ProcessBackend:
    """Local worker processes (``spawn``), through ``ProcessPoolExecutor``.

    Args:
        workers: Number of worker processes.
    """

    name = "local"

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        main = threading.current_thread() is threading.main_thread()
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(os.getpid(), main),
        )

    def __enter__(self) -> ProcessBackend:
        self._pool = self._new_pool()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if exc_type is None:
            pool.shutdown(wait=True)
            return
        # Interrupted or failed: drop queued runs and stop the running ones now.
        # ProcessPoolExecutor has no public way to stop running workers before
        # Python 3.14 (terminate_workers); its worker table is read defensively.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(JOIN_TIMEOUT_S)

    def map_unordered(
        self, fn: Callable[[T], R], tasks: Iterable[T]
    ) -> Iterator[tuple[T, R | None, str | None]]:
        """Run tasks on the pool; a dead worker fails the runs in flight and the pool restarts."""
        if self._pool is None:
            raise RuntimeError("use the backend as a context manager")
        pending: dict[Future[R], T] = {}

        def submit(task: T) -> Future[R]:
            assert self._pool is not None
            return self._pool.submit(fn, task)

        fill = _feeder(tasks, pending, IN_FLIGHT_PER_WORKER * self.workers, submit)
        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                task = pending.pop(future)
                try:
                    yield task, future.result(), None
                except BrokenProcessPool as exc:
                    broken = True
                    yield task, None, f"worker process lost ({describe_error(exc)})"
                except Exception as exc:
                    yield task, None, describe_error(exc)
            if broken:
                lost = list(pending.values())
                pending.clear()
                assert self._pool is not None
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                for task in lost:
                    yield task, None, "worker process lost (another run's worker died)"
            fill()


_END: Any = object()


def _feeder[T](
    tasks: Iterable[T], pending: dict[Any, T], limit: int, submit: Callable[[T], Any]
) -> Callable[[], None]:
    """A function that submits tasks until ``limit`` are in flight.

    Args:
        tasks: The tasks, consumed lazily.
        pending: The tasks in flight by their handle (future, object reference);
            the caller removes a task when it completes.
        limit: Most tasks in flight at a time.
        submit: Starts a task and returns its handle.

    Returns:
        The function to call at the start and after every completion.
    """
    source = iter(tasks)

    def fill() -> None:
        while len(pending) < limit:
            task = next(source, _END)
            if task is _END:
                return
            pending[submit(task)] = task

    return fill


def _worker_environ() -> dict[str, Any]:
    """Dask's worker environment without ``MALLOC_TRIM_THRESHOLD_``.

    Dask sets it (65536) in new worker processes; setting it turns off glibc's
    adaptive mmap threshold, so every array above 128 KiB is mapped and unmapped
    afresh. The models allocate many such arrays per round: with it, a run
    took ~10× the page faults and ~1.5× the CPU time of the same run in a
    local process (measured on scenarios/sweeps/bench.toml).
    """
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return environ


class DaskBackend:
    """A Dask ``distributed`` cluster: an existing one at ``address``, or a new LocalCluster.

    Args:
        workers: Worker processes of a new LocalCluster (ignored with an address).
        address: Scheduler address ``tcp://HOST:PORT``, or None.
    """

    name = "dask"

    def __init__(self, workers: int = 2, address: str | None = None) -> None:
        self.workers = workers
        self.address = address
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskBackend:
        import dask
        from distributed import Client, LocalCluster

        try:
            if self.address is None:
                settings = {
                    "distributed.nanny.pre-spawn-environ": _worker_environ(),
                    # Diagnostics for the dashboard (off here) cost CPU the runs
                    # compete for: the statistical profiler sampled each worker's
                    # stack every 10 ms (~10% of its CPU), and the 20 ms event-loop
                    # tick and 0.5 s system / 0.1 s memory polls of the scheduler,
                    # nannies and workers took ~12% of one core while idle (~2%
                    # with these settings).
                    "distributed.worker.profile.enabled": False,
                    "distributed.admin.tick.interval": "500ms",
                    "distributed.admin.system-monitor.interval": "2s",
                    "distributed.worker.memory.monitor-interval": "500ms",
                }
                with dask.config.set(settings):
                    self._cluster = LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                    )
                self._client = Client(self._cluster, set_as_default=False)
            else:
                self._client = Client(
                    self.address, set_as_default=False, timeout=f"{CONNECT_TIMEOUT_S}s"
                )
                self.workers = max(1, sum(self._client.nthreads().values()))
        except (OSError, ValueError, TypeError) as exc:
            self.__exit__(None, None, None)
            raise InputError(
                "address",
                self.address,
                f"the address of a reachable Dask scheduler ({describe_error(exc)})",
            ) from None
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def map_unordered(
        self, fn: Callable[[T], R], tasks: Iterable[T]
    ) -> Iterator[tuple[T, R | None, str | None]]:
        """Submit tasks to the cluster and yield them as they complete."""
        from distributed import as_completed

        client = self._client
        pending: dict[Any, T] = {}
        completed = as_completed(loop=client.loop)

        def submit(task: T) -> Any:
            future = client.submit(fn, task, pure=False)
            completed.add(future)
            return future

        fill = _feeder(tasks, pending, IN_FLIGHT_PER_WORKER * self.workers, submit)
        fill()
        try:
            for future in completed:
                task = pending.pop(future)
                try:
                    result = future.result()
                except Exception as exc:
                    yield task, None, describe_error(exc)
                else:
                    yield task, result, None
                finally:
                    future.release()
                fill()
        finally:
            for future in pending:
                future.cancel()


class RayBackend:
    """A Ray cluster at ``address``, or a new local Ray instance with ``workers`` CPUs.

    Args:
        workers: CPUs of a new local instance (ignored with an address).
        address: Ray address (``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``), or None.
    """

    name = "ray"

    def __init__(self, workers: int = 2, address: str | None = None) -> None:
        self.workers = workers
        self.address = address
        self._started = False
        self._ray: Any = None

    def __enter__(self) -> RayBackend:
        ray = import_module("ray")
        self._ray = ray
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "logging_level": "warning"}
            if self.address is None:
                options["num_cpus"] = self.workers
            else:
                options["address"] = self.address
            try:
                ray.init(**options)
            except (OSError, ValueError, RuntimeError) as exc:
                raise InputError(
                    "address",
                    self.address,
                    f"the address of a reachable Ray cluster ({describe_error(exc)})",
                ) from None
            self._started = True
        if self.address is not None:
            self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._started and self._ray is not None:
            self._ray.shutdown()
            self._started = False

    def map_unordered(
        self, fn: Callable[[T], R], tasks: Iterable[T]
    ) -> Iterator[tuple[T, R | None, str | None]]:
        """Submit tasks as Ray remote calls and yield them as they complete."""
        ray = self._ray
        remote = ray.remote(num_cpus=1)(fn)
        pending: dict[Any, T] = {}
        fill = _feeder(tasks, pending, IN_FLIGHT_PER_WORKER * self.workers, remote.remote)
        fill()
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    task = pending.pop(ref)
                    try:
                        result = ray.get(ref)
                    except Exception as exc:
                        yield task, None, describe_error(exc)
                    else:
                        yield task, result, None
                fill()
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)


def make_backend(name: str, workers: int = 2, address: str | None = None) -> Backend:
    """Check the backend options and build the (not yet started) backend.

    Args:
        name: ``serial``, ``local``, ``dask`` or ``ray``.
        workers: Worker processes (``local``, and new Dask or Ray clusters).
        address: Cluster address (``dask`` and ``ray`` only).

    Returns:
        The backend; enter it as a context manager to start it.

    Raises:
        InputError: For an unknown backend, a bad number of workers, an address
            given to a local backend, or a backend whose package is missing.
    """
    if name not in BACKENDS:
        raise InputError("backend", name, f"one of {list(BACKENDS)}")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise InputError("workers", workers, f"an integer in [1, {MAX_WORKERS}]")
    if address is not None and name in ("serial", "local"):
        raise InputError("address", address, "no address with the serial and local backends")
    if name == "serial":
        return SerialBackend()
    if name == "local":
        return ProcessBackend(workers)
    module, extra = ("distributed", "dask") if name == "dask" else ("ray", "ray")
    try:
        import_module(module)
    except ImportError:
        raise InputError(
            "backend", name, f"an installed backend (pip install 'platform_abm[{extra}]')"
        ) from None
    if name == "dask":
        return DaskBackend(workers, address)
    return RayBackend(workers, address)
