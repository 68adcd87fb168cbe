"""Figure 2 as the authors' notebook computes it, step for step, in float32 numpy.

The procedure (described in full in ``docs/reproductions/fig2.md``):

* data: the 10-column matrix of the notebook, i.e. the 11-column credit matrix
  with column 0 (RevolvingUtilization) dropped, so the bias is column 9;
  everybody is in the collective and edits one column;
* learner: plain gradient descent on the mean logistic loss, step 0.1, 200
  steps per call, no penalty, no separate intercept;
* λ runs over ``linspace(0, 1, 10)`` in order; for each λ, first h♯, then h*:

  - h♯ (:func:`stackelberg`): gradient ascent on the edited column of every
    user with the notebook's implicit-function gradient, θ♯ re-solved by 200
    steps from θ = ones at every iteration, on a copy of the shared matrix;
  - h* (:func:`selfish_equilibrium`): 200 rounds of (200 warm-started learner
    steps, 200 ascent steps of size 2 on the column along the gradient of the
    mean loss), written **in place** into the shared matrix, which the next λ
    starts from;

* B = u(X♯, θ♯) − u(X*, θ*) with u = mean logistic loss − λ||θ||², and the
  alignment ||J·H⁺∇θu||²_F at (X*, θ*), J contracted over its data-feature
  index as the notebook does.

Everything is float32, the notebook framework's default dtype. Each learner
step is two passes over the n × 10 matrix (kept in column-major order so that
both matrix–vector products run at full speed) and one ``tanh``:
2(σ(z) − y) = tanh(z/2) + 1 − 2y. The two curves are independent chains and
:func:`sweep_curves` can run them in separate processes; with BLAS pinned to
one thread in every path the numbers are bit-for-bit those of the serial path.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit

from platform_abm.common.errors import SimulationError
from platform_abm.common.learners import single_threaded_blas

Array = np.ndarray
Advance = Callable[[int], None] | None

FLOAT = np.float32
#: λ grid of the notebook, swept in this order (edits carry over from one λ to the next).
LAMBDAS: tuple[float, ...] = tuple(float(v) for v in np.linspace(0, 1, 10))
#: Below this λ the notebook's h♯ uses its long, large-step schedule.
SMALL_LAMBDA = 0.03
#: Relative cut-off of the pseudo-inverse: max(m, n)·eps, the notebook framework's default.
PINV_RCOND = 10 * float(np.finfo(FLOAT).eps)


@dataclass(frozen=True)
class Curve:
    """One curve of the notebook variant.

    Attributes:
        name: Name on the command line (``--feature``).
        column: Edited column of the 10-column (sliced) matrix.
        label: What the column really is, for tables and plots.
        note: How the curve relates to the published figure.
    """

    name: str
    column: int
    label: str
    note: str


CURVES: dict[str, Curve] = {
    "bias": Curve(
        "bias",
        9,
        "bias column (sliced 9; published as 'age')",
        "reproduces the published table, which the paper labels 'age'",
    ),
    "col1": Curve(
        "col1",
        1,
        "NumberOfTime30-59DaysPastDueNotWorse (sliced 1)",
        "the notebook's default index 1, which is 'age' only in the 11-column numbering",
    ),
}


@dataclass(frozen=True)
class Schedule:
    """Iteration counts and step sizes of the notebook procedure (defaults: the notebook's).

    Attributes:
        learner_steps: Gradient steps per learner call.
        learner_lr: Learner step size.
        sharp_iterations: h♯ iterations when λ ≥ :data:`SMALL_LAMBDA`.
        sharp_lr: h♯ step size when λ ≥ :data:`SMALL_LAMBDA`.
        small_iterations: h♯ iterations when λ < :data:`SMALL_LAMBDA`.
        small_lrs: h♯ step sizes when λ < :data:`SMALL_LAMBDA`, as (first
            iteration, step) pairs: 20, then 10, 1 and 0.1 after iterations
            200, 300 and 400.
        star_rounds: Alternating rounds of h*.
        star_x_steps: Ascent steps on the column per h* round.
        star_x_lr: Step size of those ascent steps.
    """

    learner_steps: int = 200
    learner_lr: float = 0.1
    sharp_iterations: int = 200
    sharp_lr: float = 0.05
    small_iterations: int = 500
    small_lrs: tuple[tuple[int, float], ...] = ((0, 20.0), (201, 10.0), (301, 1.0), (401, 0.1))
    star_rounds: int = 200
    star_x_steps: int = 200
    star_x_lr: float = 2.0

    def sharp_steps(self, lam: float) -> list[float]:
        """The h♯ step size of every iteration at this λ."""
        if lam >= SMALL_LAMBDA:
            return [self.sharp_lr] * self.sharp_iterations
        steps = []
        for i in range(self.small_iterations):
            steps.append(next(lr for start, lr in reversed(self.small_lrs) if i >= start))
        return steps

    def units(self, lam: float, diagnose: bool) -> int:
        """Progress units (h♯ iterations plus h* rounds) of one λ."""
        sharp = len(self.sharp_steps(lam))
        return sharp * (3 if diagnose else 1) + self.star_rounds


def sliced_matrix(X: Array) -> Array:
    """The notebook's data matrix: column 0 dropped, float32, column-major.

    Args:
        X: The 11-column credit matrix (bias last).

    Returns:
        The (n, 10) float32 matrix, bias in column 9.
    """
    return np.asfortranarray(X[:, 1:], dtype=FLOAT)


# --------------------------------------------------------------------------- the maths


def gradient_descent(X: Array, y: Array, theta0: Array, steps: int, lr: float) -> Array:
    """Plain gradient descent on the mean logistic loss (no penalty), in float32.

    Args:
        X: Features, (n, d) float32 (column-major is fastest).
        y: Labels in {0, 1}, float32.
        theta0: Starting parameters (not modified).
        steps: Number of steps.
        lr: Step size.

    Returns:
        The parameters after ``steps`` steps.
    """
    n = X.shape[0]
    shift = FLOAT(1) - FLOAT(2) * y  # 2(σ(z) − y) = tanh(z/2) + 1 − 2y
    theta = np.array(theta0, dtype=FLOAT)
    half = np.empty_like(theta)
    grad = np.empty_like(theta)
    z = np.empty(n, dtype=FLOAT)
    scale = FLOAT(lr / (2 * n))
    for _ in range(steps):
        np.multiply(theta, FLOAT(0.5), out=half)
        np.dot(X, half, out=z)
        np.tanh(z, out=z)
        z += shift
        np.dot(z, X, out=grad)
        grad *= scale
        theta -= grad
    return theta


def mean_loss(X: Array, y: Array, theta: Array) -> float:
    """Mean logistic loss, computed stably in float32."""
    z = X @ theta.astype(FLOAT)
    return float(np.mean(np.logaddexp(FLOAT(0), z) - y * z, dtype=FLOAT))


def utility(X: Array, y: Array, theta: Array, lam: float) -> float:
    """The collective's utility u = mean logistic loss − λ||θ||² (float32)."""
    theta = theta.astype(FLOAT)
    return float(FLOAT(mean_loss(X, y, theta)) - FLOAT(lam) * np.dot(theta, theta))


@dataclass(frozen=True)
class ImplicitTerms:
    """The pieces of the notebook's implicit-function gradient at (X, θ).

    Attributes:
        residual: σ(x_i·θ) − y_i per user.
        curvature: σ(1 − σ) per user.
        direction: v = H⁺∇θu, H the Hessian of the mean loss, H⁺ its pseudo-inverse.
    """

    residual: Array
    curvature: Array
    direction: Array


def implicit_terms(X: Array, y: Array, theta: Array, lam: float) -> ImplicitTerms:
    """Residuals, curvatures and v = H⁺∇θu at (X, θ), in float32.

    Args:
        X: Features (n, d).
        y: Labels.
        theta: Parameters.
        lam: Weight of the −λ||θ||² term of the utility.

    Returns:
        The terms.
    """
    n = X.shape[0]
    sig = expit(X @ theta)
    residual = sig - y
    curvature = sig * (FLOAT(1) - sig)
    root = X * np.sqrt(curvature)[:, None]  # H = Σ_i σ'_i x_i x_iᵀ / n = rootᵀ root / n
    hessian = root.T @ root / FLOAT(n)
    grad_u = residual @ X / FLOAT(n) - FLOAT(2 * lam) * theta
    direction = np.linalg.pinv(hessian, rcond=PINV_RCOND) @ grad_u
    return ImplicitTerms(residual, curvature, direction.astype(FLOAT))


def correction(X: Array, theta: Array, terms: ImplicitTerms, columns: Any = slice(None)) -> Array:
    """The notebook's implicit term J·H⁺∇θu, entries (i, k) for k in ``columns``.

    J[k, i, f] = ∂(∇θL)_k/∂X[i, f] = (σ'_i θ_f X[i, k] + r_i δ_kf)/n. The
    notebook contracts J with v over f (the data-feature index), which gives
    (σ'_i X[i, k] (θ·v) + r_i v_k)/n; the paper's derivation contracts over k.

    Args:
        X: Features (n, d).
        theta: Parameters.
        terms: :func:`implicit_terms` at (X, θ).
        columns: Which k to return (default all).

    Returns:
        The (n, len(columns)) matrix, or a vector for an integer ``columns``.
    """
    n = X.shape[0]
    tv = FLOAT(np.dot(theta, terms.direction))
    cols = X[:, columns]
    cur = terms.curvature if cols.ndim == 1 else terms.curvature[:, None]
    res = terms.residual if cols.ndim == 1 else terms.residual[:, None]
    return (cur * cols * tv + res * terms.direction[columns]) / FLOAT(n)


def leader_gradient(X: Array, y: Array, theta: Array, lam: float, column: int) -> Array:
    """The notebook's gradient of u in the edited column: ∂u/∂x_c − (J·H⁺∇θu)[:, c].

    Args:
        X: Features (n, d).
        y: Labels.
        theta: The learner's parameters at X.
        lam: Utility weight λ.
        column: Edited column.

    Returns:
        One entry per user.
    """
    terms = implicit_terms(X, y, theta, lam)
    direct = terms.residual * (theta[column] / FLOAT(X.shape[0]))
    return direct - correction(X, theta, terms, column)


def alignment(X: Array, y: Array, theta: Array, lam: float) -> float:
    """The notebook's alignment: squared Frobenius norm of the n × d matrix J·H⁺∇θu."""
    matrix = correction(X, theta, implicit_terms(X, y, theta, lam))
    return float(np.linalg.norm(matrix) ** 2)


def stackelberg(
    X0: Array,
    y: Array,
    lam: float,
    column: int,
    schedule: Schedule = Schedule(),
    warm: bool = False,
    advance: Advance = None,
) -> tuple[Array, Array]:
    """The notebook's h♯: gradient ascent on one column through the learner's response.

    At every iteration θ♯ is fitted by ``learner_steps`` steps from θ = ones
    (``warm=True``: from the previous iteration's θ♯, a control), then the
    column moves along :func:`leader_gradient`. As in the notebook, the
    returned θ♯ is the one fitted before the last move of the column.

    Args:
        X0: Starting features (not modified).
        y: Labels.
        lam: Utility weight λ.
        column: Edited column.
        schedule: Iterations and step sizes.
        warm: Warm-start θ♯ across iterations instead of restarting from ones.
        advance: Called with 1 after every iteration (progress).

    Returns:
        The edited features X♯ and θ♯.
    """
    X = np.array(X0, dtype=FLOAT, order="F")
    ones = np.ones(X.shape[1], dtype=FLOAT)
    theta = ones
    for lr in schedule.sharp_steps(lam):
        start = theta if warm else ones
        theta = gradient_descent(X, y, start, schedule.learner_steps, schedule.learner_lr)
        X[:, column] += FLOAT(lr) * leader_gradient(X, y, theta, lam, column)
        if advance is not None:
            advance(1)
    return X, theta


def selfish_equilibrium(
    X: Array, y: Array, column: int, schedule: Schedule = Schedule(), advance: Advance = None
) -> Array:
    """The notebook's h*, editing ``X`` in place; returns θ*.

    ``star_rounds`` rounds of (``learner_steps`` warm-started learner steps from
    θ = ones, then ``star_x_steps`` ascent steps of size ``star_x_lr`` on the
    column along the gradient of the mean loss, (σ_i − y_i)θ_c/n per user, no
    cost term). The −λ||θ||² term does not depend on X, so h* does not depend
    on λ. As in the notebook, θ* is the fit before the last ascent phase.

    Args:
        X: Features, float32 column-major; edited in place.
        y: Labels.
        column: Edited column.
        schedule: Iterations and step sizes.
        advance: Called with 1 after every round (progress).

    Returns:
        θ*.
    """
    n = X.shape[0]
    shift = FLOAT(1) - FLOAT(2) * y
    edited = X[:, column]
    if not np.shares_memory(edited, X):
        raise SimulationError("selfish_equilibrium needs a column view of X to edit in place")
    theta = np.ones(X.shape[1], dtype=FLOAT)
    t = np.empty(n, dtype=FLOAT)
    for _ in range(schedule.star_rounds):
        theta = gradient_descent(X, y, theta, schedule.learner_steps, schedule.learner_lr)
        others = theta * FLOAT(0.5)
        others[column] = 0
        base = X @ others  # half the score of the other columns
        tc_half = FLOAT(theta[column] * FLOAT(0.5))
        step = FLOAT(schedule.star_x_lr * theta[column] / (2 * n))
        for _ in range(schedule.star_x_steps):
            np.multiply(edited, tc_half, out=t)
            t += base
            np.tanh(t, out=t)
            t += shift  # 2(σ − y)
            t *= step
            edited += t
        if advance is not None:
            advance(1)
    return theta


# --------------------------------------------------------------------------- the sweep

NAN = float("nan")


@dataclass(frozen=True)
class Controls:
    """Utilities of the budget-matched controls at one λ (see :func:`budget_controls`).

    Attributes:
        u_sharp_clean: U of h♯ started from the clean data (θ♯ from ones, as h♯).
        u_no_edits: U of the clean data with θ fitted by one learner call from ones.
        u_sharp_clean_warm: U of h♯ from the clean data with θ♯ warm-started
            across iterations, as θ* is in h*.
    """

    u_sharp_clean: float
    u_no_edits: float
    u_sharp_clean_warm: float


def budget_controls(
    clean: Array,
    y: Array,
    lam: float,
    column: int,
    schedule: Schedule = Schedule(),
    u_sharp_clean: float | None = None,
    advance: Advance = None,
) -> Controls:
    """The controls that show what B is made of at one λ.

    θ* gets ``star_rounds × learner_steps`` warm-started learner steps, θ♯ only
    ``learner_steps`` from ones: the controls separate that difference in
    learner budget from the effect of the edits.

    Args:
        clean: The clean (never edited) sliced matrix.
        y: Labels.
        lam: Utility weight λ.
        column: Edited column.
        schedule: Iterations and step sizes.
        u_sharp_clean: U of h♯ from the clean data when already known (at the
            first λ of a sweep h♯ itself starts from the clean data).
        advance: Progress callback (one unit per h♯ iteration).

    Returns:
        The three control utilities.
    """
    if u_sharp_clean is None:
        Xc, tc = stackelberg(clean, y, lam, column, schedule, advance=advance)
        u_sharp_clean = utility(Xc, y, tc, lam)
    else:
        _advance(advance, len(schedule.sharp_steps(lam)))
    Xw, tw = stackelberg(clean, y, lam, column, schedule, warm=True, advance=advance)
    ones = np.ones(clean.shape[1], dtype=FLOAT)
    theta_plain = gradient_descent(clean, y, ones, schedule.learner_steps, schedule.learner_lr)
    return Controls(
        u_sharp_clean=u_sharp_clean,
        u_no_edits=utility(clean, y, theta_plain, lam),
        u_sharp_clean_warm=utility(Xw, y, tw, lam),
    )


@dataclass
class CurvePoint:
    """One (curve, λ) point of figure 2, in either variant: the utilities, B and the alignment.

    Attributes:
        feature: The curve's name.
        column: The edited column.
        lam: λ.
        u_sharp: U(h♯).
        u_star: U(h*).
        benefit: B = U(h♯) − U(h*).
        alignment: The variant's alignment.
    """

    feature: str
    column: int
    lam: float
    u_sharp: float
    u_star: float
    benefit: float
    alignment: float


@dataclass
class Point(CurvePoint):
    """One (curve, λ) point of the notebook variant: the shared fields and B's decomposition.

    ``benefit`` = ``u_sharp`` − ``u_star`` = (``loss_sharp`` − ``loss_star``) +
    λ(``norm2_theta_star`` − ``norm2_theta_sharp``). The ``b_*`` controls
    (each control's U minus U(h*), see :class:`Controls`) are NaN unless the
    sweep ran with ``diagnose``. ``seconds`` and ``cpu_seconds`` are the wall
    and CPU time of this λ (CPU time of the process that ran it).
    """

    loss_sharp: float
    loss_star: float
    norm2_theta_sharp: float
    norm2_theta_star: float
    theta_star_column: float
    mean_abs_edit_star: float
    b_sharp_clean: float = NAN
    b_no_edits: float = NAN
    b_sharp_clean_warm: float = NAN
    seconds: float = NAN
    cpu_seconds: float = NAN


_TIMES = ("seconds", "cpu_seconds")


@dataclass(frozen=True)
class _Sweep:
    curve: Curve
    lambdas: tuple[float, ...]
    schedule: Schedule = field(default_factory=Schedule)
    diagnose: bool = False


def _gap(u: float, u_star: float) -> float:
    return float(FLOAT(u) - FLOAT(u_star))


def sweep(
    X: Array,
    y: Array,
    curve: Curve,
    lambdas: Sequence[float] = LAMBDAS,
    schedule: Schedule = Schedule(),
    diagnose: bool = False,
    advance: Advance = None,
) -> list[Point]:
    """One curve of figure 2, λ after λ, the h* edits carried from one λ to the next.

    Args:
        X: The sliced float32 matrix (:func:`sliced_matrix`); not modified.
        y: Labels (float32).
        curve: Which column to edit.
        lambdas: λ values, run in this order.
        schedule: Iterations and step sizes.
        diagnose: Also run :func:`budget_controls` at every λ.
        advance: Progress callback (see :meth:`Schedule.units`).

    Returns:
        One point per λ.
    """
    clean = np.asfortranarray(X, dtype=FLOAT)
    y = np.asarray(y, dtype=FLOAT)
    shared = clean.copy(order="F")
    col = curve.column
    out = []
    for lam in lambdas:
        lam = float(lam)
        started, cpu_started = time.perf_counter(), time.process_time()
        untouched = np.array_equal(shared, clean)
        X_sharp, theta_sharp = stackelberg(shared, y, lam, col, schedule, advance=advance)
        u_sharp = utility(X_sharp, y, theta_sharp, lam)
        controls = None
        if diagnose:
            known = u_sharp if untouched else None
            controls = budget_controls(clean, y, lam, col, schedule, known, advance)
        theta_star = selfish_equilibrium(shared, y, col, schedule, advance=advance)
        u_star = utility(shared, y, theta_star, lam)
        point = Point(
            feature=curve.name,
            column=col,
            lam=lam,
            u_sharp=u_sharp,
            u_star=u_star,
            benefit=_gap(u_sharp, u_star),
            alignment=alignment(shared, y, theta_star, lam),
            loss_sharp=mean_loss(X_sharp, y, theta_sharp),
            loss_star=mean_loss(shared, y, theta_star),
            norm2_theta_sharp=float(np.dot(theta_sharp, theta_sharp)),
            norm2_theta_star=float(np.dot(theta_star, theta_star)),
            theta_star_column=float(theta_star[col]),
            mean_abs_edit_star=float(np.mean(np.abs(shared[:, col] - clean[:, col]))),
        )
        if controls is not None:
            point.b_sharp_clean = _gap(controls.u_sharp_clean, u_star)
            point.b_no_edits = _gap(controls.u_no_edits, u_star)
            point.b_sharp_clean_warm = _gap(controls.u_sharp_clean_warm, u_star)
        point.seconds = time.perf_counter() - started
        point.cpu_seconds = time.process_time() - cpu_started
        out.append(point)
    return out


def _advance(advance: Advance, k: int) -> None:
    if advance is not None:
        advance(k)


# --------------------------------------------------------------------------- several curves

_QUEUE: Any = None
_BATCH = 10  # progress units per message from a worker


def _init_worker(progress_queue: Any) -> None:
    global _QUEUE
    _QUEUE = progress_queue


def _run_job(X: Array, y: Array, job: _Sweep) -> list[Point]:
    pending = [0]

    def advance(k: int) -> None:
        pending[0] += k
        if pending[0] >= _BATCH and _QUEUE is not None:
            _QUEUE.put(pending[0])
            pending[0] = 0

    with single_threaded_blas():
        points = sweep(X, y, job.curve, job.lambdas, job.schedule, job.diagnose, advance)
    if pending[0] and _QUEUE is not None:
        _QUEUE.put(pending[0])
    return points


def sweep_curves(
    X: Array,
    y: Array,
    curves: Sequence[Curve],
    lambdas: Sequence[float] = LAMBDAS,
    schedule: Schedule = Schedule(),
    diagnose: bool = False,
    workers: int = 1,
    advance: Advance = None,
) -> list[Point]:
    """Several curves, each its own chain; in parallel processes when ``workers`` > 1.

    BLAS runs on one thread in every path, so the parallel numbers are
    bit-for-bit those of the serial path.

    Args:
        X: The sliced float32 matrix (:func:`sliced_matrix`).
        y: Labels.
        curves: The curves.
        lambdas: λ values, in order.
        schedule: Iterations and step sizes.
        diagnose: Run the budget-matched controls (see :func:`sweep`).
        workers: Number of processes (1: this process).
        advance: Progress callback, called with the units finished.

    Returns:
        The points of every curve, curve after curve.
    """
    X = np.asfortranarray(X, dtype=FLOAT)
    y = np.asarray(y, dtype=FLOAT)
    jobs = [_Sweep(c, tuple(float(v) for v in lambdas), schedule, diagnose) for c in curves]
    if workers <= 1 or len(jobs) <= 1:
        out: list[Point] = []
        with single_threaded_blas():
            for job in jobs:
                out += sweep(X, y, job.curve, job.lambdas, job.schedule, job.diagnose, advance)
        return out
    context = multiprocessing.get_context("spawn")
    progress_queue = context.Queue()
    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)),
            mp_context=context,
            initializer=_init_worker,
            initargs=(progress_queue,),
        ) as pool:
            futures = [pool.submit(_run_job, X, y, job) for job in jobs]
            while not all(f.done() for f in futures):
                try:
                    done = progress_queue.get(timeout=0.2)
                except queue_module.Empty:
                    continue
                _advance(advance, done)
            results = [f.result() for f in futures]
    except BrokenProcessPool as exc:
        raise SimulationError(f"a figure-2 worker process died: {exc}") from exc
    while True:
        try:
            _advance(advance, progress_queue.get_nowait())
        except queue_module.Empty:
            break
    progress_queue.close()
    return [p for points in results for p in points]


def identical(a: Sequence[Point], b: Sequence[Point]) -> bool:
    """Whether two runs gave bit-for-bit the same numbers (NaN equal to NaN; wall times ignored)."""
    if len(a) != len(b):
        return False
    for p, q in zip(a, b, strict=True):
        left = {k: v for k, v in asdict(p).items() if k not in _TIMES}
        right = {k: v for k, v in asdict(q).items() if k not in _TIMES}
        for key, value in left.items():
            other = right[key]
            if isinstance(value, float):
                if not np.array_equal(value, other, equal_nan=True):
                    return False
            elif value != other:
                return False
    return True


def total_units(lambdas: Sequence[float], schedule: Schedule, diagnose: bool, curves: int) -> int:
    """Progress units of a whole run (for a progress bar's total)."""
    return curves * sum(schedule.units(float(lam), diagnose) for lam in lambdas)
