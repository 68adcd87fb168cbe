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
import time

import numpy as np

from platform_abm import data
from platform_abm.reproduce import fig2_notebook as nb

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

    print(f"{'curve':6} {'λ':>6} {'seconds':>8} {'B':>10} {'alignment':>12}")
    for p in parallel:
        print(f"{p.feature:6} {p.lam:6.3f} {p.seconds:8.1f} {p.benefit:10.6f} {p.alignment:12.6g}")
    per_lambda = [p.seconds for p in parallel]
    lo, hi = AUTHORS_PER_LAMBDA_SECONDS
    print(
        f"per λ: median {np.median(per_lambda):.1f} s (authors' code {lo}–{hi} s: "
        f"{lo / np.median(per_lambda):.0f}–{hi / np.median(per_lambda):.0f}× faster)"
    )
    lo, hi = AUTHORS_FIGURE_SECONDS
    print(
        f"figure, {len(curves)} curves × {len(lambdas)} λ, 2 processes: {wall:.1f} s "
        f"(authors' code {lo // 60}–{hi // 60} min for one curve of ten λ: "
        f"{lo / wall:.1f}–{hi / wall:.1f}×)"
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
