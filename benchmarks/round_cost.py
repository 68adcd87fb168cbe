"""Per-round cost on the credit population: exact learner against the notebooks' learner.

18,357 users, half level 1 and half level 2 (one anticipation fit plus the
retraining per round), ε = 0.5. The baseline is the public notebooks' learner:
scikit-learn's lbfgs (tol 1e-5) refitted from scratch for every fit. Both are
measured in this run, median of 7 rounds after a warm-up round; the real
credit file is used when installed, the embedded synthetic population
otherwise.

    python benchmarks/round_cost.py
"""

from __future__ import annotations

import time

import numpy as np

from platform_abm.common import data
from platform_abm.common.learners import ExactLogistic, Learner, SklearnLearner
from platform_abm.platform.model import PlatformModel


def median_round(population: data.Population, learner: Learner, rounds: int = 7) -> float:
    """Median wall time of one round after a warm-up round."""
    model = PlatformModel(
        population=population,
        levels=(0.0, 0.5, 0.5),
        epsilon=0.5,
        epsilon_distribution="constant",
        learner=learner,
        max_rounds=rounds + 2,
        tolerance=1e-300,
        rng=0,
    )
    model.step()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    """Print both round costs and their ratio."""
    if data.find_credit_file() is not None:
        population, source = data.load_credit(), "credit (Kaggle file)"
    else:
        population, source = data.synthetic_credit(), "synthetic credit (file not installed)"
    notebook = median_round(population, SklearnLearner())
    exact = median_round(population, ExactLogistic())
    print(f"population: {source}, {population.n:,} users, levels 1-2")
    print(f"notebook learner (sklearn lbfgs, no warm start): {notebook * 1e3:8.1f} ms per round")
    print(f"exact Newton learner (warm start):               {exact * 1e3:8.1f} ms per round")
    print(f"ratio: {notebook / exact:.1f}x faster")


if __name__ == "__main__":
    main()
