"""Benchmark: figure 3's notebook size sweep, against the authors' code's 40–97 s per point.

A *point* is one (feature, α, run) problem of figure 3: 250 Adam steps on the
members' column through 100 unrolled gradient-descent steps on all 18,357
users (float32). Its cost does not depend on α (every step runs over the whole
population), so the full grid of 2 features × 10 α × 10 runs costs 200 points.
The authors' torch code needs 40–97 s per point on these 2-core machines,
2.5–5 h for the grid.

Measured here, on the real credit data (same problems as the figure):

* the batched solver (:func:`solve_zero_sum_free_edit`) one problem at a time
  and in batches of 2, 4 and 8, BLAS on one thread, then batches of 4 with BLAS
  on two threads (one process);
* batches of 4 shared by two worker processes (each single-threaded), the
  setting ``platform-abm reproduce fig3 --variant notebook`` uses;
* whether the batched and the unbatched numbers agree (float32 round-off).

Each measurement runs ``--iterations`` Adam steps (default 25) on 8 problems
and is scaled to 250 steps; the projected grid time is 200 points at that rate.
``--full`` also runs the whole grid through :func:`platform_abm.platform.reproduce.fig3.run`
and reports its measured wall time. Timings on a shared machine vary with the
other load: ratios measured in the same run are more telling than absolute times.

Run: ``python benchmarks/fig3.py [--iterations N] [--full]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from platform_abm.common import data
from platform_abm.platform.collective.unrolled import (
    permutation_members,
    single_threaded_worker,
    solve_zero_sum_free_edit,
)
from platform_abm.platform.reproduce import fig3

PROBLEMS = 8
GRID_POINTS = 2 * len(fig3.ALPHAS) * fig3.RUNS
AUTHORS_PER_POINT = (40.0, 97.0)  # s, the authors' code on these machines
TARGET_GRID = 20 * 60.0  # s


def _problems(n: int) -> np.ndarray:
    # α spread over the grid, two runs: 8 problems of the figure
    return permutation_members(n, fig3.ALPHAS[::3], (0, 1))[:PROBLEMS]


def _sequential(X, y, masks, batch: int, iterations: int, threads: int) -> tuple[float, object]:
    learner = fig3.notebook_learner("saved")
    with threadpool_limits(limits=threads, user_api="blas"):
        start = time.perf_counter()
        res = solve_zero_sum_free_edit(X, y, masks, 1, learner, iterations=iterations, batch=batch)
        return time.perf_counter() - start, res


def _processes(X, y, masks, batch: int, iterations: int, workers: int) -> float:
    learner = fig3.notebook_learner("saved")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=single_threaded_worker) as ex:
        # warm the workers up (imports) before timing
        list(ex.map(_warm, range(workers)))
        start = time.perf_counter()
        jobs = [
            ex.submit(
                solve_zero_sum_free_edit,
                X,
                y,
                masks[i : i + batch],
                1,
                learner,
                iterations=iterations,
                batch=batch,
            )
            for i in range(0, len(masks), batch)
        ]
        for job in jobs:
            job.result()
        return time.perf_counter() - start


def _warm(_: int) -> int:
    return 0


def _row(label: str, seconds: float, iterations: int) -> float:
    per_point = seconds / PROBLEMS * (fig3.ADAM_ITERATIONS / iterations)
    grid = per_point * GRID_POINTS
    low, high = (a / per_point for a in AUTHORS_PER_POINT)
    print(
        f"{label:<42}{per_point:>9.2f}{grid / 60:>11.1f}{low:>9.0f}–{high:<5.0f}"
        f"{'  ≤ 20 min' if grid <= TARGET_GRID else '  > 20 min'}"
    )
    return per_point


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=25, help="Adam steps per measurement")
    parser.add_argument("--full", action="store_true", help="also run the full grid")
    args = parser.parse_args()
    if data.find_credit_file() is None:
        print("needs the real credit data (see the README)")
        return 2
    pop = data.load_credit(seed=0)
    X, y = fig3.notebook_matrix(pop.X), pop.y
    masks = _problems(len(y))
    its = args.iterations
    print(
        f"figure 3 notebook points: n = {len(y)}, {PROBLEMS} problems × {its} Adam steps, "
        f"scaled to {fig3.ADAM_ITERATIONS}; grid = {GRID_POINTS} points"
    )
    print(f"{'configuration':<42}{'s/point':>9}{'grid min':>11}{'× authors':>15}")
    results = {}
    for batch in (1, 2, 4, 8):
        seconds, results[batch] = _sequential(X, y, masks, batch, its, threads=1)
        _row(f"1 process, batch {batch}, BLAS 1 thread", seconds, its)
    seconds, _ = _sequential(X, y, masks, 4, its, threads=2)
    _row("1 process, batch 4, BLAS 2 threads", seconds, its)
    seconds = _processes(X, y, masks, 4, its, workers=2)
    best = _row("2 processes, batch 4, BLAS 1 thread each", seconds, its)
    diff = max(float(np.max(np.abs(results[b].history - results[1].history))) for b in (2, 4, 8))
    print(f"batched vs unbatched: max |ΔU| over all Adam steps = {diff:.1e} (float32 round-off)")
    print(
        f"authors' code: {AUTHORS_PER_POINT[0]:.0f}–{AUTHORS_PER_POINT[1]:.0f} s per point, "
        f"{GRID_POINTS * AUTHORS_PER_POINT[0] / 3600:.1f}–"
        f"{GRID_POINTS * AUTHORS_PER_POINT[1] / 3600:.1f} h per grid"
    )
    ok = best * GRID_POINTS <= TARGET_GRID and diff < 1e-5
    if args.full:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            fig3.run(out, variant="notebook", setting="saved", progress=True)
            wall = time.perf_counter() - start
        print(
            f"full grid measured: {wall / 60:.1f} min ({wall / GRID_POINTS:.2f} s per point); "
            f"{GRID_POINTS * AUTHORS_PER_POINT[0] / wall:.0f}–"
            f"{GRID_POINTS * AUTHORS_PER_POINT[1] / wall:.0f}× faster than the authors' code"
        )
        ok = ok and wall <= TARGET_GRID
    print("PASS" if ok else "FAIL: the grid must take ≤ 20 min with batched = unbatched")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
