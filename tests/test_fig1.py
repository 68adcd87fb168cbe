"""Figure 1 on the real credit data (docs/reproductions/fig1.md).

Reference numbers come from the authors' public notebook of figure 1: its
printed initial model, and the statistics of the gap array it saved and
plotted (the figure's published curves).
"""

import json

import numpy as np
import pytest

from platform_abm.cli import main
from platform_abm.common.errors import InputError
from platform_abm.common.learners import BacktrackingGD, single_threaded_blas
from platform_abm.platform.reproduce import fig1
from platform_abm.platform.reproduce.runner import Request

pytestmark = pytest.mark.credit

# Per-run contraction over t = 2..5 (mean over the 10 runs) of the authors' saved array.
SAVED_CONTRACTION = {0.9: 0.0404, 0.5: 0.0239, 0.1: 0.0090}
# The notebook's printed initial model (gradient descent, λ = 1/n, bias not penalised).
THETA0_ACCURACY = 0.7207059977120445
THETA0_LOSS = 0.609948675416671
THETA0_NORM = 2.4515844200763772
THETA0_STRATEGIC = (-0.0068505, 0.01096926, 0.09788595)
# Runs of the reduced notebook grid. The seed-to-seed std of the per-run contraction,
# measured over the full 10 runs, is 0.0020 / 0.0029 / 0.0035: with 6 runs the standard
# error of the mean is 0.0008 / 0.0012 / 0.0014, i.e. 2% / 5% / 16% of the targets, so
# the 25% band still holds the worst mixture at more than 1.5 standard errors.
REDUCED_RUNS = 6
REDUCED_ROUNDS = 6  # the contraction needs t = 0..5


@pytest.fixture(scope="module")
def notebook_run(credit, tmp_path_factory):
    """``reproduce fig1 --variant notebook --quick`` on the reduced grid, through the CLI."""
    out = tmp_path_factory.mktemp("fig1_notebook")
    argv = ["reproduce", "fig1", "--variant", "notebook", "--quick", "--quiet"]
    argv += ["--seeds", str(REDUCED_RUNS), "--rounds", str(REDUCED_ROUNDS), "--out", str(out)]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    return out, {h["name"]: h for h in summary["headlines"]}


def test_initial_model_is_the_notebooks(credit):
    with single_threaded_blas():
        learner = BacktrackingGD().fit(credit.X, credit.y)
    theta = learner.coef_
    strategic = [credit.feature_index(f) for f in fig1.STRATEGIC]
    # accuracy is a count over n = 18,357 users: the same users must be classified right
    assert learner.accuracy(theta, credit.X, credit.y) == pytest.approx(THETA0_ACCURACY, abs=1e-12)
    # 1872 gradient steps: rounding of order 1e-14 accumulates (summation order, sigmoid form)
    assert learner.loss_ == pytest.approx(THETA0_LOSS, rel=1e-12)
    assert np.linalg.norm(theta) == pytest.approx(THETA0_NORM, rel=1e-12)
    # the notebook prints θ_S to 8 significant digits
    assert theta[strategic] == pytest.approx(THETA0_STRATEGIC, abs=5e-9)


def test_initial_model_quirk_matters(credit):
    # Monitoring the squared-norm objective instead of the code's norm penalty stops the
    # descent earlier: another θ0, two more users classified right; the printed
    # accuracy (a count, exact) is not reproduced.
    with single_threaded_blas():
        learner = BacktrackingGD(monitored_penalty="squared").fit(credit.X, credit.y)
    accuracy = learner.accuracy(learner.coef_, credit.X, credit.y)
    assert abs(accuracy - THETA0_ACCURACY) > 0.5 / len(credit.y)


def test_backtracking_gd_objective_is_consistent():
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.standard_normal((400, 3)), np.ones(400)])
    y = (X[:, 0] + 0.5 * rng.standard_normal(400) > 0).astype(float)
    learner = BacktrackingGD(tol=1e-14, monitored_penalty="squared").fit(X, y)
    theta = learner.coef_
    # the descent follows the gradient of the objective it reports (bias unpenalised)
    step = 1e-6
    numeric = [
        (learner.objective(theta + step * e, X, y) - learner.objective(theta - step * e, X, y))
        / (2 * step)
        for e in np.eye(4)
    ]
    assert learner.gradient(theta, X, y) == pytest.approx(numeric, abs=1e-8)
    # tol 1e-14 on the decrease: the gradient is small relative to its start
    assert np.linalg.norm(learner.gradient(theta, X, y)) < 1e-5
    assert learner.hessian(theta, X, y)[-1, -1] == pytest.approx(
        np.mean(np.exp(X @ theta) / (1 + np.exp(X @ theta)) ** 2), rel=1e-10
    )
    with pytest.raises(InputError):
        BacktrackingGD(monitored_penalty="cube").fit(X, y)


@pytest.mark.slow
def test_notebook_contraction_within_25_percent_of_saved_array(notebook_run):
    _, lines = notebook_run
    measured = {a1: lines[f"contraction ({a1:g},{1 - a1:g})"]["measured"] for a1 in (0.9, 0.5, 0.1)}
    for alpha1, saved in SAVED_CONTRACTION.items():
        assert measured[alpha1] == pytest.approx(saved, rel=0.25)
    # more level-2 users converge faster (the paper's claim, and the saved array's order)
    assert measured[0.9] > measured[0.5] > measured[0.1]


@pytest.mark.slow
def test_notebook_run_writes_figure_tables_and_summary(notebook_run):
    out, lines = notebook_run
    assert (out / "fig1_notebook.png").read_bytes()[:4] == b"\x89PNG"
    for table in ("rounds", "gaps", "contraction", "corollary"):
        assert (out / f"fig1_notebook_{table}.csv").stat().st_size > 0
    assert all("agrees" in h for h in lines.values())
    assert lines["θ0 training accuracy"]["agrees"] is True


@pytest.mark.slow
def test_corollary_1_with_the_notebook_learner(notebook_run):
    # Utilities of a level-1 and a level-2 user with the same base point: equal to 1e-6
    # once lbfgs (tol 1e-5) has converged (the tolerance for this learner).
    _, lines = notebook_run
    last = lines[f"Corollary 1: |u2 − u1| at t={REDUCED_ROUNDS - 1} (largest run)"]["measured"]
    assert 0 <= last < 1e-6
    # from a random θ0 the two differ markedly (the notebook: 0.72 on average)
    assert lines["Corollary 1: u2 − u1 at t=0 (mean)"]["measured"] > 0.05


def test_corollary_1_with_the_exact_learner(credit):
    table = fig1.corollary_check(credit, "paper", runs=2, rounds=8)
    last = table[table["t"] == 7]["difference"]
    assert np.max(np.abs(last)) < 1e-8  # the tolerance for the exact learner
    assert table[table["t"] == 0]["difference"].min() > 0.05  # random θ0: not yet equal


def test_exact_learner_same_equilibrium_fast_convergence(credit):
    table = fig1.simulate(credit, "paper", seeds=2, rounds=8)
    assert fig1.same_equilibrium_spread(table) < 1e-8
    second_gap = {}
    for (alpha1, seed), run in table.groupby(["alpha1", "seed"]):
        gaps = run["drift"].to_numpy()
        assert 1e-3 < gaps[0] < 1e-2  # the exact learner's first gap, ~5e-3
        assert gaps[5] < 1e-10  # converged to rounding within 4-5 rounds
        second_gap[alpha1, seed] = gaps[1]
    # more level-2 users converge faster (the paper's claim), seed by seed
    for seed in range(2):
        assert second_gap[0.9, seed] > second_gap[0.5, seed] > second_gap[0.1, seed]


def test_expected_mixture_has_the_same_stable_point(credit):
    # The population-level mixture of the theory reaches the same θ* as a random split.
    agents = fig1.simulate(credit, "paper", seeds=1, rounds=6)
    expected = fig1.simulate(credit, "paper", seeds=1, rounds=6, mixture="expected")
    columns = [c for c in agents.columns if c.startswith("theta[")]
    final = [t[t["t"] == 5][columns].to_numpy() for t in (agents, expected)]
    assert np.max(np.abs(final[0] - final[1])) < 1e-8


def test_options_are_checked_before_any_work():
    quick = Request("fig1", "notebook", quick=True)
    assert fig1.resolve(quick) == fig1.Settings("notebook", 2, 8, "agents")
    assert fig1.resolve(Request("fig1")).runs == 10
    for options, field in (({"mixture": "x"}, "--mixture"), ({"rounds": 5}, "--rounds")):
        with pytest.raises(InputError) as error:
            fig1.resolve(Request("fig1"), **options)
        assert error.value.field == field
    with pytest.raises(InputError) as error:
        fig1.run("unused", variant="x")
    assert error.value.field == "--variant"


def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["reproduce", "fig1", "--setting", "x", "--quiet", "--out", str(out)]) == 2
    assert "--setting" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "fig1", "--mixture", "bogus", "--out", str(out)])
    assert exit_info.value.code == 2
    assert not out.exists()
