"""Scale benchmark: PlatformModel at 1e4, 1e5 and 1e6 users.

For each N it prints the build time (agents included), the median round time,
the peak RSS and bytes per user, the ratio of the round to the plain-numpy
reference (``numpy_reference.py``, the limit of this design) measured in the
same process, and at 1e4 and 1e5 the ratio to the naive per-agent path
(``PlatformModel(vectorised=False)``: every agent computes its own report in
its ``step``). Then the cost of per-agent reporters on a 1,000-user sample,
round time against the number of levels K and features d, and a profile of
one round at the largest N.

Each configuration runs in a fresh subprocess so peak RSS is its own.
Population: Gaussian features, levels 1–3 mixed (plus level 0), 10% of the
users in a collective playing a fixed strategy, exact learner.

    python benchmarks/scale.py            # full table (several minutes)
    python benchmarks/scale.py --quick    # 1e4 and 1e5 only
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

LEVELS = (0.1, 0.3, 0.3, 0.3)


def _collective(d: int) -> dict:
    """10% of the users shift two strategic features by a fixed η (no solve)."""
    return {
        "name": "c",
        "members": {"fraction": 0.1},
        "strategy": {"family": "shift", "features": [0, 1], "eta": [0.5, 0.5]},
        "utility": {"kind": "target-model", "theta": [0.0] * (d + 1)},
        "solver": {"kind": "fixed", "selfish": "none"},
    }


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _model_kwargs(
    n: int, d: int, levels: tuple[float, ...], collective: bool, agent_sample: int = 0
) -> dict:
    from platform_abm.common import data

    return {
        "population": data.gaussian_population(n, d, seed=0),
        "strategic_features": (0, 1, 2),
        "levels": levels,
        "epsilon": 0.5,
        "epsilon_distribution": "lognormal",
        "epsilon_sigma": 0.5,
        "collectives": (_collective(d),) if collective else (),
        "max_rounds": 1000,
        "tolerance": 1e-300,
        "agent_sample": agent_sample,
        "rng": 0,
    }


def measure(
    n: int,
    d: int,
    levels: tuple[float, ...],
    rounds: int,
    naive: bool,
    collective: bool,
    profile: bool,
    agent_sample: int = 0,
) -> dict:
    """Build one model and time its rounds (run inside a fresh process)."""
    from numpy_reference import make_state, reference_round

    from platform_abm.common.learners import ExactLogistic
    from platform_abm.platform.model import PlatformModel

    kwargs = _model_kwargs(n, d, levels, collective, agent_sample)
    population = kwargs["population"]
    before = _rss_mib()
    start = time.perf_counter()
    model = PlatformModel(**kwargs)
    build = time.perf_counter() - start
    after_build = _rss_mib()
    model.step()  # warm-up round (first anticipation fits start cold)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    result = {
        "n": n,
        "d": d,
        "K": len(levels) - 1,
        "build_s": build,
        "round_s": float(np.median(times)),
        "peak_rss_mib": _rss_mib(),
        "bytes_per_user": (after_build - before) * 2**20 / n,
    }
    if agent_sample:
        # the sampled users' part of the data collection, on its own
        collect_times = []
        for _ in range(3):
            start = time.perf_counter()
            list(model.datacollector._record_agents(model))
            collect_times.append(time.perf_counter() - start)
        result["agent_collect_s"] = float(np.median(collect_times))
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        model.step()
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(14)
        result["profile"] = text.getvalue()
    if naive:
        slow = PlatformModel(**{**kwargs, "vectorised": False})
        slow.step()
        start = time.perf_counter()
        slow.step()
        result["naive_round_s"] = time.perf_counter() - start
    del model
    fractions = tuple(np.asarray(levels[1:]) / np.sum(levels[1:]))
    state = make_state(
        population.X,
        population.y,
        np.array([0, 1, 2]),
        (0.0, *fractions),
        0.1 if collective else 0.0,
    )
    learner = ExactLogistic()
    reference_round(state, learner)
    ref_times = []
    for _ in range(rounds):
        start = time.perf_counter()
        reference_round(state, learner)
        ref_times.append(time.perf_counter() - start)
    result["reference_round_s"] = float(np.median(ref_times))
    return result


def _child(args: list[str]) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the scale tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1e4 and 1e5 only")
    parser.add_argument("--child", nargs=8, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        n, d, k, rounds, naive, collective, profile, sample = args.child
        levels = (0.1, *([0.9 / int(k)] * int(k)))
        print(
            json.dumps(
                measure(
                    int(n),
                    int(d),
                    levels,
                    int(rounds),
                    naive == "1",
                    collective == "1",
                    profile == "1",
                    int(sample),
                )
            )
        )
        return

    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    print("PlatformModel scale (levels 0–3, 10% collective with a fixed strategy, d = 10)")
    header = (
        f"{'N':>9} {'build s':>8} {'round s':>8} {'numpy s':>8} {'÷numpy':>7} "
        f"{'naive s':>8} {'naive÷':>7} {'peak MiB':>9} {'B/user':>7}"
    )
    print(header)
    profile = ""
    for n in sizes:
        naive = n <= 100_000
        row = _child(
            [
                str(n),
                "10",
                "3",
                "3",
                "1" if naive else "0",
                "1",
                "1" if n == sizes[-1] else "0",
                "0",
            ]
        )
        profile = row.get("profile", profile)
        naive_s = row.get("naive_round_s")
        print(
            f"{n:>9} {row['build_s']:>8.2f} {row['round_s']:>8.3f} "
            f"{row['reference_round_s']:>8.3f} {row['round_s'] / row['reference_round_s']:>7.2f} "
            f"{(f'{naive_s:.2f}' if naive_s else '-'):>8} "
            f"{(f'{naive_s / row["round_s"]:.0f}x' if naive_s else '-'):>7} "
            f"{row['peak_rss_mib']:>9.0f} {row['bytes_per_user']:>7.0f}"
        )
    sample = 1_000
    row = _child([str(sizes[-1]), "10", "3", "3", "0", "1", "0", str(sample)])
    print(
        f"\nper-agent reporters on a {sample:,}-user sample at N = {sizes[-1]:,}: "
        f"{row['agent_collect_s'] * 1e3:.0f} ms per round "
        f"({row['agent_collect_s'] / row['round_s']:.1%} of a {row['round_s']:.3f} s round)"
    )
    n_grid = 100_000
    print(f"\nround time (s) at N = {n_grid:,} against levels K (d = 10) and features d (K = 3)")
    print(
        " ".join(
            f"K={k}: {_child([str(n_grid), '10', str(k), '3', '0', '0', '0', '0'])['round_s']:.3f}"
            for k in (1, 2, 3, 4, 5)
        )
    )
    print(
        " ".join(
            f"d={d}: {_child([str(n_grid), str(d), '3', '3', '0', '0', '0', '0'])['round_s']:.3f}"
            for d in (5, 10, 20, 40)
        )
    )
    print(f"\nprofile of one round at N = {sizes[-1]:,} (cumulative time)")
    print(profile)


if __name__ == "__main__":
    main()
