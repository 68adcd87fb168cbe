"""Reproduce the alignment game's three regimes (``docs/curation.md``): figures and limits.

Owner disc at (0, 0); public disc at (0, 0) (perfect), (1.5, 0) (partial) or
(3, 0) (disjoint); radius 1, slope 2, τ = 0.5, K = 10, M = 4, uniform p_0,
100 rounds. The exact grid dynamics is deterministic; the sample-based loop is
averaged over :data:`SAMPLED_SEEDS` seeds.

Files written into ``out_dir`` (each to a temporary name, then moved into place;
``platform-abm reproduce curation`` gives it a staging folder that replaces the
results folder only when every file is written):

* ``curation_heatmaps.png``: final heat maps of the three regimes;
* ``curation_distance.png``, ``curation_satisfaction.png``: the curves per regime;
* ``curation_limits.csv``: the limits (one row per regime, order and pool sizes),
  with, for the grid dynamics, the total variation between the owner-first and
  public-first limits and between the limits reached from a uniform and from a
  Gaussian p_0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from platform_abm.common.errors import InputError
from platform_abm.common.results import save_figure, save_table
from platform_abm.curation.figures import curves_figure, heatmap_figure
from platform_abm.curation.metrics import total_variation
from platform_abm.curation.model import CurationModel
from platform_abm.curation.rewards import DiscReward
from platform_abm.curation.run import run_model
from platform_abm.curation.sampled import histogram_on_grid
from platform_abm.curation.scenario import FIDELITIES

#: Public centre of each regime (owner at the origin).
REGIMES: dict[str, tuple[float, float]] = {
    "perfect": (0.0, 0.0),
    "partial": (1.5, 0.0),
    "disjoint": (3.0, 0.0),
}
ROUNDS = 100
SAMPLED_SEEDS = (0, 1, 2, 3, 4)
#: Table rows: (owner pool K, public pool M) for every regime and order.
POOLS = ((10, 4), (10, 10))
CURATORS = ("owner", "public")
LIMIT_COLUMNS = (
    "owner_distance",
    "public_distance",
    "owner_satisfaction",
    "public_satisfaction",
    "entropy",
    "support_size",
    "mass_outside_target_public",
)


def _save_figure(out_dir: Path, name: str, fig: Figure) -> Path:
    save_figure(fig, out_dir / name, dpi=120)
    return out_dir / name


def _model(
    regime: str, order: str, pools: tuple[int, int], fidelity: str, **kw: Any
) -> CurationModel:
    cx, cy = REGIMES[regime]
    return CurationModel(
        fidelity=fidelity,
        order=order,
        rounds=ROUNDS,
        public_centre_x=cx,
        public_centre_y=cy,
        owner_pool=pools[0],
        public_pool=pools[1],
        **kw,
    )


def _row(regime: str, order: str, pools: tuple[int, int], final: pd.Series) -> dict[str, Any]:
    row: dict[str, Any] = {
        "regime": regime,
        "order": order,
        "owner_pool": pools[0],
        "public_pool": pools[1],
        "rounds": ROUNDS,
    }
    row.update({c: float(final[c]) for c in LIMIT_COLUMNS})
    return row


def reproduce_curation(out_dir: Path, progress: bool = True, fidelity: str = "grid") -> dict:
    """Write the three-regime figures and the table of limits into ``out_dir``.

    Args:
        out_dir: Output directory (created if missing).
        progress: Show progress bars.
        fidelity: ``"grid"`` (exact dynamics, default) or ``"sampled"`` (paper's loop,
            mean over five seeds; owner-first, K = 10, M = 4 only).

    Returns:
        ``{"fidelity", "rounds", "files", "limits"}`` where ``limits`` is the table
        as a list of rows (JSON-serialisable).

    Raises:
        InputError: If ``fidelity`` is not allowed.
    """
    if fidelity not in FIDELITIES:
        raise InputError("fidelity", fidelity, " or ".join(FIDELITIES))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pd.DataFrame] = {}
    finals: dict[str, np.ndarray] = {}
    rows: list[dict[str, Any]] = []
    grid = None
    if fidelity == "grid":
        for regime in REGIMES:
            for pools in POOLS:
                limits: dict[str, np.ndarray] = {}
                for order in ("owner-first", "public-first"):
                    model = _model(regime, order, pools, fidelity)
                    table = run_model(model, progress, desc=f"{regime} {order} K,M={pools}")
                    grid = model
                    limits[order] = model.p
                    gaussian = _model(regime, order, pools, fidelity, initial="gaussian")
                    run_model(gaussian, progress=False)
                    row = _row(regime, order, pools, table.iloc[-1])
                    row["mode_x"], row["mode_y"] = (
                        float(v) for v in model.points[model.p.argmax()]
                    )
                    row["mode_mass"] = float(model.p.max())
                    row["tv_gaussian_p0"] = total_variation(model.p, gaussian.p)
                    rows.append(row)
                    if order == "owner-first" and pools == POOLS[0]:
                        tables[regime] = table
                        finals[regime] = model.p
                tv_orders = total_variation(limits["owner-first"], limits["public-first"])
                for row in rows[-2:]:
                    row["tv_orders"] = tv_orders
    else:
        for regime in REGIMES:
            runs, outputs = [], []
            for seed in SAMPLED_SEEDS:
                model = _model(regime, "owner-first", POOLS[0], fidelity, rng=seed)
                runs.append(run_model(model, progress, desc=f"{regime} seed {seed}"))
                outputs.append(model.output)
                grid = model
            mean = pd.concat(runs).groupby("round", as_index=False).mean()
            tables[regime] = mean
            finals[regime] = histogram_on_grid(
                np.vstack(outputs), grid.grid_size, grid.low, grid.high
            )
            row = _row(regime, "owner-first", POOLS[0], mean.iloc[-1])
            row["seeds"] = len(SAMPLED_SEEDS)
            rows.append(row)
    if grid is None:  # pragma: no cover - REGIMES is never empty
        raise RuntimeError("no run was made")
    discs = [{"owner": grid.owner_reward, "public": DiscReward(c)} for c in REGIMES.values()]
    files = [
        _save_figure(
            out_dir,
            "curation_heatmaps.png",
            heatmap_figure(
                [(f"{r} (round {ROUNDS})", finals[r]) for r in REGIMES],
                grid.grid_size,
                grid.low,
                grid.high,
                discs,
            ),
        ),
        _save_figure(
            out_dir,
            "curation_distance.png",
            curves_figure(tables, "distance", CURATORS, "mean distance to own centre"),
        ),
        _save_figure(
            out_dir,
            "curation_satisfaction.png",
            curves_figure(tables, "satisfaction", CURATORS, "satisfaction"),
        ),
    ]
    save_table(pd.DataFrame(rows), out_dir / "curation_limits.csv")
    files.append(out_dir / "curation_limits.csv")
    return {
        "fidelity": fidelity,
        "rounds": ROUNDS,
        "files": [f.name for f in files],
        "limits": [{k: _plain(v) for k, v in row.items()} for row in rows],
    }


def _plain(value: Any) -> Any:
    """JSON-friendly scalar (numpy → Python, non-finite → None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
