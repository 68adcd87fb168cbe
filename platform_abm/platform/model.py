"""PlatformModel: strategic users and a platform that retrains every round (Mesa model).

One ``step()`` is one round of repeated risk minimisation (``docs/model.md`` §1, §3):
the platform has θ_t deployed; every group of users responds (level-k users
share the anticipated models G1^{k−1}(θ_t), collectives play their committed
strategy, custom agents run their own ``step``); the learner retrains on the
reported features, warm-started from θ_t; the DataCollector records the round.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Self

import mesa
import numpy as np

from platform_abm.common import data
from platform_abm.common.apportion import largest_remainder_counts
from platform_abm.common.errors import InputError, SimulationError
from platform_abm.common.learners import ExactLogistic, Learner, make_learner, single_threaded_blas
from platform_abm.common.recording import AgentReporter, SampledDataCollector
from platform_abm.common.validation import validate
from platform_abm.platform.agents import AGENT_REPORTERS, UserAgent, add_users
from platform_abm.platform.population import load_population, sample_epsilons
from platform_abm.platform.regimes import (
    MAX_CYCLE_PERIOD,
    Regime,
    classify_regime,
    cycle_period,
    drift,
)
from platform_abm.platform.responses import anticipated_models, level_k_response
from platform_abm.platform.scenario import Scenario, load_scenario
from platform_abm.platform.schema import PlatformParams
from platform_abm.platform.user_utility import LinearQuadratic

Array = np.ndarray

STATUS_RUNNING = "running"
STATUS_CONVERGED = "converged"
STATUS_ROUND_LIMIT = "round-limit"
STATUS_DIVERGED = "diverged"
STATUS_CYCLING = "cycling"
"""The round limit was reached with θ repeating a cycle (:func:`~.regimes.cycle_period`)."""


class PlatformModel(mesa.Model):
    """A learning platform retrained every round on the reports of strategic users.

    Every keyword is keyword-only, and the defaults are those of the default
    scenario (``Scenario()``, ``scenarios/default.toml``): 18,357 synthetic-credit
    users, half level 1 and half level 2, lognormal ε around 0.5, the exact
    logistic learner. :meth:`from_scenario` builds the model of a scenario.

    Args:
        population: Population source name or a ready Population.
        n_users: Size of a synthetic population.
        n_features: Features (without bias) of the Gaussian population.
        data_path: Data file (``csv``; an explicit copy for ``credit``).
        label: Label column of a CSV population.
        features: Feature columns of a CSV population.
        strategic_features: Features users may change, by name or index.
        epsilon: Common ε, or the median of a lognormal ε.
        epsilon_distribution: ``constant``, ``lognormal`` or ``uniform``.
        epsilon_sigma: Log-scale spread of a lognormal ε.
        epsilon_low: Lower bound of a uniform ε.
        epsilon_high: Upper bound of a uniform ε.
        levels: Fraction of users per reasoning level (index = level), summing to 1.
        learner: Learner name (``exact``, ``sklearn-lbfgs``, ``gd``) or instance.
        learner_params: Constructor parameters of a named learner.
        max_rounds: Round limit after which ``running`` turns False.
        tolerance: Drift below which the run has converged.
        divergence_bound: Drift or parameter norm beyond which the run diverged.
        collectives: Collective tables (see :mod:`platform_abm.platform.collective`).
        theta0: Initially deployed parameters (default: the fit on the base data).
        mixture: ``agents`` (default): the platform trains on every agent's own
            report, each agent having one level. ``expected``: it trains on the
            population-level mixture Σ_k α_k D_k(θ) of the theory, every user's
            level-k response weighted by α_k (no sampling of who is which level;
            not combinable with collectives).
        vectorised: Update every group in one call (True) or step each agent.
        agent_sample: Number of users whose per-agent values are recorded every
            round (drawn once with the model's generator; 0, the default:
            model-level aggregates only).
        agent_reporters: Per-agent reporters for the sampled users, as for
            ``mesa.DataCollector`` (attribute names or callables of the agent);
            default :data:`AGENT_REPORTERS`.
        rng: Seed or generator of the model (Mesa's ``rng``).
        field_names: How error messages call each keyword (default: by its
            name); :meth:`Scenario.model_kwargs
            <platform_abm.platform.scenario.Scenario.model_kwargs>` passes the scenario
            file's fields (``max_rounds`` → ``scenario.rounds``).

    Every keyword is validated before anything is built, by the declarations
    of :class:`~platform_abm.platform.schema.PlatformParams` (the same types and ranges
    as the scenario file's). An invalid value raises
    :class:`~platform_abm.common.errors.InputError` naming the keyword; so does a
    population the platform cannot learn from (fewer than 2 users of a label)
    (for a classifying learner) and the bias column as a strategic feature.

    Attributes:
        status: ``running``, then ``converged`` (the drift fell below
            ``tolerance``), ``diverged``, ``cycling`` (the round limit was
            reached with θ repeating a cycle, see
            :func:`~platform_abm.platform.regimes.cycle_period`) or ``round-limit``.
        cycle_period: The period of that cycle (None unless cycling).
    """

    def __init__(
        self,
        *,
        population: str | data.Population = "synthetic-credit",
        n_users: int | None = None,
        n_features: int = 5,
        data_path: str | None = None,
        label: str | None = None,
        features: Sequence[str] | None = None,
        strategic_features: Sequence[str | int] = (
            "RevolvingUtilizationOfUnsecuredLines",
            "NumberOfOpenCreditLinesAndLoans",
            "NumberRealEstateLoansOrLines",
        ),
        epsilon: float = 0.5,
        epsilon_distribution: str = "lognormal",
        epsilon_sigma: float = 0.5,
        epsilon_low: float = 0.0,
        epsilon_high: float = 0.0,
        levels: Sequence[float] = (0.0, 0.5, 0.5),
        learner: str | Learner = "exact",
        learner_params: dict[str, Any] | None = None,
        max_rounds: int = 25,
        tolerance: float = 1e-12,
        divergence_bound: float = 1e6,
        collectives: Sequence[dict[str, Any]] = (),
        theta0: Array | None = None,
        mixture: str = "agents",
        vectorised: bool = True,
        agent_sample: int = 0,
        agent_reporters: Mapping[str, AgentReporter] | None = None,
        rng: Any = None,
        field_names: Mapping[str, str] | None = None,
    ) -> None:
        keywords = {k: v for k, v in locals().items() if k in PlatformParams.model_fields}
        self._field_names = dict(field_names or {})
        p = validate(PlatformParams, keywords, names=self._field_names)
        if isinstance(p.learner, Learner):
            p.learner._check_params(where=self._field("learner"))
        super().__init__(rng=p.rng)
        self.max_rounds = p.max_rounds
        self.tolerance = p.tolerance
        self.divergence_bound = p.divergence_bound
        self.vectorised = p.vectorised
        self.mixture = p.mixture
        self.fractions = np.asarray(p.levels, dtype=float)
        # Every random draw happens in this order (population seed, ε, collectives,
        # levels, then the agent sample), so a seed gives the same model.
        self._load_population(p)
        self._make_learner(p)
        epsilons = sample_epsilons(
            self.rng,
            self.population.n,
            value=p.epsilon,
            distribution=p.epsilon_distribution,
            sigma=p.epsilon_sigma,
            low=p.epsilon_low,
            high=p.epsilon_high,
        )
        groups, level_groups = self._assign_groups(p.collectives, p.strategic_features)
        self._lay_out(groups, level_groups, epsilons)
        self.regime: Regime = self._classify_regime()
        add_users(self, self.population.n)
        self._deploy(p.theta0)
        self.datacollector = self._data_collector(p.agent_sample, p.agent_reporters)

    @classmethod
    def from_scenario(cls, scenario: Scenario | str | os.PathLike[str], **overrides: Any) -> Self:
        """Build the model of a platform scenario (seeded with the scenario's seed).

        Args:
            scenario: A :class:`~platform_abm.platform.scenario.Scenario`, or the
                path of a platform scenario file (a file of another family is
                refused: ``scenario.family``).
            **overrides: Keywords replacing the scenario's (e.g. ``agent_sample=0``).

        Returns:
            The model.

        Raises:
            InputError: For a file that is not a valid platform scenario, an
                object that is neither a scenario nor a path, or a bad override.
        """
        if isinstance(scenario, str | os.PathLike):
            scenario = load_scenario(scenario)
        elif not isinstance(scenario, Scenario):
            raise InputError(
                "scenario",
                type(scenario).__name__,
                "a platform Scenario or the path of a platform scenario file",
            )
        return cls(**{**scenario.model_kwargs(), **overrides})

    # ----------------------------------------------------------------- set-up
    def _field(self, keyword: str) -> str:
        """How error messages call a keyword (see ``field_names``)."""
        return self._field_names.get(keyword, keyword)

    def _load_population(self, p: PlatformParams) -> None:
        """Load the population (from a seed drawn first) and resolve the strategic features."""
        pop_seed = int(self.rng.integers(2**63 - 1))
        pop = load_population(
            p.population,
            n=p.n_users,
            d=p.n_features,
            path=p.data_path,
            label=p.label,
            features=p.features,
            seed=pop_seed,
        )
        self.population = pop
        self.feature_names = pop.feature_names
        field = self._field("strategic_features")
        self.strategic = np.array(
            sorted(
                {pop.feature_index(f, f"{field}[{i}]") for i, f in enumerate(p.strategic_features)}
            ),
            dtype=int,
        )
        if pop.feature_names[-1] == "bias" and pop.d - 1 in self.strategic:
            raise InputError(
                field,
                "bias",
                "features other than the constant bias column (moving it changes nothing "
                "a user can report)",
            )

    def _make_learner(self, p: PlatformParams) -> None:
        """The platform's learner; a classifier needs both labels in the population."""
        self.learner = (
            p.learner
            if isinstance(p.learner, Learner)
            else make_learner(p.learner, **(p.learner_params or {}))
        )
        if self.learner.requires_both_labels:
            data.check_labels(self.population.y, "population")

    def _assign_groups(
        self, collectives: Sequence[Any], strategic_features: Sequence[str | int]
    ) -> tuple[list[Array], list[Array]]:
        """Who is in which group: each collective's members, then the users of each level.

        Returns:
            The members of each collective and the users of each level (index =
            level), as row indices of the population (level rows drawn at random
            among the users in no collective, by largest remainder of the fractions).
        """
        pop = self.population
        self.collective_names: list[str] = []
        self._collective_plans: list[Any] = []
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite plan is refused below
            groups = self._setup_collectives(collectives, pop, strategic_features)
        taken = np.zeros(pop.n, dtype=bool)
        for members in groups:
            taken[members] = True
        free_rows = self.rng.permutation(np.flatnonzero(~taken))
        counts = largest_remainder_counts(self.fractions * len(free_rows), len(free_rows))
        return groups, np.split(free_rows, np.cumsum(counts)[:-1])

    def _lay_out(self, groups: list[Array], level_groups: list[Array], epsilons: Array) -> None:
        """Fill the model's arrays: every group in one contiguous block of rows.

        Collectives come first, then levels 0..K, so a group's update is a slice;
        collective members report their committed plan from the start.
        """
        pop = self.population
        order = np.concatenate([*groups, *(np.sort(rows) for rows in level_groups)])
        self.population_index = order
        self.X_base = np.asfortranarray(pop.X[order])  # column-major, as pop.X
        self.X = self.X_base.copy(order="F")
        self.y = np.ascontiguousarray(pop.y[order])
        self.y_reported = self.y.copy()  # collectives may edit labels
        self.epsilon = epsilons[order]
        self.levels = np.full(pop.n, -1, dtype=np.int8)
        self.collective_ids = np.full(pop.n, -1, dtype=np.int16)
        blocks = np.cumsum([0, *map(len, groups), *map(len, level_groups)])
        self.collective_slices: list[slice] = []
        for index, plan in enumerate(self._collective_plans):
            block = slice(int(blocks[index]), int(blocks[index + 1]))
            self.collective_ids[block] = index
            self.collective_slices.append(block)
            self.X[block] = plan.X_report
            self.y_reported[block] = plan.y_report
        self.level_slices: dict[int, slice] = {}
        for level, rows in enumerate(level_groups):
            if len(rows):
                start = int(blocks[len(groups) + level])
                block = slice(start, start + len(rows))
                self.levels[block] = level
                self.level_slices[level] = block
        self.depth = max((k for k in self.level_slices if k > 0), default=0)
        self._population_utility = LinearQuadratic(self.epsilon)
        self._level_utility = {
            k: LinearQuadratic(self.epsilon[rows]) for k, rows in self.level_slices.items()
        }

    def _classify_regime(self) -> Regime:
        """Which regime of ``docs/model.md`` the set-up is in (before any round)."""
        return classify_regime(
            self.fractions,
            homogeneous_epsilon=bool(np.all(self.epsilon == self.epsilon[0])),
            has_collectives=bool(self._collective_plans),
            exact_learner=isinstance(self.learner, ExactLogistic),
            penalize_bias=bool(getattr(self.learner, "penalize_bias", True)),
        )

    def _deploy(self, theta0: Any) -> None:
        """Deploy θ_0 (given, or the fit on the true features) and reset the run's state."""
        if theta0 is None:
            with np.errstate(over="ignore", invalid="ignore"):
                theta0 = self.learner.fit(self.X_base, self.y).coef_
            if not np.all(np.isfinite(theta0)):
                raise SimulationError(
                    "the learner's fit on the users' true features is not finite "
                    "(a step size too large for the data?)"
                )
        else:
            theta0 = self._check_theta0(theta0, self.population.d)
        self.theta0 = np.array(theta0, dtype=float)
        self.theta = self.theta0.copy()
        self._history: deque[Array] = deque([self.theta], maxlen=2 * MAX_CYCLE_PERIOD + 1)
        self.anticipated: list[Array] = [self.theta]
        self._scratch: Array | None = None  # all-level-1 population, reused every round
        self.status = STATUS_RUNNING
        self.message = ""
        self.cycle_period: int | None = None
        self.last_drift = float("nan")
        with np.errstate(over="ignore", invalid="ignore"):
            self.stable_point = self._stable_point()
        self.round_record: dict[str, float] = {}

    def _data_collector(
        self, sample_size: int, agent_reporters: Mapping[str, AgentReporter] | None
    ) -> SampledDataCollector:
        """Model-level reporters, and per-agent ones for a sample of users (if any)."""
        sample = self._agent_sample(sample_size)
        if agent_reporters is None:
            agent_reporters = AGENT_REPORTERS if sample else {}
        return SampledDataCollector(
            self._reporters(), agent_reporters, sample, [user.row for user in sample]
        )

    def _check_theta0(self, theta0: Any, d: int) -> Array:
        """The initially deployed parameters as d finite numbers, or InputError."""
        try:
            theta = np.asarray(theta0, dtype=float)
        except (TypeError, ValueError):
            theta = None
        if theta is None or theta.shape != (d,) or not np.all(np.isfinite(theta)):
            shown = theta0 if theta is None else f"an array of shape {theta.shape}"
            raise InputError(self._field("theta0"), shown, f"{d} finite numbers (bias last)")
        return theta

    def _agent_sample(self, size: int) -> list[UserAgent]:
        """The users whose per-agent values are recorded, in row order."""
        n = len(self.y)
        if not 0 <= size <= n:
            raise InputError(
                self._field("agent_sample"), size, f"an integer from 0 to {n} (the number of users)"
            )
        if not size:
            return []
        # A child stream: drawing the sample leaves the model's own draws unchanged.
        rows = np.sort(self.rng.spawn(1)[0].choice(n, size=int(size), replace=False))
        users = self.agents_by_type[UserAgent].to_list()
        return [users[row] for row in rows]

    def _setup_collectives(
        self,
        collectives: Sequence[Any],
        pop: data.Population,
        strategic_features: Sequence[str | int],
    ) -> list[Array]:
        """Select each collective's members and plan its committed strategy.

        Each plan is solved on the base population with the other users
        non-strategic (model 3 of ``docs/model.md`` §4); the members then report it every
        round beside the level-k users (model 4).

        Returns:
            The members of each collective, as row indices of the population.
        """
        if not collectives:
            return []
        from platform_abm.platform.collective import CollectiveSpec, plan_collective

        groups: list[Array] = []
        taken = np.zeros(pop.n, dtype=bool)
        for index, table in enumerate(collectives):
            field = f"{self._field('collectives')}[{index}]"
            spec = CollectiveSpec.from_table(table, field)  # validated with the keywords
            spec.check_strategic(list(strategic_features), pop.feature_names)
            members = spec.members.select(
                pop.X, pop.y, self.rng, pop.feature_names, field=f"{field}.members"
            )
            if taken[members].any():
                raise InputError(
                    f"{field}.members",
                    f"{int(taken[members].sum())} users already in another collective",
                    "collectives with no member in common",
                )
            taken[members] = True
            plan = plan_collective(
                spec,
                self.learner,
                pop.X,
                pop.y,
                members,
                self.strategic,
                self.rng,
                feature_names=pop.feature_names,
            )
            groups.append(plan.members)
            self.collective_names.append(spec.name)
            self._collective_plans.append(plan)
        return groups

    def _stable_point(self) -> Array | None:
        """θ* when it is known in advance: the fixed point of G1 (Corollary 1).

        For a population of levels ≥ 1 only, every mixture shares the stable
        point of the all-level-1 population, which the exact learner finds by
        iterating G1. Returns None in every other case.
        """
        if (
            0 in self.level_slices
            or self._collective_plans
            or not self.level_slices
            or not isinstance(self.learner, ExactLogistic)
        ):
            return None
        theta = self.theta.copy()
        for _ in range(200):
            models = anticipated_models(
                theta,
                2,
                self.learner,
                self._population_utility,
                self.X_base,
                self.y,
                self.strategic,
            )
            if not np.all(np.isfinite(models[1])):
                return None
            step = drift(models[1], theta)
            theta = models[1]
            if step < 1e-14 * max(1.0, float(np.linalg.norm(theta))):
                return theta
        return None

    def _reporters(self) -> dict[str, Any]:
        """Model-level reporters: every value is read from this round's record."""
        names = ["round", "drift"]
        if self.stable_point is not None:
            names.append("distance_to_stable")
        names += ["loss", "accuracy", "utility"]
        for level in sorted(self.level_slices):
            names += [f"utility_level_{level}", f"count_level_{level}"]
        for name, plan in zip(self.collective_names, self._collective_plans, strict=True):
            names += [f"utility_{name}", f"count_{name}"]
            names += [f"{metric}_{name}" for metric in self._defined_metrics(plan)]
        names += [f"theta[{feature}]" for feature in self.feature_names]
        return {name: (lambda m, key=name: m.round_record[key]) for name in names}

    @staticmethod
    def _defined_metrics(plan: Any) -> dict[str, float]:
        """A plan's metrics that are defined for its set-up.

        B needs a selfish equilibrium, Ψ a collective smaller than the population:
        undefined metrics are left out of the table rather than written as NaN.
        """
        return {k: float(v) for k, v in plan.metrics.items() if np.isfinite(v)}

    # ------------------------------------------------------------------ round
    def collective_report(self, row: int) -> Array:
        """The committed report of collective member ``row``."""
        index = int(self.collective_ids[row])
        return self._collective_plans[index].X_report[row - self.collective_slices[index].start]

    def _respond(self) -> None:
        """Every group reports its response to the deployed and anticipated models.

        Users respond group by group in vectorised calls; agents of any other
        type added to the model are stepped individually afterwards.
        """
        if self.depth >= 1:
            if self.depth >= 2 and self._scratch is None:
                self._scratch = self.X_base.copy(order="F")
            self.anticipated = anticipated_models(
                self.theta,
                self.depth,
                self.learner,
                self._population_utility,
                self.X_base,
                self.y,
                self.strategic,
                warm_starts=self.anticipated,
                scratch=self._scratch,
            )
        if not self.vectorised:
            self.agents.do("step")
            return
        for level, block in self.level_slices.items():
            if level > 0:
                level_k_response(
                    level,
                    self.anticipated,
                    self._level_utility[level],
                    self.X_base[block],
                    self.y[block],
                    self.strategic,
                    out=self.X[block],
                )
        for agent_type, agents in self.agents_by_type.items():
            if agent_type is not UserAgent:
                agents.do("step")

    def _training_set(self) -> tuple[Array, Array, Array | None]:
        """The data the platform retrains on: the agents' reports, or the expected mixture."""
        if self.mixture == "agents":
            return self.X, self.y_reported, None
        blocks, weights = [], []
        for level, alpha in enumerate(self.fractions):
            if alpha > 0:
                blocks.append(
                    level_k_response(
                        level,
                        self.anticipated,
                        self._population_utility,
                        self.X_base,
                        self.y,
                        self.strategic,
                    )
                )
                weights.append(np.full(len(self.y), alpha))
        return np.vstack(blocks), np.tile(self.y, len(blocks)), np.concatenate(weights)

    def step(self) -> None:
        """One round: responses, retraining warm-started from θ_t, data collection.

        BLAS runs single-threaded during the round: its passes over the data are
        bound by memory bandwidth (see :func:`~platform_abm.common.learners.single_threaded_blas`).
        """
        # A diverging learner may overflow on its way to non-finite parameters; the round
        # reports that as divergence (status "diverged") instead of warning on the way.
        with single_threaded_blas(), np.errstate(over="ignore", invalid="ignore"):
            self._round()

    def _round(self) -> None:
        if self.status != STATUS_RUNNING:
            return
        try:
            self._respond()
            X, y, weights = self._training_set()
            theta_new = self.learner.fit(X, y, weights, warm_start=self.theta).coef_.copy()
        except SimulationError as exc:
            self._diverge(str(exc))
            return
        step_drift = drift(theta_new, self.theta)
        if not np.all(np.isfinite(theta_new)) or not np.isfinite(step_drift):
            self._diverge("the retrained parameters are not finite")
            return
        if max(step_drift, float(np.linalg.norm(theta_new))) > self.divergence_bound:
            self._diverge(
                f"drift {step_drift:.3g} or ||θ|| {np.linalg.norm(theta_new):.3g} exceeded "
                f"run.divergence_bound = {self.divergence_bound:g}"
            )
            return
        self.theta = theta_new
        self._history.append(theta_new)
        self.last_drift = step_drift
        self._record(step_drift, X, y, weights)
        self.datacollector.collect(self)
        if step_drift < self.tolerance:
            self.status = STATUS_CONVERGED
        elif self.steps >= self.max_rounds:
            self.cycle_period = cycle_period(np.array(self._history), self.tolerance)
            if self.cycle_period is None:
                self.status = STATUS_ROUND_LIMIT
            else:
                self.status = STATUS_CYCLING
                self.message = (
                    f"θ repeats with period {self.cycle_period} at the round limit: the "
                    "retraining cycles instead of converging"
                )
        self.running = self.status == STATUS_RUNNING

    def _diverge(self, message: str) -> None:
        self.status = STATUS_DIVERGED
        self.message = f"run diverged at round {self.steps}: {message}"
        self.running = False

    def _record(self, step_drift: float, X: Array, y: Array, weights: Array | None) -> None:
        """Compute this round's model-level measurements (aggregates per group).

        Loss and accuracy are measured on the data the learner was trained on;
        utilities on each group's own reports, under the retrained model.
        """
        theta = self.theta
        record: dict[str, float] = {"round": self.steps, "drift": step_drift}
        if self.stable_point is not None:
            record["distance_to_stable"] = drift(theta, self.stable_point)
        record["loss"] = self.learner.objective(theta, X, y, weights)
        record["accuracy"] = self.learner.accuracy(theta, X, y, weights)
        utilities = []
        for level, rows in sorted(self.level_slices.items()):
            values = self._level_utility[level].value(
                theta, self.X[rows], self.y[rows], self.X_base[rows]
            )
            utilities.append(values)
            record[f"utility_level_{level}"] = float(values.mean())
            record[f"count_level_{level}"] = rows.stop - rows.start
        record["utility"] = float(np.concatenate(utilities).mean()) if utilities else float("nan")
        for name, plan, block in zip(
            self.collective_names, self._collective_plans, self.collective_slices, strict=True
        ):
            values = plan.utility.value(
                theta, self.X[block], self.y_reported[block], self.X_base[block]
            )
            record[f"utility_{name}"] = float(values.mean())
            record[f"count_{name}"] = len(plan.members)
            for metric, value in self._defined_metrics(plan).items():
                record[f"{metric}_{name}"] = value
        for feature, value in zip(self.feature_names, theta, strict=True):
            record[f"theta[{feature}]"] = float(value)
        self.round_record = record

    # ---------------------------------------------------------------- results
    def results(self) -> Any:
        """The round-by-round table (a pandas DataFrame, one row per round)."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def agent_results(self) -> Any:
        """The sampled users' per-round values (a DataFrame), or None when not recorded.

        One row per round and sampled user, with columns ``round``, ``AgentID``
        and one per agent reporter.
        """
        if not self.datacollector.agent_reporters:
            return None
        table = self.datacollector.get_agent_vars_dataframe().reset_index()
        table = table.rename(columns={"Step": "round"}).dropna(subset=["round"])
        return table.astype({"round": int, "AgentID": int}).reset_index(drop=True)

    def user_scores(self, rows: Array) -> Array:
        """The deployed model's score x'·θ of each given user's report.

        Args:
            rows: Row indices of users (or one row).

        Returns:
            One score per row.
        """
        return self.X[np.atleast_1d(rows)] @ self.theta

    def user_moves(self, rows: Array) -> Array:
        """How far each given user's report is from its base point, ||x' − x||.

        Args:
            rows: Row indices of users (or one row).

        Returns:
            One distance per row.
        """
        rows = np.atleast_1d(rows)
        return np.linalg.norm(self.X[rows] - self.X_base[rows], axis=1)

    def user_collectives(self, rows: Array) -> list[str | None]:
        """The collective each given user belongs to (None for level-k users).

        Args:
            rows: Row indices of users (or one row).

        Returns:
            One name (or None) per row.
        """
        names = [*self.collective_names, None]  # index −1 → None
        return [names[index] for index in self.collective_ids[np.atleast_1d(rows)]]

    def user_utilities(self, rows: Array) -> Array:
        """Each given user's utility of its report under the deployed θ.

        Collective members score with their collective's utility, every other
        user with the linear-quadratic utility of its own ε (level-0 users
        report their base point, so their cost term is zero).

        Args:
            rows: Row indices of users.

        Returns:
            The utilities, one per row.
        """
        rows = np.atleast_1d(np.asarray(rows, dtype=int))
        groups = self.collective_ids[rows]
        values = np.empty(len(rows))
        for group in np.unique(groups):
            mask = groups == group
            r = rows[mask]
            if group >= 0:
                utility, y = self._collective_plans[group].utility, self.y_reported[r]
            else:
                utility, y = LinearQuadratic(self.epsilon[r]), self.y[r]
            values[mask] = utility.value(self.theta, self.X[r], y, self.X_base[r])
        return values

    def summary(self) -> dict[str, Any]:
        """Final state of the run, JSON-serialisable."""
        table_levels = {
            str(level): float(self.round_record.get(f"utility_level_{level}", float("nan")))
            for level in sorted(self.level_slices)
        }
        return {
            "status": self.status,
            "message": self.message,
            "cycle_period": self.cycle_period,
            "rounds": int(self.steps),
            "users": len(self.y),
            "final_drift": self.last_drift,
            "utility_per_level": table_levels,
            "accuracy": self.round_record.get("accuracy"),
            "loss": self.round_record.get("loss"),
            "regime": self.regime.code,
            "regime_explanation": self.regime.explanation,
            "theta": dict(zip(self.feature_names, map(float, self.theta), strict=True)),
            "theta0": dict(zip(self.feature_names, map(float, self.theta0), strict=True)),
            "collectives": {
                name: {
                    "members": len(plan.members),
                    "utility": self.round_record.get(f"utility_{name}", float("nan")),
                    **self._defined_metrics(plan),
                }
                for name, plan in zip(self.collective_names, self._collective_plans, strict=True)
            },
        }
