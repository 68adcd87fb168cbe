"""``CurationModel``: recursive curation of a generative model (the alignment game) on Mesa.

One round (one ``model.step()``) is the owner's Bradley–Terry curation and the
retraining of the generative model, plus the public users' curation of the
released model, in the configured order:

* **grid** fidelity (default): the model is a categorical distribution p_t over
  a finite grid; curation weights are exact (:class:`~.dynamics.BTWeight`), so
  there is no sampling noise. The public users of a faction share reward, pool
  and temperature and are aggregated (weight Σ share·activity); with one
  faction the round is exactly the two-curator map of ``docs/curation.md``.
* **sampled** fidelity: the paper's loop. A dataset accumulates; the first
  curator draws candidate groups from it, a Gaussian mixture is fitted to the
  kept points and generates the second curator's candidates; the second
  curator's kept points join the dataset. Public choices are made by the
  individual :class:`~.agents.PublicUser` agents, each assigned a random number
  of choices in proportion to its weight.

A ``mesa.DataCollector`` records the metrics of ``docs/curation.md`` after every round
(row 0 is the initial state).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import mesa
import numpy as np
from mesa.agentset import AbstractAgentSet

from platform_abm.common.errors import InputError
from platform_abm.common.validation import validate
from platform_abm.curation import metrics as M
from platform_abm.curation.agents import CandidateSource, PublicUser
from platform_abm.curation.dynamics import BTWeight, curation_round
from platform_abm.curation.rewards import grid_points, grid_spacing
from platform_abm.curation.sampled import (
    bt_select,
    draw_from_data,
    fit_generator,
    gaussian_points,
    histogram_on_grid,
    nearest_cell,
    uniform_points,
)
from platform_abm.curation.scenario import CurationScenario, CuratorSpec, FactionSpec
from platform_abm.curation.schema import CurationParams

Array = np.ndarray

#: Change (total variation between consecutive rounds) below which a grid run counts as converged.
CONVERGENCE_TOLERANCE = 1e-10


def apportion(total: int, shares: Sequence[float]) -> list[int]:
    """Split ``total`` users over factions: one each, the rest by largest remainder of share.

    Args:
        total: Number of users (≥ number of factions).
        shares: Positive faction shares.

    Returns:
        Users per faction, summing to ``total``.
    """
    s = np.asarray(shares, dtype=float)
    quota = (total - s.size) * s / s.sum()
    counts = np.floor(quota).astype(int)
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: total - s.size - counts.sum()]] += 1
    return [int(c) + 1 for c in counts]


class CurationModel(mesa.Model):
    """Recursive curation of a generative model by an owner and public factions.

    All parameters are keyword-only simple values so that
    ``mesa.batch_run(CurationModel, parameters=...)`` can sweep them. A single
    public faction is described by the ``public_*`` parameters; ``factions``
    (a sequence of dicts with the keys of a ``[[curation.factions]]`` table)
    replaces it with several.

    Args:
        fidelity: ``"grid"`` (exact dynamics) or ``"sampled"`` (paper's loop).
        order: ``"owner-first"`` or ``"public-first"``.
        rounds: Number of rounds; ``running`` becomes False after the last.
        mix: Fraction of original data mixed into each round's output.
        public_users: Number of :class:`PublicUser` agents.
        grid_size: Grid points per axis.
        low: Lower bound of both coordinates.
        high: Upper bound of both coordinates.
        initial: ``"uniform"`` or ``"gaussian"`` initial distribution.
        initial_centre_x: Gaussian initial mean, x.
        initial_centre_y: Gaussian initial mean, y.
        initial_scale: Gaussian initial standard deviation.
        owner_centre_x: Owner's disc centre, x.
        owner_centre_y: Owner's disc centre, y.
        owner_radius: Owner's disc radius.
        owner_slope: Owner's reward slope outside the disc.
        owner_temperature: Owner's τ.
        owner_pool: Owner's pool size K.
        public_centre_x: Public disc centre, x (single faction).
        public_centre_y: Public disc centre, y (single faction).
        public_radius: Public disc radius (single faction).
        public_slope: Public reward slope (single faction).
        public_temperature: Public τ (single faction).
        public_pool: Public pool size M (single faction).
        factions: Several factions as dicts (overrides the ``public_*`` parameters).
        initial_points: Sampled loop: size of the initial dataset.
        owner_keep: Sampled loop: points the owner keeps per round.
        public_keep: Sampled loop: points the public keeps per round.
        gmm_components: Sampled loop: Gaussian-mixture components.
        gmm_tol: Sampled loop: EM convergence threshold.
        p0: Grid: an explicit initial distribution over the ``grid_size²`` cells
            (overrides ``initial``); sampled: initial points are drawn from it.
        rng: Seed or generator of the model's random numbers.

    Raises:
        InputError: If a parameter is not allowed (the message names it).
    """

    def __init__(
        self,
        *,
        fidelity: str = "grid",
        order: str = "owner-first",
        rounds: int = 100,
        mix: float = 0.0,
        public_users: int = 1,
        grid_size: int = 81,
        low: float = -5.0,
        high: float = 5.0,
        initial: str = "uniform",
        initial_centre_x: float = 0.0,
        initial_centre_y: float = 0.0,
        initial_scale: float = 2.0,
        owner_centre_x: float = 0.0,
        owner_centre_y: float = 0.0,
        owner_radius: float = 1.0,
        owner_slope: float = 2.0,
        owner_temperature: float = 0.5,
        owner_pool: int = 10,
        public_centre_x: float = 0.0,
        public_centre_y: float = 0.0,
        public_radius: float = 1.0,
        public_slope: float = 2.0,
        public_temperature: float = 0.5,
        public_pool: int = 4,
        factions: Sequence[Mapping[str, Any]] | None = None,
        initial_points: int = 1000,
        owner_keep: int = 100,
        public_keep: int = 50,
        gmm_components: int = 10,
        gmm_tol: float = 1e-2,
        p0: Array | None = None,
        rng: Any = None,
    ) -> None:
        p = validate(
            CurationParams,
            {
                "fidelity": fidelity,
                "order": order,
                "rounds": rounds,
                "mix": mix,
                "public_users": public_users,
                "grid_size": grid_size,
                "low": low,
                "high": high,
                "initial": initial,
                "initial_centre_x": initial_centre_x,
                "initial_centre_y": initial_centre_y,
                "initial_scale": initial_scale,
                "owner_centre_x": owner_centre_x,
                "owner_centre_y": owner_centre_y,
                "owner_radius": owner_radius,
                "owner_slope": owner_slope,
                "owner_temperature": owner_temperature,
                "owner_pool": owner_pool,
                "public_centre_x": public_centre_x,
                "public_centre_y": public_centre_y,
                "public_radius": public_radius,
                "public_slope": public_slope,
                "public_temperature": public_temperature,
                "public_pool": public_pool,
                "factions": factions,
                "initial_points": initial_points,
                "owner_keep": owner_keep,
                "public_keep": public_keep,
                "gmm_components": gmm_components,
                "gmm_tol": gmm_tol,
                "p0": p0,
                "rng": rng,
            },
        )
        super().__init__(rng=rng)
        self.fidelity = p.fidelity
        self.order = p.order
        self.rounds = p.rounds
        self.mix = p.mix
        self.grid_size = p.grid_size
        self.low = p.low
        self.high = p.high
        self.owner = CuratorSpec(
            centre=(p.owner_centre_x, p.owner_centre_y),
            radius=p.owner_radius,
            slope=p.owner_slope,
            temperature=p.owner_temperature,
            pool=p.owner_pool,
        )
        if p.factions is None:
            self.factions: tuple[FactionSpec, ...] = (
                FactionSpec(
                    name="public",
                    centre=(p.public_centre_x, p.public_centre_y),
                    radius=p.public_radius,
                    slope=p.public_slope,
                    temperature=p.public_temperature,
                    pool=p.public_pool,
                ),
            )
        else:
            self.factions = tuple(FactionSpec.from_table(f) for f in p.factions)
        self.public_users = p.public_users
        self.initial_points = p.initial_points
        self.owner_keep = p.owner_keep
        self.public_keep = p.public_keep
        self.gmm_components = p.gmm_components
        self.gmm_tol = p.gmm_tol
        initial = p.initial
        initial_centre = (p.initial_centre_x, p.initial_centre_y)
        initial_scale = p.initial_scale

        # The output grid, target sets and regimes.
        self.points = grid_points(self.grid_size, self.low, self.high)
        self.spacing = grid_spacing(self.grid_size, self.low, self.high)
        self.owner_reward = self.owner.reward
        self.owner_mask = self.owner_reward.inside(self.points)
        self.faction_masks = [f.reward.inside(self.points) for f in self.factions]
        targets = [M.target_mask(self.points, self.owner_reward, f.reward) for f in self.factions]
        self.regimes = [regime for regime, _ in targets]
        self.target_masks = [mask for _, mask in targets]

        # The initial distribution.
        n = self.points.shape[0]
        if p0 is not None:
            q = np.asarray(p0, dtype=float).ravel()
            if q.size != n or not np.all(np.isfinite(q)) or (q < 0).any() or q.sum() <= 0:
                raise InputError("p0", f"array of shape {np.shape(p0)}", f"{n} non-negative values")
            self.p0 = q / q.sum()
        elif initial == "uniform":
            self.p0 = np.full(n, 1.0 / n)
        else:
            d2 = np.sum((self.points - np.asarray(initial_centre)) ** 2, axis=1)
            g = np.exp(-0.5 * d2 / initial_scale**2)
            if not g.sum() > 0:
                raise InputError(
                    "initial_scale",
                    initial_scale,
                    "a scale whose Gaussian puts mass on some grid point (it underflows "
                    f"everywhere: the nearest point is {np.sqrt(d2.min()):.3g} from the centre)",
                )
            self.p0 = g / g.sum()

        # Public users, apportioned to factions by share.
        counts = apportion(self.public_users, [f.share for f in self.factions])
        for index, (faction, count) in enumerate(zip(self.factions, counts, strict=True)):
            for _ in range(count):
                PublicUser(
                    self,
                    faction=index,
                    faction_name=faction.name,
                    reward=faction.reward,
                    temperature=faction.temperature,
                    pool=faction.pool,
                    share=faction.share / count,
                    activity=faction.activity,
                )

        # State.
        self.released: Array | None = None
        self.output: Array | None = None
        self.generator = None
        self.gmm_not_converged = 0
        self._owner_shift = 0.0
        self._public_shift = np.zeros(len(self.factions))
        self._previous: Array | None = None
        self._grid_distance = {"owner": self.owner_reward.distance(self.points)} | {
            f.name: f.reward.distance(self.points) for f in self.factions
        }
        if self.fidelity == "grid":
            self._owner_kernel = BTWeight(
                self.owner_reward(self.points), self.owner.temperature, self.owner.pool
            )
            self._faction_kernels = [
                BTWeight(f.reward(self.points), f.temperature, f.pool) for f in self.factions
            ]
            self.p = self.p0.copy()
        else:
            if p0 is not None:
                cells = self.rng.choice(n, size=self.initial_points, p=self.p0)
                jitter = self.rng.uniform(-0.5, 0.5, size=(self.initial_points, 2)) * self.spacing
                self.original = np.clip(self.points[cells] + jitter, self.low, self.high)
            elif initial == "uniform":
                self.original = uniform_points(self.initial_points, self.low, self.high, self.rng)
            else:
                self.original = gaussian_points(
                    self.initial_points,
                    initial_centre,
                    initial_scale,
                    self.low,
                    self.high,
                    self.rng,
                )
            self.data = self.original.copy()
            self.output = self.original
            self.p = histogram_on_grid(self.original, self.grid_size, self.low, self.high)

        self._metrics: dict[str, float] = {}
        self._update_metrics()
        self.datacollector = mesa.DataCollector(
            model_reporters={key: _reporter(key) for key in self._metrics}
        )
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_scenario(cls, scenario: CurationScenario, **overrides: Any) -> CurationModel:
        """Build the model of a validated scenario (seeded with the scenario's seed).

        Args:
            scenario: The scenario.
            **overrides: Keyword arguments replacing the scenario's values.

        Returns:
            The model.
        """
        kwargs = scenario.model_kwargs()
        kwargs["rng"] = scenario.seed
        kwargs.update(overrides)
        return cls(**kwargs)

    # ------------------------------------------------------------------ the round

    def step(self) -> None:
        """Play one round, record the metrics, stop at the round limit."""
        self._previous = self.p
        if self.fidelity == "grid":
            self._grid_round()
        else:
            self._sampled_round()
        self._update_metrics()
        self.datacollector.collect(self)
        if self.steps >= self.rounds:
            self.running = False

    @property
    def public(self) -> AbstractAgentSet[PublicUser]:
        """All public users."""
        return self.agents_by_type[PublicUser]

    def faction_weights(self) -> Array:
        """Each faction's weight in the public step, Σ_{users} share·activity.

        Returns:
            Array with one weight per faction.
        """
        weights = np.zeros(len(self.factions))
        for user in self.public:
            weights[user.faction] += user.weight
        return weights

    def _grid_round(self) -> None:
        result = curation_round(
            self.p,
            self._owner_kernel,
            self._faction_kernels,
            self.faction_weights(),
            self.order,
            self.mix,
            self.p0,
        )
        self.released = result.released
        self.p = result.p
        self._owner_shift += result.owner_shift
        self._public_shift += np.asarray(result.public_shift)

    def _public_stage(self, source: CandidateSource) -> tuple[Array, Array]:
        """Let the public users make this round's choices from ``source``."""
        users = list(self.public)
        weights = np.array([u.weight for u in users])
        counts = self.rng.multinomial(self.public_keep, weights / weights.sum())
        for user, count in zip(users, counts, strict=True):
            user.assigned = int(count)
        self.public.do("curate_assigned", source)
        kept = []
        shifts = np.zeros(len(self.factions))
        for user in users:
            if user.last_selection is not None:
                kept.append(user.last_selection.kept)
                shifts[user.faction] += user.assigned / self.public_keep * user.last_selection.shift
        return np.vstack(kept), shifts

    def _sampled_round(self) -> None:
        rng = self.rng
        owner = self.owner
        if self.order == "owner-first":
            candidates = draw_from_data(self.data, self.owner_keep, owner.pool, rng)
            selection = bt_select(candidates, self.owner_reward, owner.temperature, rng)
            self.released = selection.kept
            self.generator = fit_generator(
                selection.kept, self.gmm_components, rng, tol=self.gmm_tol
            )
            gen = self.generator
            output, shifts = self._public_stage(
                lambda groups, pool: gen.sample(groups * pool, rng).reshape(groups, pool, 2)
            )
        else:
            self.released, shifts = self._public_stage(
                lambda groups, pool: draw_from_data(self.data, groups, pool, rng)
            )
            self.generator = fit_generator(
                self.released, self.gmm_components, rng, tol=self.gmm_tol
            )
            candidates = self.generator.sample(self.owner_keep * owner.pool, rng)
            selection = bt_select(
                candidates.reshape(self.owner_keep, owner.pool, 2),
                self.owner_reward,
                owner.temperature,
                rng,
            )
            output = selection.kept
        self.gmm_not_converged += int(not self.generator.converged)
        if self.mix > 0:
            n_mix = round(self.mix * len(output))
            replace = rng.choice(len(output), size=n_mix, replace=False)
            output = output.copy()
            output[replace] = self.original[rng.integers(len(self.original), size=n_mix)]
        self.output = output
        self.data = np.vstack([self.data, output])
        self.p = histogram_on_grid(output, self.grid_size, self.low, self.high)
        self._owner_shift += selection.shift
        self._public_shift += shifts

    # ------------------------------------------------------------------ metrics

    def _update_metrics(self) -> None:
        p = self.p
        m: dict[str, float] = {"round": float(self.steps)}
        if self.fidelity == "grid":
            where, weights = self.points, p
            owner_in, faction_in, target_in = self.owner_mask, self.faction_masks, self.target_masks
        else:
            # Distances and set memberships of the round's output samples; the
            # edge targets of disjoint factions are grid cells (nearest-cell rule).
            where = self.output
            weights = np.full(len(where), 1.0 / len(where))
            cell = nearest_cell(where, self.grid_size, self.low, self.high)
            owner_in = self.owner_reward.inside(where)
            faction_in = [f.reward.inside(where) for f in self.factions]
            target_in = [
                owner_in & faction_in[i] if regime != "disjoint" else self.target_masks[i][cell]
                for i, regime in enumerate(self.regimes)
            ]
        curators = [("owner", self.owner_reward, owner_in)] + [
            (f.name, f.reward, faction_in[i]) for i, f in enumerate(self.factions)
        ]
        for name, reward, inside in curators:
            if self.fidelity == "grid":  # distances of the grid points are fixed
                m[f"{name}_distance"] = float(np.dot(weights, self._grid_distance[name]))
            else:
                m[f"{name}_distance"] = M.mean_distance(weights, where, reward.centre)
            m[f"{name}_satisfaction"] = M.mass_on(weights, inside)
        m["entropy"] = M.entropy(p)
        m["support_size"] = float(M.support_size(p))
        m["mass_outside_owner"] = M.mass_outside(weights, owner_in)
        for f, faction in enumerate(self.factions):
            m[f"mass_outside_{faction.name}"] = M.mass_outside(weights, faction_in[f])
            m[f"mass_outside_target_{faction.name}"] = M.mass_outside(weights, target_in[f])
        owner_share, public_shares = M.influence_shares(self._owner_shift, self._public_shift)
        m["influence_owner"] = owner_share
        for faction, share in zip(self.factions, public_shares, strict=True):
            m[f"influence_{faction.name}"] = float(share)
        m["change"] = math.nan if self._previous is None else M.total_variation(self._previous, p)
        self._metrics = m

    @property
    def metrics(self) -> dict[str, float]:
        """The metrics of the current round (the DataCollector's latest row)."""
        return dict(self._metrics)

    def faction_metric(self, faction: int, kind: str) -> float:
        """A faction's current ``"distance"`` or ``"satisfaction"``.

        Args:
            faction: Faction index.
            kind: ``"distance"`` or ``"satisfaction"``.

        Returns:
            The metric.
        """
        return self._metrics[f"{self.factions[faction].name}_{kind}"]

    @property
    def converged(self) -> bool:
        """Grid: the last round moved p by less than ``CONVERGENCE_TOLERANCE`` in TV."""
        change = self._metrics.get("change", math.nan)
        return self.fidelity == "grid" and bool(change < CONVERGENCE_TOLERANCE)

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable summary of the run so far.

        Returns:
            Final metrics (non-finite values as None), regime of each faction,
            the most probable cell and its mass, convergence and status.
        """
        final = {k: (float(v) if math.isfinite(v) else None) for k, v in self._metrics.items()}
        top = int(np.argmax(self.p))
        return {
            "family": "curation",
            "fidelity": self.fidelity,
            "order": self.order,
            "rounds": int(self.steps),
            "status": "completed" if not self.running else "running",
            "converged": self.converged,
            "regimes": {f.name: r for f, r in zip(self.factions, self.regimes, strict=True)},
            "mode": {"cell": [float(c) for c in self.points[top]], "mass": float(self.p[top])},
            "gmm_not_converged": int(self.gmm_not_converged),
            "final": final,
        }


def _reporter(key: str) -> Any:
    """A DataCollector model reporter reading one entry of the model's metrics."""
    return lambda model: model._metrics[key]
