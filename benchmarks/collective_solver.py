"""Benchmark: the implicit-gradient Stackelberg solver against the notebooks' solver.

Problem (figure 3's, on one population): a random 30 % of the credit users
form a zero-sum collective (u = ℓ) that shifts one column by a shared η,
|η| ≤ 4: column 2 of the credit matrix (NumberOfTime30-59DaysPastDueNotWorse,
the column the notebooks' curve labelled 'age' edits); the others report
truthfully. The collective's utility is E_{D_h} ℓ(z; A(D_h)) with A the exact
learner (the platform's argmin).

* baseline — the notebooks' solver: Adam (lr 0.01, 250 steps) on η through
  100 unrolled GD steps of size max(1e-3, 1/(i+1)) from θ0 = 0, reverse pass by
  hand;
* implicit — L-BFGS-B on η with implicit-function-theorem gradients through
  the exact Newton learner (Hessian solves, warm starts).

Both strategies are scored with the same exact learner. Prints both times,
utilities and the speed-up; exits non-zero if the implicit solver is not at
least as good and 20× faster. Uses the real credit data when installed and the
calibrated synthetic population otherwise.

Run: ``python benchmarks/collective_solver.py``
"""

from __future__ import annotations

import sys
import time

import numpy as np

from platform_abm.common import data
from platform_abm.common.learners import ExactLogistic
from platform_abm.platform.collective.solvers import LeaderProblem, stackelberg
from platform_abm.platform.collective.strategies import FeatureShift
from platform_abm.platform.collective.unrolled import (
    UnrolledGD,
    members_masks,
    solve_shift_notebook,
)
from platform_abm.platform.user_utility import LossAlignment

COLUMN = 2
ALPHA = 0.3
BOUND = 4.0


def main() -> int:
    if data.find_credit_file() is not None:
        pop = data.load_credit(seed=0)
    else:
        pop = data.synthetic_credit(seed=0)
    X, y = pop.X, pop.y
    print(f"population: {pop.source}, n = {len(y)}, collective α = {ALPHA}, column {COLUMN}")
    mask = members_masks(len(y), [ALPHA], [0])
    members = np.flatnonzero(mask[0])
    learner = ExactLogistic()
    utility = LossAlignment(learner, lam=0.0)
    problem = LeaderProblem(learner, FeatureShift([COLUMN], bound=BOUND), utility, X, y, members)

    start = time.perf_counter()
    nb = solve_shift_notebook(X, y, mask, COLUMN, utility, UnrolledGD(), iterations=250)
    t_nb = time.perf_counter() - start
    eta_nb = float(np.clip(nb.eta[0], -BOUND, BOUND))

    start = time.perf_counter()
    sol = stackelberg(problem)
    t_imp = time.perf_counter() - start

    u_nb, _ = problem.value_at(np.array([eta_nb]))
    u_imp = sol.value
    ratio = t_nb / t_imp
    print(f"{'solver':<34}{'time [s]':>10}{'η':>10}{'U (exact learner)':>20}")
    print(f"{'notebook (Adam × unrolled GD)':<34}{t_nb:>10.2f}{eta_nb:>10.4f}{u_nb:>20.6f}")
    print(f"{'implicit (L-BFGS-B × IFT)':<34}{t_imp:>10.2f}{sol.params[0]:>10.4f}{u_imp:>20.6f}")
    print(
        f"speed-up {ratio:.1f}×; utility difference {u_imp - u_nb:+.2e}; "
        f"learner fits {sol.evaluations}"
    )
    ok = u_imp >= u_nb - 1e-12 and ratio >= 20
    print("PASS" if ok else "FAIL: need an equal or better utility at ≥ 20× the speed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
