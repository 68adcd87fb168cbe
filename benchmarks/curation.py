"""Benchmark the alignment game: exact grid dynamics and the paper's sample-based loop.

Prints wall-clock and CPU time of up to 100 rounds (a grid run stops once it has converged;
targets: grid 81×81 < 1 s, sampled < 30 s).
Run with ``python benchmarks/curation.py``.
"""

from __future__ import annotations

import time

import numpy as np

from platform_abm.curation import CurationModel
from platform_abm.curation.dynamics import BTWeight, iterate_two_curator
from platform_abm.curation.rewards import DiscReward, grid_points


def timed(fn, repeats: int = 3) -> tuple[float, float]:
    """Best wall-clock and CPU seconds over ``repeats`` calls."""
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def run(**kwargs) -> None:
    model = CurationModel(**kwargs)
    while model.running:
        model.step()


def main() -> None:
    points = grid_points(81, -5.0, 5.0)
    p0 = np.full(points.shape[0], 1.0 / points.shape[0])
    r_o, r_p = DiscReward((0.0, 0.0))(points), DiscReward((3.0, 0.0))(points)
    kernel = BTWeight(r_p, 0.5, 4)
    line = "{:<48s} {:6.2f} s wall, {:6.2f} s cpu"
    wall, cpu = timed(lambda: [kernel(p0) for _ in range(100)])
    print(
        f"BT weight H, 81×81 grid ({kernel.n_levels} reward levels, {kernel.n_nodes} nodes): "
        f"{wall * 10:.2f} ms per call (cpu {cpu * 10:.2f} ms)"
    )
    wall, cpu = timed(lambda: iterate_two_curator(p0, r_o, r_p, 0.5, 0.5, 10, 4, 100))
    print(line.format("two-curator map, 81×81, 100 rounds:", wall, cpu))
    for regime, x in (("perfect", 0.0), ("partial", 1.5), ("disjoint", 3.0)):
        wall, cpu = timed(lambda x=x: run(public_centre_x=x, rng=0))
        print(line.format(f"CurationModel grid 81×81, ≤ 100 rounds, {regime}:", wall, cpu))
    for regime, x in (("perfect", 0.0), ("disjoint", 3.0)):
        wall, cpu = timed(lambda x=x: run(fidelity="sampled", public_centre_x=x, rng=0), repeats=1)
        print(line.format(f"CurationModel sampled, 100 rounds, {regime}:", wall, cpu))


if __name__ == "__main__":
    main()
