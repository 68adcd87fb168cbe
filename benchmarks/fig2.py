"""Figure 2, notebook variant: time per λ and for the full figure, against the authors' code.

The authors' notebook takes 2–4 min per λ on these 2-core machines, 25–35 min
for the ten λ of one curve. This script runs the full figure (both curves, ten
λ each) with one process per curve, prints the time of every λ and of the
whole figure with its ratio to the authors' 25–35 min, then runs the same
figure serially in this process and checks that every number is identical.

Usage::

    .venv/bin/python benchmarks/fig2.py [--quick] [--diagnose] [--no-serial]

``--quick`` times the λ ∈ {0, 1} chain instead. Timings on a shared machine
depend on what else runs; the ratio of the parallel to the serial run is
measured in the same invocation.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from platform_abm.common import data
from platform_abm.platform.reproduce import fig2_notebook as nb

AUTHORS_FIGURE_SECONDS = (25 * 60, 35 * 60)
AUTHORS_PER_LAMBDA_SECONDS = (2 * 60, 4 * 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="λ ∈ {0, 1} only")
    parser.add_argument("--diagnose", action="store_true", help="include the controls")
    parser.add_argument("--no-serial", action="store_true", help="skip the serial re-run")
    args = parser.parse_args()
    pop = data.load_credit(seed=0)
    X, y = nb.sliced_matrix(pop.X), pop.y.astype(np.float32)
    curves = list(nb.CURVES.values())
    lambdas = (0.0, 1.0) if args.quick else nb.LAMBDAS

    started = time.perf_counter()
    parallel = nb.sweep_curves(X, y, curves, lambdas, diagnose=args.diagnose, workers=2)
    wall = time.perf_counter() - started

    print(f"{'curve':6} {'λ':>6} {'wall s':>7} {'CPU s':>7} {'B':>10} {'alignment':>12}")
    for p in parallel:
        print(
            f"{p.feature:6} {p.lam:6.3f} {p.seconds:7.1f} {p.cpu_seconds:7.1f} "
            f"{p.benefit:10.6f} {p.alignment:12.6g}"
        )
    cpu = {c.name: sum(p.cpu_seconds for p in parallel if p.feature == c.name) for c in curves}
    per_lambda = float(np.median([p.cpu_seconds for p in parallel]))
    lo, hi = AUTHORS_PER_LAMBDA_SECONDS
    print(
        f"per λ: median {per_lambda:.1f} CPU s (authors' code {lo}–{hi} s wall: "
        f"{lo / per_lambda:.0f}–{hi / per_lambda:.0f}×)"
    )
    lo, hi = AUTHORS_FIGURE_SECONDS
    idle = max(cpu.values())  # one process per curve: two free cores need the longest chain
    print(
        "CPU per curve: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in cpu.items())
        + f"; on 2 free cores the figure takes ≈ {idle:.0f} s"
        + f" ({lo / idle:.0f}–{hi / idle:.0f}× the authors' {lo // 60}–{hi // 60} min)"
    )
    print(
        f"measured wall, {len(curves)} curves × {len(lambdas)} λ, 2 processes: {wall:.1f} s "
        f"({lo / wall:.1f}–{hi / wall:.1f}× the authors' {lo // 60}–{hi // 60} min; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    if args.no_serial:
        return
    started = time.perf_counter()
    serial = nb.sweep_curves(X, y, curves, lambdas, diagnose=args.diagnose, workers=1)
    serial_wall = time.perf_counter() - started
    same = nb.identical(serial, parallel)
    print(
        f"serial, one process: {serial_wall:.1f} s (parallel/serial {wall / serial_wall:.2f}); "
        f"numbers identical to the parallel run: {same}"
    )
    if not same:
        raise SystemExit("the parallel and the serial numbers differ")


if __name__ == "__main__":
    main()
