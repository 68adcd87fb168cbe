"""Figure 1: convergence of repeated retraining for mixtures of level-1 and level-2 users.

Three mixtures (α1, α2) ∈ {(.9, .1), (.5, .5), (.1, .9)} of the real credit
population, ε = 0.5, strategic features revolving utilisation, open credit
lines and real-estate loans, 25 rounds, 10 runs per mixture; every run draws
afresh which users are level 1 and which level 2. The figure plots
||θ_{t+1} − θ_t|| / ||θ0_S|| against t (t = 0 is the first retraining), θ0
being the initially deployed model.

``notebook`` follows the authors' code: θ0 is the performative-prediction
code's gradient-descent fit (:class:`~platform_abm.common.learners.BacktrackingGD`)
and every round refits scikit-learn's lbfgs (tol 1e-5) from scratch, for the
deployed model and for the model level-2 users anticipate. ``paper`` uses the
exact Newton learner throughout. Both also run the notebook's check of
Corollary 1: a level-1 and a level-2 user sharing a base point get the same
utility once the dynamics have converged. The procedure, the numbers and what
they mean are in ``docs/reproductions/fig1.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from platform_abm.common import data
from platform_abm.common.errors import InputError, SimulationError
from platform_abm.common.learners import (
    BacktrackingGD,
    ExactLogistic,
    Learner,
    SklearnLearner,
    single_threaded_blas,
)
from platform_abm.platform.model import PlatformModel
from platform_abm.platform.reproduce.runner import FigureRun, Progress, Reproduction, Request
from platform_abm.platform.reproduce.summary import Headline
from platform_abm.platform.user_utility import LinearQuadratic

Array = np.ndarray

MIXTURE_MODES = ("agents", "expected")

MIXTURES: tuple[tuple[float, float], ...] = ((0.9, 0.1), (0.5, 0.5), (0.1, 0.9))
STRATEGIC = (
    "RevolvingUtilizationOfUnsecuredLines",
    "NumberOfOpenCreditLinesAndLoans",
    "NumberRealEstateLoansOrLines",
)
EPSILON = 0.5
#: Rounds t (0 = first retraining) over which a run's contraction is measured.
CONTRACTION_ROUNDS = (2, 5)
DEFAULT_RUNS = 10
DEFAULT_ROUNDS = 25
QUICK_RUNS = 2
QUICK_ROUNDS = 8
#: The Corollary-1 check runs the notebook's middle mixture.
COROLLARY_MIXTURE = (0.5, 0.5)

# Statistics of the authors' saved gap array (the 3 × 10 × 25 array the notebook
# of figure 1 prints and plots, normalised by ||θ0_S||): per-run contraction over
# t = 2..5 (mean and std over the 10 runs) and mean gaps at t = 1..4.
SAVED_CONTRACTION = {(0.9, 0.1): 0.0404, (0.5, 0.5): 0.0239, (0.1, 0.9): 0.0090}
SAVED_CONTRACTION_STD = {(0.9, 0.1): 0.0028, (0.5, 0.5): 0.0033, (0.1, 0.9): 0.0038}
SAVED_MEAN_GAPS = {
    (0.9, 0.1): (2.95e-3, 1.76e-4, 7.20e-6, 2.92e-7),
    (0.5, 0.5): (2.67e-3, 4.76e-5, 1.09e-6, 2.52e-8),
    (0.1, 0.9): (7.08e-4, 5.45e-6, 4.88e-8, 5.48e-10),
}
#: The authors' notebook re-run on the same data (fresh splits, so other draws).
AUTHORS_CODE_CONTRACTION = {(0.9, 0.1): 0.043, (0.5, 0.5): 0.022, (0.1, 0.9): 0.0115}
#: The notebook's printed initial model (gradient descent, λ = 1/n, bias not penalised).
AUTHORS_THETA0 = {
    "accuracy": 0.7207059977120445,
    "loss": 0.609948675416671,
    "norm": 2.4515844200763772,
    "strategic norm": 0.09873658927305824,
}
#: The notebook's Corollary-1 check: mean over its 10 runs of u2 − u1 at t = 0 and t = 24.
AUTHORS_COROLLARY = {"first": 0.7201078, "last": 2.878399e-9}
#: Run-to-run std of u2 − u1 at t = 0: with θ0_S ~ N(0, I_3), u2 − u1 ≈ (ε/2)·χ²_3,
#: whose std is (ε/2)·√6.
COROLLARY_FIRST_STD = EPSILON / 2 * np.sqrt(6.0)
#: Utilities equal "to" this at the last round, per learner (notebook: lbfgs tol 1e-5).
COROLLARY_TOLERANCE = {"notebook": 1e-6, "paper": 1e-8}


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one reproduction of figure 1."""

    variant: str
    runs: int
    rounds: int
    mixture: str


def resolve(request: Request, rounds: int | None = None, mixture: str | None = None) -> Settings:
    """Check the options and fill in the defaults (published grid, or the quick one).

    Raises:
        InputError: For an unknown mixture mode, fewer than one run, or fewer
            rounds than the contraction needs.
    """
    mixture = "agents" if mixture is None else mixture
    if mixture not in MIXTURE_MODES:
        raise InputError("--mixture", mixture, f"one of {list(MIXTURE_MODES)}")
    runs = request.count(DEFAULT_RUNS, QUICK_RUNS)
    rounds = rounds if rounds is not None else (QUICK_ROUNDS if request.quick else DEFAULT_ROUNDS)
    needed = CONTRACTION_ROUNDS[1] + 1
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < needed:
        raise InputError(
            "--rounds", rounds, f"a whole number ≥ {needed} (the contraction uses t = 2..5)"
        )
    return Settings(request.variant, runs, rounds, mixture)


def retraining_learner(variant: str) -> Learner:
    """The learner refitted every round: scikit-learn's lbfgs (notebook) or exact Newton."""
    return SklearnLearner() if variant == "notebook" else ExactLogistic()


def initial_model(population: data.Population, variant: str) -> tuple[Array, dict[str, float]]:
    """θ0 and its statistics on the clean population.

    ``notebook``: the gradient-descent fit of the performative-prediction code;
    ``paper``: the exact learner's fit.

    Returns:
        θ0 and a dict with its training accuracy, loss (the learner's reported
        loss for ``notebook``, the objective for ``paper``), norm and the norm of
        its strategic coefficients.
    """
    strategic = [population.feature_index(f) for f in STRATEGIC]
    with single_threaded_blas():
        if variant == "notebook":
            learner: Learner = BacktrackingGD().fit(population.X, population.y)
            loss = float(learner.loss_)
        else:
            learner = ExactLogistic().fit(population.X, population.y)
            loss = learner.objective(learner.coef_, population.X, population.y)
    theta = learner.coef_.copy()
    stats = {
        "accuracy": learner.accuracy(theta, population.X, population.y),
        "loss": loss,
        "norm": float(np.linalg.norm(theta)),
        "strategic norm": float(np.linalg.norm(theta[strategic])),
    }
    return theta, stats


def _model(
    population: data.Population,
    variant: str,
    alphas: tuple[float, float],
    theta0: Array,
    rounds: int,
    mixture: str,
    seed: int,
) -> PlatformModel:
    return PlatformModel(
        population=population,
        strategic_features=STRATEGIC,
        epsilon=EPSILON,
        epsilon_distribution="constant",
        levels=(0.0, *alphas),
        learner=retraining_learner(variant),
        max_rounds=rounds,
        mixture=mixture,
        tolerance=0.0,  # every round is run: no early stop
        theta0=theta0,
        rng=seed,
    )


def simulate(
    population: data.Population,
    variant: str = "paper",
    seeds: int = DEFAULT_RUNS,
    rounds: int = DEFAULT_ROUNDS,
    mixture: str = "agents",
    theta0: Array | None = None,
    progress: Progress = None,
) -> pd.DataFrame:
    """Run every mixture for every seed and return the per-round table.

    Args:
        population: The credit population (or any population with its features).
        variant: ``paper`` (exact learner) or ``notebook`` (scikit-learn lbfgs).
        seeds: Runs per mixture; run r draws its split of users into levels with seed r.
        rounds: Rounds per run.
        mixture: ``agents`` (each user has one level, split at random) or
            ``expected`` (the population-level mixture α1·D1(θ) + α2·D2(θ)).
        theta0: The initially deployed model (default: :func:`initial_model`).
        progress: Called with 1 after every round.

    Returns:
        One row per (mixture, seed, round): the model's round record plus ``t``
        (round − 1) and ``gap`` = ||θ_{t+1} − θ_t|| / ||θ0_S||.
    """
    if theta0 is None:
        theta0 = initial_model(population, variant)[0]
    strategic = [population.feature_index(f) for f in STRATEGIC]
    scale = float(np.linalg.norm(theta0[strategic]))
    rows = []
    for alphas in MIXTURES:
        for seed in range(seeds):
            model = _model(population, variant, alphas, theta0, rounds, mixture, seed)
            for _ in range(rounds):
                model.step()
                if model.status == "diverged":
                    raise SimulationError(model.message)
                if progress is not None:
                    progress(1)
            table = model.results()
            table.insert(0, "t", table["round"] - 1)
            table.insert(1, "gap", table["drift"] / scale)
            table.insert(0, "seed", seed)
            table.insert(0, "alpha2", alphas[1])
            table.insert(0, "alpha1", alphas[0])
            rows.append(table)
    return pd.concat(rows, ignore_index=True)


def contraction(table: pd.DataFrame) -> pd.DataFrame:
    """Per-mixture summary: per-run contraction over t = 2..5, mean gaps, final θ.

    The contraction of one run is the geometric mean of gap_{t+1}/gap_t for
    t = 2..4, i.e. (gap_5 / gap_2)^(1/3); the table gives its mean and std over runs.

    Args:
        table: Output of :func:`simulate`.

    Returns:
        One row per mixture, with the saved array's values beside the measured ones.
    """
    first, last = CONTRACTION_ROUNDS
    theta_columns = [c for c in table.columns if c.startswith("theta[")]
    summary = []
    for (alpha1, alpha2), group in table.groupby(["alpha1", "alpha2"], sort=False):
        gaps = group.pivot(index="seed", columns="t", values="gap")
        rates = (gaps[last] / gaps[first]) ** (1.0 / (last - first))
        means = gaps.mean()
        final = group[group["t"] == group["t"].max()]
        key = (alpha1, alpha2)
        summary.append(
            {
                "alpha1": alpha1,
                "alpha2": alpha2,
                "runs": len(gaps),
                "contraction": float(rates.mean()),
                "contraction_std": float(rates.std(ddof=0)),
                "saved_contraction": SAVED_CONTRACTION.get(key, np.nan),
                "saved_contraction_std": SAVED_CONTRACTION_STD.get(key, np.nan),
                "authors_code_contraction": AUTHORS_CODE_CONTRACTION.get(key, np.nan),
                **{f"gap_t{t}": float(means[t]) for t in range(0, 5)},
                **{
                    f"saved_gap_t{t}": SAVED_MEAN_GAPS.get(key, (np.nan,) * 4)[t - 1]
                    for t in range(1, 5)
                },
                "final_gap_mean": float(final["gap"].mean()),
                **{c: float(final[c].mean()) for c in theta_columns},
            }
        )
    return pd.DataFrame(summary)


def gap_curves(table: pd.DataFrame) -> pd.DataFrame:
    """The table behind the figure: mean and std over runs of the gap per (mixture, t)."""
    stats = table.groupby(["alpha1", "alpha2", "t"], sort=False)["gap"].agg(
        mean="mean", std=lambda g: g.std(ddof=0), runs="count"
    )
    return stats.reset_index()


def same_equilibrium_spread(table: pd.DataFrame) -> float:
    """Largest coordinate difference between the final θ of any two runs (any mixture)."""
    theta_columns = [c for c in table.columns if c.startswith("theta[")]
    final = table[table["t"] == table["t"].max()][theta_columns].to_numpy()
    return float(np.max(final.max(axis=0) - final.min(axis=0)))


# ----------------------------------------------------------------------- Corollary 1


def corollary_pair(model: PlatformModel) -> tuple[int, int]:
    """Rows (in the model's order) of the first level-1 and the first level-2 user."""
    if 1 not in model.level_slices or 2 not in model.level_slices:
        raise SimulationError("the Corollary-1 check needs level-1 and level-2 users")
    return model.level_slices[1].start, model.level_slices[2].start


def utility_gap(model: PlatformModel, rows: tuple[int, int]) -> tuple[float, float]:
    """Utilities of two users' current reports under the model level 2 anticipated.

    After a round on θ_t, ``model.anticipated`` is [θ_t, G1(θ_t)]: level-1 users
    responded to θ_t, level-2 users to G1(θ_t). Both utilities are evaluated at
    G1(θ_t), the model the notebook's check scores them with; at a stable point
    G1(θ*) = θ* and Corollary 1 makes them equal.

    Returns:
        (u1, u2) for the rows given (a level-1 and a level-2 user).
    """
    index = np.asarray(rows)
    utility = LinearQuadratic(model.epsilon[index])
    values = utility.value(
        model.anticipated[1], model.X[index], model.y[index], model.X_base[index]
    )
    return float(values[0]), float(values[1])


def corollary_check(
    population: data.Population,
    variant: str,
    runs: int = DEFAULT_RUNS,
    rounds: int = DEFAULT_ROUNDS,
    progress: Progress = None,
) -> pd.DataFrame:
    """The notebook's Corollary-1 check: one level-1 and one level-2 user, same base point.

    Each run: θ0 ~ N(0, I) (seed = run), the (.5, .5) mixture split at random
    (seed = run); the first level-1 and the first level-2 user are given the
    same, zeroed, features and the same label, as in the notebook; then the
    rounds of :func:`simulate` with the variant's learner. The split does not
    depend on the features, so the model is built once to find the pair and
    once more on the population with their rows zeroed (the split is checked
    to be the same).

    Args:
        population: The credit population.
        variant: ``notebook`` (scikit-learn lbfgs) or ``paper`` (exact learner).
        runs: Number of runs.
        rounds: Rounds per run.
        progress: Called with 1 after every round.

    Returns:
        One row per (run, t): u1, u2 and their difference u2 − u1.
    """
    rows = []
    for run in range(runs):
        theta0 = np.random.default_rng(run).standard_normal(population.d)
        probe = _model(population, variant, COROLLARY_MIXTURE, theta0, rounds, "agents", run)
        pair = corollary_pair(probe)
        members = probe.population_index[list(pair)]
        X = population.X.copy()
        y = population.y.copy()
        X[members] = 0.0
        y[members[0]] = y[members[1]]
        twin = data.Population(X, y, population.feature_names, population.source)
        model = _model(twin, variant, COROLLARY_MIXTURE, theta0, rounds, "agents", run)
        if not np.array_equal(model.population_index, probe.population_index):
            raise SimulationError("the level split changed when the pair's features were zeroed")
        for t in range(rounds):
            model.step()
            if model.status == "diverged":
                raise SimulationError(model.message)
            u1, u2 = utility_gap(model, pair)
            rows.append({"run": run, "t": t, "u1": u1, "u2": u2, "difference": u2 - u1})
            if progress is not None:
                progress(1)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- figure, headlines


def figure(curves: pd.DataFrame, corollary: pd.DataFrame, variant: str) -> Figure:
    """(a) mean ± std of the normalised gap per round; (b) the Corollary-1 utility gap.

    Args:
        curves: Output of :func:`gap_curves`.
        corollary: Output of :func:`corollary_check`.
        variant: Label for the title.

    Returns:
        The figure.
    """
    fig = Figure(figsize=(12, 4.4))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    for (alpha1, alpha2), group in curves.groupby(["alpha1", "alpha2"], sort=False):
        group = group[group["mean"] > 0]
        lower = np.clip(group["mean"] - group["std"], group["mean"] * 1e-2, None)
        line = left.semilogy(
            group["t"],
            group["mean"],
            marker="o",
            ms=3,
            label=rf"$\alpha_1={alpha1}$, "
            rf"$\alpha_2={alpha2}$",
        )[0]
        left.fill_between(
            group["t"], lower, group["mean"] + group["std"], color=line.get_color(), alpha=0.2
        )
    left.set_xlabel("iteration t")
    left.set_ylabel(r"$\|\theta_{t+1}-\theta_t\| \,/\, \|\theta_{0,S}\|$")
    left.set_title(f"Figure 1 ({variant} variant), ε = {EPSILON}")
    left.grid(True, which="both", alpha=0.3)
    left.legend()
    size = corollary.assign(size=corollary["difference"].abs())
    stats = size.groupby("t")["size"].agg(["mean", "max"]).reset_index()
    shown = stats[stats["mean"] > 0]  # exact zeros cannot be drawn on a log scale
    right.semilogy(shown["t"], shown["mean"], marker="o", ms=3, label="mean over runs")
    right.semilogy(shown["t"], shown["max"], ls="--", label="largest run")
    right.axhline(COROLLARY_TOLERANCE[variant], color="grey", lw=1, ls=":", label="tolerance")
    right.set_xlabel("iteration t")
    right.set_ylabel(r"$|u_2 - u_1|$ (same base point)")
    right.set_title(r"Corollary 1: level-2 minus level-1 utility at $G_1(\theta_t)$")
    right.grid(True, which="both", alpha=0.3)
    right.legend()
    return fig


def headlines(
    variant: str,
    summary: pd.DataFrame,
    table: pd.DataFrame,
    corollary: pd.DataFrame,
    theta0_stats: dict[str, float],
    runs: int,
) -> list[Headline]:
    """The headline numbers of one reproduction (see ``docs/reproductions/fig1.md``)."""
    out: list[Headline] = []
    by_mixture = summary.set_index(["alpha1", "alpha2"])
    label = {m: f"({m[0]:g},{m[1]:g})" for m in MIXTURES}
    if variant == "notebook":
        out.append(
            Headline(
                "θ0 training accuracy",
                theta0_stats["accuracy"],
                authors_code=AUTHORS_THETA0["accuracy"],
                reference="authors_code",
                abs_tol=1e-10,
                note="a count of correctly classified users over n: exact agreement",
            )
        )
        for key, note in (
            ("loss", "the learner's monitored loss (norm penalty), as the notebook prints it"),
            ("norm", "||θ0||"),
            ("strategic norm", "||θ0_S||, the figure's normalisation"),
        ):
            out.append(
                Headline(
                    f"θ0 {key}",
                    theta0_stats[key],
                    authors_code=AUTHORS_THETA0[key],
                    reference="authors_code",
                    rel_tol=1e-12,
                    note=f"{note}; 1872 GD steps accumulate rounding of order 1e-14",
                )
            )
        for mix in MIXTURES:
            row = by_mixture.loc[mix]
            out.append(
                Headline(
                    f"contraction {label[mix]}",
                    float(row["contraction"]),
                    published=SAVED_CONTRACTION[mix],
                    authors_code=AUTHORS_CODE_CONTRACTION[mix],
                    rel_tol=0.25,
                    note=f"mean over {runs} runs of (gap_5/gap_2)^(1/3); published = the "
                    "authors' saved array, which the figure plots; 25% as the issue allows "
                    f"(saved run-to-run std {SAVED_CONTRACTION_STD[mix]:.4f})",
                )
            )
        for mix in MIXTURES:
            out.append(
                Headline(
                    f"mean gap t=1 {label[mix]}",
                    float(by_mixture.loc[mix, "gap_t1"]),
                    published=SAVED_MEAN_GAPS[mix][0],
                    rel_tol=0.10,
                    note="normalised ||θ_2 − θ_1||; the saved runs spread by ≤ 7% (relative "
                    "std, (.1,.9)), so 10% holds for means over ≥ 2 runs",
                )
            )
    else:
        t_conv = CONTRACTION_ROUNDS[1]
        out.append(
            Headline(
                f"largest raw gap at t={t_conv}",
                float(table.loc[table["t"] == t_conv, "drift"].max()),
                published=0.0,
                abs_tol=1e-10,
                note="the exact learner converges to rounding within 4-5 rounds",
            )
        )
        for mix in MIXTURES:
            group = table[(table["alpha1"] == mix[0]) & (table["t"] == 0)]
            out.append(
                Headline(
                    f"raw gap t=0 {label[mix]}",
                    float(group["drift"].mean()),
                    note="||θ_1 − θ_0|| with θ0 the exact fit on clean data (≈ 5e-3); "
                    "the published figure starts from another learner's θ0",
                )
            )
        for mix in MIXTURES:
            out.append(
                Headline(
                    f"contraction {label[mix]} (exact learner)",
                    float(by_mixture.loc[mix, "contraction"]),
                    note="informative: the gaps reach rounding level by t ≈ 4, so this is "
                    "not a rate; the published rates are the notebook variant's",
                )
            )
    out.append(
        Headline(
            "same θ* for every mixture (max coordinate spread)",
            same_equilibrium_spread(table),
            published=0.0,
            abs_tol=1e-8,
            note="Corollary 1: every mixture has the stable point of G1 (final round, all runs)",
        )
    )
    first = corollary[corollary["t"] == 0]["difference"]
    last = corollary[corollary["t"] == corollary["t"].max()]["difference"]
    spread = COROLLARY_FIRST_STD * np.sqrt(1.0 / len(first) + 1.0 / DEFAULT_RUNS)
    out.append(
        Headline(
            "Corollary 1: u2 − u1 at t=0 (mean)",
            float(first.mean()),
            authors_code=AUTHORS_COROLLARY["first"],
            reference="authors_code",
            abs_tol=float(2.0 * spread),
            note="θ0 ~ N(0, I), so u2 − u1 ≈ (ε/2)χ²_3 per run (std 0.61): two standard "
            "errors of the difference of two means over the runs",
        )
    )
    out.append(
        Headline(
            f"Corollary 1: |u2 − u1| at t={int(corollary['t'].max())} (largest run)",
            float(np.max(np.abs(last))),
            published=0.0,
            authors_code=AUTHORS_COROLLARY["last"] if variant == "notebook" else None,
            abs_tol=COROLLARY_TOLERANCE[variant],
            note="equal utilities at the stable point; tolerance 1e-6 for lbfgs (tol 1e-5), "
            "1e-8 for the exact learner",
        )
    )
    return out


def reproduce(
    request: Request, *, rounds: int | None = None, mixture: str | None = None
) -> Reproduction:
    """Figure 1: every mixture and run, the gap curves, the contraction and the Corollary-1 check.

    Files: ``fig1_<variant>.png``, ``fig1_<variant>_rounds.csv`` (every run and
    round), ``fig1_<variant>_gaps.csv`` (the curves plotted),
    ``fig1_<variant>_contraction.csv`` (per mixture) and
    ``fig1_<variant>_corollary.csv`` (the Corollary-1 check).

    Args:
        request: The common options; ``seeds`` is the number of runs per mixture
            and of the Corollary-1 check (default 10; quick 2), ``quick`` runs
            2 runs × 8 rounds instead of 10 × 25.
        rounds: Rounds per run (default 25; quick 8; at least 6).
        mixture: ``agents`` (default) or ``expected``.

    Returns:
        The files' contents, headlines and settings.
    """
    settings = resolve(request, rounds, mixture)
    variant = settings.variant
    population = request.credit()
    theta0, theta0_stats = initial_model(population, variant)
    total = settings.runs * settings.rounds * (len(MIXTURES) + 1)
    with request.progress_bar(total, "round") as bar:
        table = simulate(
            population,
            variant,
            settings.runs,
            settings.rounds,
            settings.mixture,
            theta0=theta0,
            progress=bar.update,
        )
        corollary = corollary_check(population, variant, settings.runs, settings.rounds, bar.update)
    summary = contraction(table)
    curves = gap_curves(table)
    tag = f"fig1_{variant}"
    return Reproduction(
        tables={
            f"{tag}_rounds": table,
            f"{tag}_gaps": curves,
            f"{tag}_contraction": summary,
            f"{tag}_corollary": corollary,
        },
        figures={tag: figure(curves, corollary, variant)},
        headlines=headlines(variant, summary, table, corollary, theta0_stats, settings.runs),
        settings={
            "runs": settings.runs,
            "rounds": settings.rounds,
            "mixture": settings.mixture,
            "epsilon": EPSILON,
            "strategic": list(STRATEGIC),
            "learner": "scikit-learn lbfgs, tol 1e-5, refitted from scratch"
            if variant == "notebook"
            else "exact Newton",
            "theta0": "backtracking gradient descent (λ = 1/n, bias not penalised)"
            if variant == "notebook"
            else "exact fit on the clean data",
            "theta0_stats": theta0_stats,
        },
    )


run = FigureRun("fig1", reproduce)
#: The options of ``platform-abm reproduce fig1`` beyond the common ones.
OPTIONS = run.options
