"""Benchmark: figure 4's ten-trial sweep (3 strategies × 20 sizes × 10 trials = 600 fits).

Times, in one run on the same machine:

* ``notebook`` — :func:`platform_abm.platform.reproduce.fig4.fig4_curves` on the notebook
  set-up (scikit-learn lbfgs, tol 1e-6, from scratch at every point; U and three
  Ψ per point);
* ``fits only`` — the same 600 scikit-learn fits and nothing else: the work the
  authors' code cannot avoid either;
* ``paper`` — the paper variant (exact Newton learner, warm-started along α).

and prints each as seconds and as a ratio to the authors' code (27–34 s for the
ten trials on these 2-core machines, docs/reproductions/fig4.md). Needs the real
credit data.

Run: ``python benchmarks/fig4.py [--trials N]``
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from platform_abm.common import data
from platform_abm.common.learners import single_threaded_blas
from platform_abm.platform.reproduce import fig4

AUTHORS_SECONDS = (27.0, 34.0)


def _fits_only(setup: fig4.Fig4Setup, trials: int) -> None:
    pool = setup.label_one
    shift = setup.strategy
    with single_threaded_blas():
        for eta, _ in fig4.STRATEGIES:
            for t in range(trials):
                for alpha in fig4.ALPHAS:
                    rows = fig4.draw_members(pool, alpha, np.random.default_rng(t))
                    X = setup.X.copy()
                    X[rows] = shift.apply(np.array([eta]), X[rows], setup.y[rows])[0]
                    setup.learner.fit(X, setup.y)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=fig4.TRIALS)
    args = parser.parse_args()
    if data.find_credit_file() is None:
        print("the Kaggle credit file is not installed", file=sys.stderr)
        return 2
    pop = data.load_credit(seed=fig4.DATA_SEED)
    notebook = fig4.notebook_setup(pop.X, pop.y)
    paper = fig4.paper_setup(pop.X, pop.y)
    scale = args.trials / fig4.TRIALS
    low, high = (s * scale for s in AUTHORS_SECONDS)
    timings = {}
    start = time.perf_counter()
    fig4.fig4_curves(notebook, np.array(fig4.PRINTED_TARGET), trials=args.trials)
    timings["notebook"] = time.perf_counter() - start
    start = time.perf_counter()
    _fits_only(notebook, args.trials)
    timings["fits only"] = time.perf_counter() - start
    start = time.perf_counter()
    fig4.fig4_curves(paper, fig4.draw_target(paper), trials=args.trials)
    timings["paper"] = time.perf_counter() - start
    print(f"{args.trials} trials, {len(fig4.STRATEGIES) * len(fig4.ALPHAS) * args.trials} fits")
    for name, seconds in timings.items():
        print(
            f"{name:10s} {seconds:7.1f} s   authors' code / this: "
            f"{low / seconds:.2f}–{high / seconds:.2f}×   "
            f"this / fits only: {seconds / timings['fits only']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
