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

A ``mesa.DataCollector`` records the metrics of ``docs/curation.md`` after every
round: :meth:`CurationModel.results` has one row per round run (row 0 is round
1); the initial state's metrics are :attr:`CurationModel.initial_record`, and
:meth:`CurationModel.history` puts them in front of the rounds for curves that
start at t = 0. A grid run stops when it has converged (status ``converged``),
any run at its round limit (status ``round-limit``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any, Self

import mesa
import numpy as np
import pandas as pd
from mesa.agentset import AbstractAgentSet

from platform_abm.common.apportion import largest_remainder_counts
from platform_abm.common.errors import InputError
from platform_abm.common.validation import validate
from platform_abm.curation import metrics as M
from platform_abm.curation.agents import CandidateSource, PublicUser
from platform_abm.curation.dynamics import BTWeight, curation_round
from platform_abm.curation.rewards import grid_points, grid_spacing
from platform_abm.curation.sampled import (
    bt_select,
    cell_points,
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

#: Default change (total variation between consecutive rounds) below which a grid run has
#: converged (the model's ``tolerance``).
CONVERGENCE_TOLERANCE = 1e-10

STATUS_RUNNING = "running"
STATUS_CONVERGED = "converged"
"""A grid run whose last round moved p by less than :data:`CONVERGENCE_TOLERANCE`."""
STATUS_ROUND_LIMIT = "round-limit"
"""The run played ``max_rounds`` rounds without converging (always so for the sampled loop)."""

KEPT_KEYWORDS = (
    "fidelity",
    "order",
    "max_rounds",
    "tolerance",
    "mix",
    "grid_size",
    "low",
    "high",
    "public_users",
    "initial_points",
    "owner_keep",
    "public_keep",
    "gmm_components",
    "gmm_tol",
)
"""Keywords of :class:`CurationModel` it keeps as attributes of the same name."""

#: Columns of the round table that hold whole numbers.
INTEGER_COLUMNS = ("round", "support_size")


def apportion(total: int, shares: Sequence[float]) -> list[int]:
    """Split ``total`` users over factions: one each, the rest by largest remainder of share.

    Args:
        total: Number of users (≥ number of factions).
        shares: Positive faction shares.

    Returns:
        Users per faction, summing to ``total``.
    """
    s = np.asarray(shares, dtype=float)
    counts = largest_remainder_counts((total - s.size) * s / s.sum(), total - s.size)
    return [int(c) + 1 for c in counts]


def initial_distribution(
    points: Array, p0: Any, kind: str, centre: tuple[float, float], scale: float
) -> Array:
    """The initial distribution over the grid: an explicit ``p0``, uniform or Gaussian.

    Args:
        points: The grid points, shape ``(n, 2)``.
        p0: Explicit non-negative weights of the ``n`` cells (normalised), or None.
        kind: ``"uniform"`` or ``"gaussian"`` (when ``p0`` is None).
        centre: Mean of the Gaussian.
        scale: Standard deviation of the Gaussian.

    Returns:
        Probability vector over the cells.

    Raises:
        InputError: For a ``p0`` that is not ``n`` non-negative weights, or a
            Gaussian that underflows on every grid point.
    """
    n = points.shape[0]
    if p0 is not None:
        q = np.asarray(p0, dtype=float).ravel()
        if q.size != n or not np.all(np.isfinite(q)) or (q < 0).any() or q.sum() <= 0:
            raise InputError("p0", f"array of shape {np.shape(p0)}", f"{n} non-negative values")
        return q / q.sum()
    if kind == "uniform":
        return np.full(n, 1.0 / n)
    d2 = np.sum((points - np.asarray(centre)) ** 2, axis=1)
    g = np.exp(-0.5 * d2 / scale**2)
    if not g.sum() > 0:
        raise InputError(
            "initial_scale",
            scale,
            "a scale whose Gaussian puts mass on some grid point (it underflows "
            f"everywhere: the nearest point is {np.sqrt(d2.min()):.3g} from the centre)",
        )
    return g / g.sum()


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
        max_rounds: Round limit; ``running`` becomes False after the last round
            (or, on the grid, once the run has converged).
        tolerance: A grid run has converged, and stops, after a round that
            moved p by less than this in total variation (0: never; the sampled
            loop never converges).
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

    Attributes:
        max_rounds: The round limit; every keyword of :data:`KEPT_KEYWORDS`
            (``fidelity``, ``grid_size``, ``public_keep`` ...) is kept as an
            attribute of the same name.
        owner: The owner's :class:`~platform_abm.curation.scenario.CuratorSpec`.
        factions: The factions' :class:`~platform_abm.curation.scenario.FactionSpec`.
        status: ``running``, then ``converged`` (grid: the last round moved p by
            less than ``tolerance`` in total variation) or ``round-limit``.
        initial_record: The metrics of the initial state (round 0).

    Raises:
        InputError: If a parameter is not allowed (the message names it).
    """

    def __init__(
        self,
        *,
        fidelity: str = "grid",
        order: str = "owner-first",
        max_rounds: int = 100,
        tolerance: float = CONVERGENCE_TOLERANCE,
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
        # Every keyword above is a field of CurationParams, which checks them all at once.
        keywords = {
            key: value for key, value in locals().items() if key in CurationParams.model_fields
        }
        params = validate(CurationParams, keywords)
        super().__init__(rng=rng)
        self._set_parameters(params)
        self._build_grid()
        self.p0 = initial_distribution(
            self.points,
            params.p0,
            params.initial,
            (params.initial_centre_x, params.initial_centre_y),
            params.initial_scale,
        )
        self._add_public_users()
        self._start(params)
        self.status = STATUS_RUNNING
        self._metrics = self._measure()
        self.initial_record: dict[str, float] = dict(self._metrics)
        self.datacollector = mesa.DataCollector(
            model_reporters={key: _reporter(key) for key in self._metrics}
        )

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_scenario(
        cls, scenario: CurationScenario | str | os.PathLike[str], **overrides: Any
    ) -> Self:
        """Build the model of a curation scenario (seeded with the scenario's seed).

        Args:
            scenario: A :class:`~platform_abm.curation.scenario.CurationScenario`,
                or the path of a curation scenario file (a file of another family
                is refused: ``scenario.family``).
            **overrides: Keywords replacing the scenario's (e.g. ``max_rounds=5``).

        Returns:
            The model.

        Raises:
            InputError: For a file that is not a valid curation scenario, an
                object that is neither a scenario nor a path, or a bad override.
        """
        if isinstance(scenario, str | os.PathLike):
            scenario = CurationScenario.from_toml(scenario)
        elif not isinstance(scenario, CurationScenario):
            raise InputError(
                "scenario",
                type(scenario).__name__,
                "a CurationScenario or the path of a curation scenario file",
            )
        return cls(**{**scenario.model_kwargs(), **overrides})

    def _set_parameters(self, params: CurationParams) -> None:
        """Keep the validated keywords, the owner's and the factions' specs as attributes."""
        for keyword in KEPT_KEYWORDS:
            setattr(self, keyword, getattr(params, keyword))
        self.owner = CuratorSpec.from_keywords(params, "owner")
        if params.factions is None:
            self.factions = (FactionSpec.from_keywords(params, "public"),)
        else:
            self.factions = tuple(FactionSpec.from_table(f) for f in params.factions)

    def _build_grid(self) -> None:
        """The output grid and, on it, each curator's disc, target set and distance."""
        self.points = grid_points(self.grid_size, self.low, self.high)
        self.spacing = grid_spacing(self.grid_size, self.low, self.high)
        self.owner_reward = self.owner.reward
        self.owner_mask = self.owner_reward.inside(self.points)
        self.faction_masks = [f.reward.inside(self.points) for f in self.factions]
        targets = [M.target_mask(self.points, self.owner_reward, f.reward) for f in self.factions]
        self.regimes = [regime for regime, _ in targets]
        self.target_masks = [mask for _, mask in targets]
        self._grid_distance = {"owner": self.owner_reward.distance(self.points)} | {
            f.name: f.reward.distance(self.points) for f in self.factions
        }

    def _add_public_users(self) -> None:
        """Create the public users, apportioned to the factions by share."""
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

    def _start(self, params: CurationParams) -> None:
        """The state before the first round: the curation operators or the initial dataset."""
        self.released: Array | None = None
        self.output: Array | None = None
        self.generator = None
        self.gmm_not_converged = 0
        self._owner_shift = 0.0
        self._public_shift = np.zeros(len(self.factions))
        self._previous: Array | None = None
        if self.fidelity == "grid":
            self._owner_kernel = BTWeight(
                self.owner_reward(self.points), self.owner.temperature, self.owner.pool
            )
            self._faction_kernels = [
                BTWeight(f.reward(self.points), f.temperature, f.pool) for f in self.factions
            ]
            self.p = self.p0.copy()
            return
        self.original = self._initial_dataset(params)
        self.data = self.original.copy()
        self.output = self.original
        self.p = histogram_on_grid(self.original, self.grid_size, self.low, self.high)

    def _initial_dataset(self, params: CurationParams) -> Array:
        """The sampled loop's initial points: from ``p0`` when given, else uniform or Gaussian."""
        n, low, high = self.initial_points, self.low, self.high
        if params.p0 is not None:
            return cell_points(n, self.p0, self.grid_size, low, high, self.rng)
        if params.initial == "uniform":
            return uniform_points(n, low, high, self.rng)
        centre = (params.initial_centre_x, params.initial_centre_y)
        return gaussian_points(n, centre, params.initial_scale, low, high, self.rng)

    # ------------------------------------------------------------------ the round

    def step(self) -> None:
        """Play one round, record its metrics; stop once converged (grid) or at the round limit."""
        self._previous = self.p
        if self.fidelity == "grid":
            self._grid_round()
        else:
            self._sampled_round()
        self._metrics = self._measure()
        self.datacollector.collect(self)
        if self.converged:
            self.status = STATUS_CONVERGED
        elif self.steps >= self.max_rounds:
            self.status = STATUS_ROUND_LIMIT
        self.running = self.status == STATUS_RUNNING

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

    def _measured_sets(self) -> tuple[Array, Array, Array, list[Array], list[Array]]:
        """Where the current output lies, its weights and its memberships of each curator's sets.

        Returns:
            The points (the grid, or the sampled round's outputs), their weights,
            membership of the owner's disc, of each faction's disc and of each
            faction's target set.
        """
        if self.fidelity == "grid":
            return self.points, self.p, self.owner_mask, self.faction_masks, self.target_masks
        # The round's output samples; the edge targets of disjoint factions are
        # grid cells (nearest-cell rule).
        where = self.output
        weights = np.full(len(where), 1.0 / len(where))
        cell = nearest_cell(where, self.grid_size, self.low, self.high)
        owner_in = self.owner_reward.inside(where)
        faction_in = [f.reward.inside(where) for f in self.factions]
        target_in = [
            owner_in & faction_in[i] if regime != "disjoint" else self.target_masks[i][cell]
            for i, regime in enumerate(self.regimes)
        ]
        return where, weights, owner_in, faction_in, target_in

    def _measure(self) -> dict[str, float]:
        """The metrics of the current state (one row of the round table)."""
        where, weights, owner_in, faction_in, target_in = self._measured_sets()
        m: dict[str, float] = {"round": float(self.steps)}
        curators = [("owner", self.owner_reward, owner_in)] + [
            (f.name, f.reward, faction_in[i]) for i, f in enumerate(self.factions)
        ]
        for name, reward, inside in curators:
            if self.fidelity == "grid":  # distances of the grid points are fixed
                m[f"{name}_distance"] = float(np.dot(weights, self._grid_distance[name]))
            else:
                m[f"{name}_distance"] = M.mean_distance(weights, where, reward.centre)
            m[f"{name}_satisfaction"] = M.mass_on(weights, inside)
        m["entropy"] = M.entropy(self.p)
        m["support_size"] = float(M.support_size(self.p))
        m["mass_outside_owner"] = M.mass_outside(weights, owner_in)
        for f, faction in enumerate(self.factions):
            m[f"mass_outside_{faction.name}"] = M.mass_outside(weights, faction_in[f])
            m[f"mass_outside_target_{faction.name}"] = M.mass_outside(weights, target_in[f])
        owner_share, public_shares = M.influence_shares(self._owner_shift, self._public_shift)
        m["influence_owner"] = owner_share
        for faction, share in zip(self.factions, public_shares, strict=True):
            m[f"influence_{faction.name}"] = float(share)
        previous = self._previous
        m["change"] = math.nan if previous is None else M.total_variation(previous, self.p)
        return m

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
        """Grid: the last round moved p by less than ``tolerance`` in total variation."""
        change = self._metrics.get("change", math.nan)
        return self.fidelity == "grid" and bool(change < self.tolerance)

    # ------------------------------------------------------------------ results

    def results(self) -> pd.DataFrame:
        """The round-by-round table: one row per round run (row 0 is round 1).

        Returns:
            The DataCollector's table, ``round`` and ``support_size`` as integers.
        """
        return _whole_numbers(self.datacollector.get_model_vars_dataframe())

    def history(self) -> pd.DataFrame:
        """The initial state (round 0) followed by every round run: the curves from t = 0.

        Returns:
            :attr:`initial_record` as row 0, then the rows of :meth:`results`.
        """
        rounds = self.datacollector.get_model_vars_dataframe()
        return _whole_numbers(pd.concat([pd.DataFrame([self.initial_record]), rounds]))

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable summary of the run so far.

        Returns:
            The status and the number of rounds run, final metrics (non-finite
            values as None), regime of each faction, the most probable cell and
            its mass, and how many mixture fits did not converge.
        """
        final = {k: (float(v) if math.isfinite(v) else None) for k, v in self._metrics.items()}
        top = int(np.argmax(self.p))
        return {
            "family": "curation",
            "fidelity": self.fidelity,
            "order": self.order,
            "rounds": int(self.steps),
            "status": self.status,
            "regimes": {f.name: r for f, r in zip(self.factions, self.regimes, strict=True)},
            "mode": {"cell": [float(c) for c in self.points[top]], "mass": float(self.p[top])},
            "gmm_not_converged": int(self.gmm_not_converged),
            "final": final,
        }


def _reporter(key: str) -> Any:
    """A DataCollector model reporter reading one entry of the model's metrics."""
    return lambda model: model._metrics[key]


def _whole_numbers(table: pd.DataFrame) -> pd.DataFrame:
    """A round table with a fresh index and its :data:`INTEGER_COLUMNS` as integers."""
    return table.astype({column: int for column in INTEGER_COLUMNS}).reset_index(drop=True)
