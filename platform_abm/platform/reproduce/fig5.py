"""Figure 5: feature importance as the drop in test accuracy when one feature is noise.

For each repeat r: an 80/20 train/test split (``random_state = 1111 + r``); a
scikit-learn ``LogisticRegression(max_iter=1000)`` with an intercept is fitted
on the training split (the baseline); then each training column in turn is
replaced by N(0, 1) noise (generator seeded with 1111 + r, one stream through
the columns), the model is refitted and scored on the untouched test split.
A feature's importance is the baseline's test accuracy minus that score.

``notebook`` runs it on the matrix of the authors' code: the 11-column credit
matrix with column 0 (revolving utilisation) dropped, so 9 features and the
bias column. Its tick labels are the 10 original feature names starting at
revolving utilisation, one column off: the figure is drawn twice, with those
labels (as published) and with the true column names. ``paper`` runs the same
procedure on the paper's feature set, the 10 original features (no bias
column: the intercept is the model's own), labelled with their names. See
``docs/reproductions/fig5.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from platform_abm.common import data
from platform_abm.common.learners import single_threaded_blas
from platform_abm.platform.reproduce.runner import FigureRun, Progress, Reproduction, Request
from platform_abm.platform.reproduce.summary import Headline

Array = np.ndarray

SEED = 1111
TEST_SIZE = 0.2
DEFAULT_REPEATS = 10  # the paper's count; the authors' code runs 100
QUICK_REPEATS = 3

#: Short names of the credit columns, as the authors' tick labels spell them.
SHORT_NAMES = {
    "RevolvingUtilizationOfUnsecuredLines": "RevolvingUtil",
    "age": "Age",
    "NumberOfTime30-59DaysPastDueNotWorse": "PastDue30-59",
    "DebtRatio": "DebtRatio",
    "MonthlyIncome": "Income",
    "NumberOfOpenCreditLinesAndLoans": "OpenLines",
    "NumberOfTimes90DaysLate": "PastDue90",
    "NumberRealEstateLoansOrLines": "RealEstate",
    "NumberOfTime60-89DaysPastDueNotWorse": "PastDue60-89",
    "NumberOfDependents": "Dependents",
    "bias": "bias",
}
#: The notebook's tick labels: the 10 original features from revolving utilisation on.
NOTEBOOK_LABELS = tuple(SHORT_NAMES[name] for name in data.CREDIT_FEATURES[:10])

#: The authors' code re-run on the same data (10 repeats): drop per bar, by its label.
AUTHORS_CODE_DROPS = {
    "Age": 0.036,
    "OpenLines": 0.024,
    "PastDue60-89": 0.0028,
    "RevolvingUtil": 0.0015,
    "Dependents": 0.0001,
}
#: Repeats behind the authors'-code values above.
AUTHORS_CODE_REPEATS = 10


def design(population: data.Population, variant: str) -> tuple[Array, tuple[str, ...]]:
    """The feature matrix of a variant and the true name of each of its columns.

    ``notebook``: credit columns 1..10 (column 0 dropped, bias kept, last);
    ``paper``: credit columns 0..9 (every original feature, no bias column).
    """
    names = population.feature_names
    columns = list(range(1, len(names))) if variant == "notebook" else list(range(len(names) - 1))
    return population.X[:, columns], tuple(names[c] for c in columns)


def accuracy_drops(
    X: Array, y: Array, repeats: int, seed: int = SEED, progress: Progress = None
) -> Array:
    """Drop in test accuracy when each training column in turn is replaced by N(0, 1) noise.

    Args:
        X: Features, shape (n, d) (an intercept is fitted besides).
        y: Labels in {0, 1}.
        repeats: Number of repeats; repeat r splits with ``random_state = seed + r``
            and draws the noise of all d columns from ``default_rng(seed + r)``.
        seed: Base seed.
        progress: Called with 1 after every fit.

    Returns:
        Drops, shape (repeats, d): baseline test accuracy minus the accuracy of
        the model trained with column j replaced.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    labels = np.asarray(y).astype(int)
    drops = np.empty((repeats, X.shape[1]))

    def test_accuracy(X_train: Array, y_train: Array, X_test: Array, y_test: Array) -> float:
        model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
        if progress is not None:
            progress(1)
        return float(model.score(X_test, y_test))

    for r in range(repeats):
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, labels, test_size=TEST_SIZE, random_state=seed + r
        )
        baseline = test_accuracy(X_tr, y_tr, X_te, y_te)
        rng = np.random.default_rng(seed + r)
        for j in range(X.shape[1]):
            noisy = X_tr.copy()
            noisy[:, j] = rng.standard_normal(len(noisy))
            drops[r, j] = baseline - test_accuracy(noisy, y_tr, X_te, y_te)
    return drops


def importance_table(drops: Array, names: tuple[str, ...], variant: str) -> pd.DataFrame:
    """One row per column: true name, the label the figure prints, mean and std of the drop.

    The std is over repeats (ddof = 1, as the authors' error bars). For
    ``notebook`` the printed label is the notebook's (shifted) one.
    """
    labels = NOTEBOOK_LABELS if variant == "notebook" else tuple(SHORT_NAMES[n] for n in names)
    return pd.DataFrame(
        {
            "column": range(len(names)),
            "true_name": names,
            "true_label": [SHORT_NAMES[n] for n in names],
            "published_label": labels,
            "drop_mean": drops.mean(axis=0),
            "drop_std": drops.std(axis=0, ddof=1),
            "repeats": len(drops),
            "rank": pd.Series(drops.mean(axis=0))
            .rank(ascending=False, method="first")
            .astype(int)
            .to_numpy(),
        }
    )


def figure(table: pd.DataFrame, variant: str) -> Figure:
    """Bars of the mean drop ± std; for ``notebook`` twice: published labels, true names."""
    panels = (
        [
            ("published_label", "tick labels as published (one column off)"),
            ("true_label", "true column names"),
        ]
        if variant == "notebook"
        else [("true_label", "the paper's feature set, true names")]
    )
    fig = Figure(figsize=(6.5 * len(panels), 4.8))
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
    x = np.arange(len(table))
    for ax, (column, title) in zip(axes, panels, strict=True):
        ax.bar(x, table["drop_mean"], 0.6, color="green", yerr=table["drop_std"], capsize=4)
        ax.set_xticks(x)
        ax.set_xticklabels(table[column], rotation=45, ha="right")
        ax.set_title(f"Figure 5 ({variant}): {title}")
        ax.grid(axis="y", linestyle="--", alpha=0.4)
    axes[0].set_ylabel("test-accuracy drop (feature replaced by noise)")
    return fig


def headlines(table: pd.DataFrame, variant: str) -> list[Headline]:
    """The headline numbers (see ``docs/reproductions/fig5.md``)."""
    repeats = int(table["repeats"].iloc[0])
    out: list[Headline] = []
    if variant == "notebook":
        by_label = table.set_index("published_label")
        for label, reference in AUTHORS_CODE_DROPS.items():
            row = by_label.loc[label]
            # Two independent means (other row order, so other splits): the standard
            # error of their difference, from the spread over our repeats.
            spread = float(row["drop_std"]) * np.sqrt(1 / repeats + 1 / AUTHORS_CODE_REPEATS)
            out.append(
                Headline(
                    f"drop, bar '{label}' (really {row['true_label']})",
                    float(row["drop_mean"]),
                    authors_code=reference,
                    reference="authors_code",
                    abs_tol=3.0 * spread,
                    note=f"mean over {repeats} repeats; tolerance 3 standard errors of the "
                    "difference of two means (std over repeats "
                    f"{float(row['drop_std']):.4f})",
                )
            )
    else:
        by_name = table.set_index("true_name")
        for name, claim, rank in (("age", "most", 1), ("NumberOfDependents", "least", len(table))):
            row = by_name.loc[name]
            out.append(
                Headline(
                    f"rank of {name} (1 = most important)",
                    float(row["rank"]),
                    published=float(rank),
                    note=f"the paper calls it the {claim} important feature; its mean drop "
                    f"here is {float(row['drop_mean']):.4f} ± {float(row['drop_std']):.4f}",
                )
            )
        for name in ("NumberOfTime30-59DaysPastDueNotWorse", "NumberOfTimes90DaysLate"):
            row = by_name.loc[name]
            out.append(
                Headline(
                    f"drop, {name}",
                    float(row["drop_mean"]),
                    note=f"rank {int(row['rank'])}; std over repeats {float(row['drop_std']):.4f}",
                )
            )
    return out


def reproduce(request: Request) -> Reproduction:
    """Figure 5: every repeat's accuracy drops, one bar per feature.

    Files: ``fig5_<variant>.png``, ``fig5_<variant>.csv`` (one row per feature)
    and ``fig5_<variant>_repeats.csv`` (every repeat's drops).

    Args:
        request: The common options; ``seeds`` is the number of repeats (default
            10, as the paper says; the authors' code ran 100; quick: 3; at least 2).

    Returns:
        The files' contents, headlines and settings.
    """
    variant = request.variant
    repeats = request.count(
        DEFAULT_REPEATS, QUICK_REPEATS, minimum=2, why="the spread over repeats"
    )
    population = request.credit()
    X, names = design(population, variant)
    with request.progress_bar(repeats * (X.shape[1] + 1), "fit") as bar, single_threaded_blas():
        # one BLAS thread: on a shared 2-core machine these small fits run ~4× faster
        drops = accuracy_drops(X, population.y, repeats, progress=bar.update)
    table = importance_table(drops, names, variant)
    per_repeat = pd.DataFrame(drops, columns=list(names))
    per_repeat.insert(0, "repeat", range(repeats))
    return Reproduction(
        tables={f"fig5_{variant}": table, f"fig5_{variant}_repeats": per_repeat},
        figures={f"fig5_{variant}": figure(table, variant)},
        headlines=headlines(table, variant),
        settings={
            "repeats": repeats,
            "seed": SEED,
            "test_size": TEST_SIZE,
            "features": list(names),
            "learner": "scikit-learn LogisticRegression(max_iter=1000), with an intercept",
        },
    )


run = FigureRun("fig5", reproduce)
#: The options of ``platform-abm reproduce fig5`` beyond the common ones (none).
OPTIONS = run.options
