"""Reproduce the alignment game's three regimes (``docs/curation.md``): figures and limits.

Owner disc at (0, 0); public disc at (0, 0) (perfect), (1.5, 0) (partial) or
(3, 0) (disjoint); radius 1, slope 2, τ = 0.5, K = 10, M = 4, uniform p_0,
100 rounds (every run plays all of them: the slow tails of the mass outside
the target sets are part of the result). The exact grid dynamics is
deterministic; the sample-based loop is averaged over :data:`SAMPLED_SEEDS` seeds.

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

from platform_abm.common.errors import InputError
from platform_abm.common.results import jsonable, save_figure, save_table
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
"""Rounds of every run (no run stops at convergence: ``tolerance = 0``)."""
SAMPLED_SEEDS = (0, 1, 2, 3, 4)
#: Table rows: (owner pool K, public pool M) for every regime and order.
POOLS = ((10, 4), (10, 10))
ORDERS = ("owner-first", "public-first")
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


class _Regimes:
    """What the figures show of each regime: curves from round 0 and the final distribution.

    Attributes:
        curves: Regime → table from round 0 (:meth:`CurationModel.history`).
        finals: Regime → final distribution on the grid.
        rounds: Regime → rounds run.
        grid: A model of the runs (its grid and the owner's disc).
    """

    def __init__(self) -> None:
        self.curves: dict[str, pd.DataFrame] = {}
        self.finals: dict[str, np.ndarray] = {}
        self.rounds: dict[str, int] = {}
        self.grid: CurationModel | None = None

    def show(
        self, regime: str, curves: pd.DataFrame, final: np.ndarray, model: CurationModel
    ) -> None:
        """Keep a regime's curves and final distribution (``model`` gives its grid)."""
        self.curves[regime] = curves
        self.finals[regime] = final
        self.rounds[regime] = int(model.steps)
        self.grid = model


def _model(
    regime: str, order: str, pools: tuple[int, int], fidelity: str, **kw: Any
) -> CurationModel:
    cx, cy = REGIMES[regime]
    return CurationModel(
        fidelity=fidelity,
        order=order,
        max_rounds=ROUNDS,
        tolerance=0.0,
        public_centre_x=cx,
        public_centre_y=cy,
        owner_pool=pools[0],
        public_pool=pools[1],
        **kw,
    )


def _row(
    regime: str, order: str, pools: tuple[int, int], rounds: int, final: pd.Series
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "regime": regime,
        "order": order,
        "owner_pool": pools[0],
        "public_pool": pools[1],
        "rounds": rounds,
    }
    row.update({c: float(final[c]) for c in LIMIT_COLUMNS})
    return row


def _grid_limits(progress: bool, shown: _Regimes) -> list[dict[str, Any]]:
    """The exact dynamics: one row per regime, pools and order (and the figures' runs)."""
    rows: list[dict[str, Any]] = []
    for regime in REGIMES:
        for pools in POOLS:
            limits: dict[str, np.ndarray] = {}
            for order in ORDERS:
                model = _model(regime, order, pools, "grid")
                table = run_model(model, progress, desc=f"{regime} {order} K,M={pools}")
                limits[order] = model.p
                gaussian = _model(regime, order, pools, "grid", initial="gaussian")
                run_model(gaussian, progress=False)
                row = _row(regime, order, pools, model.steps, table.iloc[-1])
                row["mode_x"], row["mode_y"] = (float(v) for v in model.points[model.p.argmax()])
                row["mode_mass"] = float(model.p.max())
                row["tv_gaussian_p0"] = total_variation(model.p, gaussian.p)
                rows.append(row)
                if order == ORDERS[0] and pools == POOLS[0]:
                    shown.show(regime, model.history(), model.p, model)
            tv_orders = total_variation(limits[ORDERS[0]], limits[ORDERS[1]])
            for row in rows[-len(ORDERS) :]:
                row["tv_orders"] = tv_orders
    return rows


def _sampled_means(progress: bool, shown: _Regimes) -> list[dict[str, Any]]:
    """The sample-based loop, owner-first, K = 10, M = 4: one row per regime (mean over seeds)."""
    rows: list[dict[str, Any]] = []
    for regime in REGIMES:
        curves, outputs = [], []
        for seed in SAMPLED_SEEDS:
            model = _model(regime, ORDERS[0], POOLS[0], "sampled", rng=seed)
            run_model(model, progress, desc=f"{regime} seed {seed}")
            curves.append(model.history())
            outputs.append(model.output)
        mean = pd.concat(curves).groupby("round", as_index=False).mean()
        final = histogram_on_grid(np.vstack(outputs), model.grid_size, model.low, model.high)
        shown.show(regime, mean, final, model)
        row = _row(regime, ORDERS[0], POOLS[0], model.steps, mean.iloc[-1])
        row["seeds"] = len(SAMPLED_SEEDS)
        rows.append(row)
    return rows


def _write_figures(out_dir: Path, shown: _Regimes) -> list[str]:
    """Write the heat maps and the distance and satisfaction curves; return the file names."""
    grid = shown.grid
    if grid is None:  # pragma: no cover - REGIMES is never empty
        raise RuntimeError("no run was made")
    discs = [{"owner": grid.owner_reward, "public": DiscReward(c)} for c in REGIMES.values()]
    figures = {
        "curation_heatmaps.png": heatmap_figure(
            [(f"{r} (round {shown.rounds[r]})", shown.finals[r]) for r in REGIMES],
            grid.grid_size,
            grid.low,
            grid.high,
            discs,
        ),
        "curation_distance.png": curves_figure(
            shown.curves, "distance", CURATORS, "mean distance to own centre"
        ),
        "curation_satisfaction.png": curves_figure(
            shown.curves, "satisfaction", CURATORS, "satisfaction"
        ),
    }
    for name, figure in figures.items():
        save_figure(figure, out_dir / name, dpi=120)
    return list(figures)


def reproduce_curation(out_dir: Path, progress: bool = True, fidelity: str = "grid") -> dict:
    """Write the three-regime figures and the table of limits into ``out_dir``.

    Args:
        out_dir: Output directory (created if missing).
        progress: Show progress bars.
        fidelity: ``"grid"`` (exact dynamics, default) or ``"sampled"`` (paper's loop,
            mean over five seeds; owner-first, K = 10, M = 4 only).

    Returns:
        ``{"fidelity", "rounds", "files", "limits"}`` where ``rounds`` is the
        round limit and ``limits`` the table as a list of rows
        (JSON-serialisable; its ``rounds`` column holds the rounds each run played).

    Raises:
        InputError: If ``fidelity`` is not allowed.
    """
    if fidelity not in FIDELITIES:
        raise InputError("fidelity", fidelity, " or ".join(FIDELITIES))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = _Regimes()
    rows = _grid_limits(progress, shown) if fidelity == "grid" else _sampled_means(progress, shown)
    files = _write_figures(out_dir, shown)
    save_table(pd.DataFrame(rows), out_dir / "curation_limits.csv")
    files.append("curation_limits.csv")
    return {"fidelity": fidelity, "rounds": ROUNDS, "files": files, "limits": jsonable(rows)}
