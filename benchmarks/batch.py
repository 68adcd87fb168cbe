"""Benchmark of the sweep runner: serial vs local processes vs a Dask LocalCluster.

Runs the ≥40-run sweep ``scenarios/sweeps/bench.toml`` (runs of ≥0.5 s each)
three times into fresh folders: serially, on 2 local worker processes, and on a
new Dask LocalCluster of 2 single-threaded worker processes. Wall times include
starting the workers (that is what a user waits for). It prints:

* wall time per backend, the speedup of 2 local workers over serial (target
  ≥ 1.7×) and the Dask / local ratio (target ≤ 1.15);
* the CPU time used (this process and its workers) and the machine's load
  average, since on a shared machine other jobs take cores away (the CPU
  seconds also give an estimate of the wall-time ratios on idle cores);
* the per-run overhead of the results store (Parquet encode, atomic write,
  journal line), measured in the sweep and on 200 stand-alone writes.

Usage::

    python benchmarks/batch.py [--workers 2] [--repeat 1] [--seeds N] [--scenario FILE]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from platform_abm.batch.runner import SweepOptions, execute_sweep, plan_sweep
from platform_abm.batch.store import SweepIdentity, SweepStore
from platform_abm.common.scenario_file import read_toml

ROOT = Path(__file__).resolve().parents[1]
SPEEDUP_TARGET = 1.7
DASK_TOLERANCE = 0.15
STORE_SAMPLES = 200


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_sweep(
    scenario: Path, out: Path, backend: str, workers: int, sweep: dict[str, Any]
) -> dict[str, object]:
    shutil.rmtree(out, ignore_errors=True)
    load_before = os.getloadavg()[0]
    cpu = cpu_seconds()
    started = time.perf_counter()
    options = SweepOptions(backend=backend, workers=workers, progress=False)
    report = execute_sweep(scenario, out, options, sweep=sweep)
    wall = time.perf_counter() - started
    if report.failed or report.lost:
        raise SystemExit(
            f"{backend}: {len(report.failed)} runs failed, {len(report.lost)} lost: "
            f"{report.failed or report.lost}"
        )
    run_times = SweepStore.read(out).manifest()["wall_time_s"].to_numpy(dtype=float)
    return {
        "backend": backend,
        "wall": wall,
        "cpu": cpu_seconds() - cpu,
        "load": (load_before + os.getloadavg()[0]) / 2,
        "runs": report.executed,
        "run_median": float(np.median(run_times)),
        "run_min": float(run_times.min()),
        "store_per_run": report.store_time_s / max(report.executed, 1),
        "table": report.table,
    }


def describe_mismatch(name: str, reference: pd.DataFrame, table: pd.DataFrame) -> str:
    """Which runs and columns of a table differ from the reference, and by how much."""
    if list(table.columns) != list(reference.columns) or len(table) != len(reference):
        return f"{name}: columns or length differ"
    differing = [c for c in reference.columns if not table[c].equals(reference[c])]
    numeric = [c for c in differing if pd.api.types.is_numeric_dtype(reference[c])]
    rows = (table[numeric] != reference[numeric]).any(axis=1) if numeric else []
    keys = list(reference.loc[rows, "run_key"]) if numeric else []
    biggest = max(
        (float((table[c] - reference[c]).abs().max()) for c in numeric), default=float("nan")
    )
    return f"{name}: columns {differing} differ in runs {keys} (largest difference {biggest:.3g})"


def store_overhead(scratch: Path, table: pd.DataFrame) -> float:
    """Median seconds to record one run (Parquet encode, atomic write, journal line)."""
    row = table.iloc[[0]].reset_index(drop=True)
    store = SweepStore.open(scratch / "store-only", SweepIdentity("bench", "platform", {}, {}))
    times = []
    with store:
        for i in range(STORE_SAMPLES):
            started = time.perf_counter()
            store.record_done(f"{i:016x}", row, 0, 0, {}, 0.0)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "sweeps" / "bench.toml"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the three backends")
    parser.add_argument("--seeds", type=int, help="replicates per point (default: the file's)")
    args = parser.parse_args()
    scenario = Path(args.scenario)
    sweep = dict(read_toml(scenario)["sweep"])
    if args.seeds is not None:
        sweep["seeds"] = args.seeds
    plan = plan_sweep(scenario, sweep)
    print(
        f"sweep {scenario.name}: {len(plan.runs)} runs; {os.cpu_count()} CPUs; "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )
    scratch = Path(tempfile.mkdtemp(prefix="platform-abm-bench-"))
    results: dict[str, list[dict[str, object]]] = {"serial": [], "local": [], "dask": []}
    try:
        for repeat in range(args.repeat):
            for backend in results:
                workers = 1 if backend == "serial" else args.workers
                result = timed_sweep(scenario, scratch / backend, backend, workers, sweep)
                results[backend].append(result)
                print(
                    f"  [{repeat + 1}] {backend:<6} {result['wall']:7.2f} s wall, "
                    f"{result['cpu']:7.2f} s CPU, load {result['load']:.2f}, "
                    f"median run {result['run_median']:.2f} s (min {result['run_min']:.2f})"
                )
        reference = results["serial"][0]["table"]
        mismatches = [
            describe_mismatch(f"{b} [{i + 1}]", reference, r["table"])
            for b in results
            for i, r in enumerate(results[b])
            if not r["table"].equals(reference)
        ]
        identical = not mismatches
        per_write = store_overhead(scratch, reference)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def best(backend: str) -> float:
        return min(float(r["wall"]) for r in results[backend])

    serial, local, dask = best("serial"), best("local"), best("dask")
    speedup = serial / local
    dask_ratio = dask / local
    in_sweep = statistics.median(float(r["store_per_run"]) for rs in results.values() for r in rs)
    median_run = float(results["serial"][-1]["run_median"])
    print()
    print(
        f"best of {args.repeat}: serial {serial:.2f} s | local x{args.workers} {local:.2f} s | "
        f"dask x{args.workers} {dask:.2f} s"
    )
    print(
        f"speedup local/serial      {speedup:5.2f}x  (target >= {SPEEDUP_TARGET}x: "
        f"{'met' if speedup >= SPEEDUP_TARGET else 'NOT met'})"
    )
    print(
        f"dask / local wall time    {dask_ratio:5.2f}   (target <= {1 + DASK_TOLERANCE:.2f}: "
        f"{'met' if dask_ratio <= 1 + DASK_TOLERANCE else 'NOT met'})"
    )
    print(
        f"store overhead per run    {in_sweep * 1e3:6.2f} ms in the sweeps, "
        f"{per_write * 1e3:6.2f} ms stand-alone (median of {STORE_SAMPLES}); "
        f"{100 * in_sweep / median_run:.2f}% of a median run"
    )
    cpu = {b: min(float(r["cpu"]) for r in results[b]) for b in results}
    print(
        f"CPU seconds (this process and its workers): serial {cpu['serial']:.1f}, "
        f"local {cpu['local']:.1f}, dask {cpu['dask']:.1f}; on {args.workers} idle cores "
        f"that would allow ~{cpu['serial'] / (cpu['local'] / args.workers):.2f}x for local "
        f"and dask/local ~{cpu['dask'] / cpu['local']:.2f} (an estimate, not a measurement)"
    )
    print(f"identical tables across backends and repeats: {identical}")
    for line in mismatches:
        print(f"  {line}")
    print(f"load average at end {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
