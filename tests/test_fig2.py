"""Figure 2: the notebook procedure's maths, its targets on the real credit data, the CLI.

Reference numbers (see docs/reproductions/fig2.md): the published table (the
notebook's saved output for the curve labelled 'age', which the bias column
reproduces) and the authors' code re-run on the same data. The credit tests run
the λ ∈ {0, 1} chain of ``--quick``. λ = 0 is the first λ of every chain, so its
numbers are those of the full sweep. At λ = 1 the chain differs from the full
sweep because h* edits carry over from one λ to the next (one earlier h* here,
nine there); measured: B(1) 1.7624 vs 1.7606 (0.1%), alignment(1) 31.856 vs
31.843 (0.04%) on the bias column, 2.098 vs 2.132 and 37.69 vs 36.97 (≈ 2%) on
sliced column 1. The authors'-code re-run figures (1.7624, 31.857, 2.098, 37.69
and the controls 1.661 / 1.657 / −0.43) are those of this short chain to every
digit quoted, while the published table is the full sweep's; so λ = 1 is
checked against both: the issue's tolerance around the published value, and a
tight one around the authors'-code value.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from platform_abm.cli import main
from platform_abm.common.learners import single_threaded_blas
from platform_abm.platform.reproduce import fig2
from platform_abm.platform.reproduce import fig2_notebook as nb

credit_slow = [pytest.mark.credit, pytest.mark.slow]

# Authors' figures are quoted to 4–5 significant digits; 5e-4 relative covers the
# rounding of the shortest (2.098: ±2.4e-4) plus float32 summation-order effects
# (the notebook's row order is an unseeded shuffle; two other shuffles of ours move
# these numbers by < 1e-6 relative; the authors' framework differs by ≤ 3e-5).
AUTHORS_RTOL = 5e-4


def scaled_schedule(factor: float) -> nb.Schedule:
    """The notebook schedule with every iteration count scaled by ``factor`` (≥ 1 each).

    Step sizes are unchanged; the small-λ breakpoints are scaled too.
    """
    base = nb.Schedule()

    def scale(k: int) -> int:
        return max(1, round(k * factor))

    return replace(
        base,
        learner_steps=scale(base.learner_steps),
        sharp_iterations=scale(base.sharp_iterations),
        small_iterations=scale(base.small_iterations),
        small_lrs=tuple((0 if s == 0 else scale(s), lr) for s, lr in base.small_lrs),
        star_rounds=scale(base.star_rounds),
        star_x_steps=scale(base.star_x_steps),
    )


def _tiny(n: int = 7, d: int = 4, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (rng.random(n) < 0.5).astype(np.float32)
    theta = rng.normal(size=d).astype(np.float32)
    return X, y, theta


def _grad_loss64(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
    sig = 1 / (1 + np.exp(-(X @ theta)))
    return X.T @ (sig - y) / len(y)


def _utility64(X: np.ndarray, y: np.ndarray, theta: np.ndarray, lam: float) -> float:
    z = X @ theta
    return float(np.mean(np.logaddexp(0, z) - y * z) - lam * theta @ theta)


def _jacobian64(X: np.ndarray, y: np.ndarray, theta: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """J[k, i, f] = ∂(∇θL)_k / ∂X[i, f] by central differences in float64."""
    X, theta = X.astype(float), theta.astype(float)
    n, d = X.shape
    J = np.empty((d, n, d))
    for i in range(n):
        for f in range(d):
            up, down = X.copy(), X.copy()
            up[i, f] += eps
            down[i, f] -= eps
            J[:, i, f] = (_grad_loss64(up, y, theta) - _grad_loss64(down, y, theta)) / (2 * eps)
    return J


def test_sharp_schedule_is_the_notebooks():
    # λ < 0.03: 500 iterations, lr 20 for i ≤ 200, then 10, 1, 0.1 after 200, 300, 400
    steps = nb.Schedule().sharp_steps(0.0)
    assert len(steps) == 500
    assert steps[:201] == [20.0] * 201 and steps[201:301] == [10.0] * 100
    assert steps[301:401] == [1.0] * 100 and steps[401:] == [0.1] * 99
    assert nb.Schedule().sharp_steps(0.03) == [0.05] * 200
    assert len(nb.Schedule().sharp_steps(0.0299)) == 500
    assert nb.LAMBDAS == tuple(np.linspace(0, 1, 10))


def test_correction_contracts_j_over_its_data_feature_index():
    X, y, theta = _tiny()
    terms = nb.implicit_terms(X, y, theta, lam=0.7)
    J = _jacobian64(X, y, theta)
    v = terms.direction.astype(float)
    notebook = np.einsum("kif,f->ik", J, v)  # what the notebook's einsum('ijk,k->ij').T does
    paper = np.einsum("kif,k->if", J, v)
    got = nb.correction(X, theta, terms)
    np.testing.assert_allclose(got, notebook, rtol=1e-4, atol=1e-7)  # float32 vs float64
    assert not np.allclose(got, paper, rtol=1e-2)  # the two contractions really differ
    assert nb.alignment(X, y, theta, 0.7) == pytest.approx(float(np.sum(notebook**2)), rel=1e-4)


def test_direction_is_pinv_hessian_times_utility_gradient():
    X, y, theta = _tiny()
    terms = nb.implicit_terms(X, y, theta, lam=0.3)
    Xd, td = X.astype(float), theta.astype(float)
    sig = 1 / (1 + np.exp(-(Xd @ td)))
    H = (Xd.T * (sig * (1 - sig))) @ Xd / len(y)
    grad_u = _grad_loss64(Xd, y, td) - 2 * 0.3 * td
    np.testing.assert_allclose(terms.direction, np.linalg.pinv(H) @ grad_u, rtol=1e-4)


def test_leader_gradient_is_direct_minus_implicit_term():
    X, y, theta = _tiny()
    lam, col, eps = 0.4, 2, 1e-6
    direct = np.empty(len(y))
    for i in range(len(y)):
        up, down = X.astype(float), X.astype(float)
        up[i, col] += eps
        down[i, col] -= eps
        direct[i] = (_utility64(up, y, theta, lam) - _utility64(down, y, theta, lam)) / (2 * eps)
    v = nb.implicit_terms(X, y, theta, lam).direction.astype(float)
    expected = direct - np.einsum("kif,f->ik", _jacobian64(X, y, theta), v)[:, col]
    got = nb.leader_gradient(X, y, theta, lam, col)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-7)


def test_gradient_descent_is_plain_gd_on_the_mean_loss():
    X, y, _ = _tiny(n=50, d=3)
    theta = np.ones(3)
    for _ in range(30):
        theta = theta - 0.1 * _grad_loss64(X.astype(float), y, theta)
    got = nb.gradient_descent(np.asfortranarray(X), y, np.ones(3, np.float32), 30, 0.1)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, theta, rtol=1e-5)


def test_selfish_equilibrium_edits_only_its_column_in_place():
    X, y, _ = _tiny(n=40, d=3)
    X = np.asfortranarray(X)
    before = X.copy()
    schedule = scaled_schedule(0.02)
    theta = nb.selfish_equilibrium(X, y, 1, schedule)
    assert not np.array_equal(X[:, 1], before[:, 1])
    np.testing.assert_array_equal(np.delete(X, 1, axis=1), np.delete(before, 1, axis=1))
    # the column moves along the gradient of the mean loss: the loss goes up
    assert nb.mean_loss(X, y, theta) > nb.mean_loss(before, y, theta)


@pytest.mark.slow
def test_parallel_curves_are_bit_identical_to_serial():
    rng = np.random.default_rng(0)
    X = nb.sliced_matrix(np.column_stack([rng.normal(size=(3000, 10)), np.ones(3000)]))
    y = (rng.random(3000) < 0.4).astype(np.float32)
    curves = list(nb.CURVES.values())
    schedule = scaled_schedule(0.03)
    args = (X, y, curves, (0.0, 1.0), schedule, True)
    serial = nb.sweep_curves(*args, workers=1)
    parallel = nb.sweep_curves(*args, workers=2)
    assert nb.identical(parallel, serial)
    assert all(np.isfinite(p.b_no_edits) for p in serial)  # the controls ran too
    shifted = [replace(p, benefit=float(np.nextafter(p.benefit, np.inf))) for p in serial]
    assert not nb.identical(shifted, serial)  # one ulp is a difference


@pytest.fixture(scope="module")
def chain(credit):
    """The notebook's λ ∈ {0, 1} chain: the bias curve whole (≈ 20 s), sliced column 1 at λ = 1.

    Sliced column 1 is tested at λ = 1 only, so its chain skips the λ = 0 h♯
    (500 iterations) and keeps what λ = 1 depends on: the λ = 0 h*, which edits
    the shared matrix in place; a sweep started from that matrix then computes
    exactly the chain's λ = 1 point.
    """
    X, y = nb.sliced_matrix(credit.X), credit.y.astype(np.float32)
    col1 = nb.CURVES["col1"]
    with single_threaded_blas():
        points = nb.sweep(X, y, nb.CURVES["bias"], (0.0, 1.0))
        edited = X.copy(order="F")
        nb.selfish_equilibrium(edited, y, col1.column)
        points += nb.sweep(edited, y, col1, (1.0,))
    return {(p.feature, p.lam): p for p in points}


@pytest.mark.credit
@pytest.mark.slow
def test_bias_column_at_lambda_zero_is_the_published_table(chain):
    p = chain["bias", 0.0]
    assert p.u_star == pytest.approx(0.625213, abs=1e-4)  # the tolerance
    assert p.benefit == pytest.approx(0.0135, rel=0.2)  # the tolerance
    # U(h♯)(0) = U(h*)(0) + B(0): the two tolerances above imply this one
    assert p.u_sharp == pytest.approx(0.638714, abs=1e-4 + 0.2 * 0.0135)
    assert p.alignment < 1e-6  # published 1.3e-11: float32 round-off around zero


@pytest.mark.credit
@pytest.mark.slow
def test_bias_column_at_lambda_one(chain):
    p = chain["bias", 1.0]
    # the issue: within 3% of the published 1.7606 and 31.843 (the chain's 0.1% is inside)
    assert p.benefit == pytest.approx(1.7606, rel=0.03)
    assert p.alignment == pytest.approx(31.843, rel=0.03)
    assert p.benefit == pytest.approx(1.7624, rel=AUTHORS_RTOL)  # authors' code re-run
    assert p.alignment == pytest.approx(31.857, rel=AUTHORS_RTOL)
    # B's 3% in absolute terms (0.053) for the two utilities it is the difference of
    assert p.u_star == pytest.approx(-5.22634, abs=0.053)
    assert p.u_sharp == pytest.approx(-3.46572, abs=0.053)


@pytest.mark.credit
@pytest.mark.slow
def test_sliced_column_one_at_lambda_one(chain):
    p = chain["col1", 1.0]
    assert p.benefit == pytest.approx(2.098, rel=0.05)  # the tolerance
    assert p.alignment == pytest.approx(37.69, rel=0.05)
    assert p.benefit == pytest.approx(2.098, rel=AUTHORS_RTOL)
    assert p.alignment == pytest.approx(37.69, rel=AUTHORS_RTOL)


@pytest.mark.credit
@pytest.mark.slow
def test_benefit_at_lambda_one_is_the_learner_budget_gap(chain, credit):
    p = chain["bias", 1.0]
    # the authors' code re-run: ||θ*||² = 5.852, ||θ♯||² = 4.109 (quoted to 4 digits)
    assert p.norm2_theta_star == pytest.approx(5.852, rel=1e-3)
    assert p.norm2_theta_sharp == pytest.approx(4.109, rel=1e-3)
    assert (p.norm2_theta_star - p.norm2_theta_sharp) / p.benefit > 0.95  # 1.743 of 1.762
    X, y = nb.sliced_matrix(credit.X), credit.y.astype(np.float32)
    with single_threaded_blas():
        controls = nb.budget_controls(X, y, 1.0, nb.CURVES["bias"].column)
    # the re-run's controls, quoted to 3–4 digits (1.661, 1.657) and 2 digits (−0.43)
    assert controls.u_sharp_clean - p.u_star == pytest.approx(1.661, rel=1e-3)
    assert controls.u_no_edits - p.u_star == pytest.approx(1.657, rel=1e-3)
    assert controls.u_sharp_clean_warm - p.u_star == pytest.approx(-0.43, abs=0.005)


@pytest.mark.credit
@pytest.mark.slow
def test_paper_variant_important_feature_aligns_more(credit):
    # the paper's claim, with the paper's semantics: 'age' aligns more than '#dependents'
    with single_threaded_blas():
        age, dep = fig2.paper_points(credit.X, credit.y, [1.0], ["age", "#dependents"])
    assert age.alignment > dep.alignment > 0
    assert age.benefit > 0 and dep.benefit > 0


@pytest.mark.credit
def test_run_writes_figure_table_and_summary(credit, tmp_path, monkeypatch):
    # the full procedure is checked above; here a scaled-down schedule drives run() end to end
    small = scaled_schedule(0.02)
    monkeypatch.setattr(nb, "Schedule", lambda: small)
    summary = fig2.run(tmp_path / "o", variant="notebook", quick=True, diagnose=True,
                       progress=False)  # fmt: skip
    files = sorted(f.name for f in (tmp_path / "o").iterdir())
    assert files == ["fig2_notebook.csv", "fig2_notebook.png", "summary.json"]
    names = [h["name"] for h in summary["headlines"]]
    assert "bias: U(h*) at λ=0" in names and "bias: B with no edits at all, λ=1" in names
    assert summary["settings"]["features"] == {
        "bias": {"sliced_column": 9, "label": nb.CURVES["bias"].label}
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["--variant", "notebook", "--feature", "age"],
        ["--variant", "paper", "--feature", "col1"],
        ["--variant", "paper", "--diagnose"],
        ["--variant", "notebook", "--seeds", "2"],
    ],
)
def test_bad_input_exits_2_and_writes_nothing(argv, tmp_path, capsys):
    out = tmp_path / "o"
    code = main(["reproduce", "fig2", *argv, "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and argv[2] in err and "Traceback" not in err
    assert not out.exists()
