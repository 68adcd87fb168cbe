"""The public notebooks' collective solver: Adam on the data through unrolled gradient descent.

The notebooks of the paper let the platform's learner be a fixed number of
full-batch gradient steps on the (unregularised) logistic loss, started from
θ0 = 0, and let the collective optimise its members' reported values of one
column with Adam, differentiating the members' utility *through* the unrolled
learner. This module does the same in numpy, with the reverse pass through the
unrolled learner written by hand:

* forward: θ_{t+1} = θ_t − s_t ∇L(θ_t; X), L the weighted mean logistic loss
  (plus an optional ridge term), for t = 0..T−1;
* reverse: with θ̄_T = ∂U/∂θ_T, for t = T−1..0
  X̄ += −s_t ∂(θ̄_{t+1}·∇L(θ_t; X))/∂X  and  θ̄_t = θ̄_{t+1} − s_t H_t θ̄_{t+1},
  where H_t is the Hessian of L at θ_t. The per-sample term of the first line is
  the learner's mixed vector–Jacobian product.

Several independent problems that share the base features (different member
sets, seeds or collective sizes) are solved together as a batch, which turns
most matrix–vector products into matrix–matrix products.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg.blas import get_blas_funcs

from platform_abm.common.errors import InputError, SimulationError
from platform_abm.platform.user_utility import Utility

Array = np.ndarray

StepRule = Callable[[int], float]


def notebook_step(i: int) -> float:
    """Step size of the figure-3 notebook at iteration ``i``: max(1e-3, 1/(i+1))."""
    return max(1e-3, 1.0 / (i + 1))


@dataclass(frozen=True)
class _ConstantStep:
    """The step rule i ↦ lr (a picklable callable, so learners can go to worker processes)."""

    lr: float

    def __call__(self, i: int) -> float:
        return self.lr


def constant_step(lr: float) -> StepRule:
    """A constant step-size rule (the figure-2 notebook uses lr = 0.1).

    Args:
        lr: The step size.

    Returns:
        A function of the iteration index returning ``lr``.
    """
    return _ConstantStep(float(lr))


def _sigmoid_into(z: Array, out: Array) -> Array:
    """σ(z) = ½ + ½·tanh(z/2) written into ``out`` (no temporaries, no overflow)."""
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    np.multiply(out, 0.5, out=out)
    np.add(out, 0.5, out=out)
    return out


@dataclass
class UnrolledGD:
    """Full-batch gradient descent on the logistic loss with a fixed step budget.

    Objective Σ_i w_i ℓ(x_i, y_i; θ) + (reg/2)||θ||², weights summing to one.

    Args:
        steps: Number of gradient steps T.
        step_rule: Step size as a function of the iteration index.
        reg: Ridge penalty (the notebooks use 0).
    """

    steps: int = 100
    step_rule: StepRule = notebook_step
    reg: float = 0.0

    def step_sizes(self) -> Array:
        """The T step sizes s_0..s_{T−1}."""
        return np.array([self.step_rule(i) for i in range(self.steps)], dtype=float)


@dataclass
class Trajectory:
    """Stored forward pass of a batch of unrolled learners.

    Attributes:
        thetas: Iterates θ_0..θ_T, shape (T+1, B, d).
        probs: Predicted probabilities σ(x_i·θ_t) for t < T, shape (T, B, n).
    """

    thetas: Array
    probs: Array

    @property
    def final(self) -> Array:
        """The learned parameters θ_T of every problem, shape (B, d)."""
        return self.thetas[-1]


def _scores_into(
    theta: Array, XT: Array, delta: Array, column: int, out: Array, tmp: Array
) -> Array:
    """x'_i·θ for every problem, θ X0ᵀ plus the column edit times θ_column, into ``out``."""
    np.matmul(theta, XT, out=out)
    np.multiply(delta, theta[:, column : column + 1], out=tmp)
    np.add(out, tmp, out=out)
    return out


def unrolled_forward(
    learner: UnrolledGD,
    X: Array,
    y: Array,
    delta: Array,
    column: int,
    weights: Array | None = None,
    theta0: Array | None = None,
) -> Trajectory:
    """Run the unrolled learner on a batch of edited data sets.

    Problem b trains on X with ``delta[b]`` added to column ``column``.

    Args:
        learner: Step budget, step rule and ridge penalty.
        X: Base features, shape (n, d).
        y: Labels, shape (n,).
        delta: Edits of the column, shape (B, n) (zero for non-members).
        column: Edited column.
        weights: Sample weights (normalised to one); uniform by default.
        theta0: Starting parameters, shape (d,); zero by default.

    Returns:
        The stored trajectory.
    """
    n, d = X.shape
    dt = X.dtype
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, float) / np.sum(weights)
    Xw = X * w.astype(dt)[:, None]  # weights folded into the gradient's matrix product
    delta_w = delta * w.astype(dt)
    XT = np.ascontiguousarray(X.T)
    batch = delta.shape[0]
    theta = np.zeros((batch, d), dt)
    if theta0 is not None:
        theta[:] = np.asarray(theta0, dt)
    sizes = learner.step_sizes()
    thetas = np.empty((learner.steps + 1, batch, d), dt)
    probs = np.empty((learner.steps, batch, n), dt)
    z = np.empty((batch, n), dt)
    tmp = np.empty((batch, n), dt)
    thetas[0] = theta
    for t, s in enumerate(sizes):
        _scores_into(theta, XT, delta, column, z, tmp)
        p = _sigmoid_into(z, probs[t])
        np.subtract(p, y, out=tmp)
        grad = tmp @ Xw
        grad[:, column] += np.einsum("bn,bn->b", tmp, delta_w)
        if learner.reg:
            grad += learner.reg * theta
        theta = theta - s * grad
        thetas[t + 1] = theta
    if not np.all(np.isfinite(theta)):
        raise SimulationError("the unrolled gradient descent diverged (step size too large?)")
    return Trajectory(thetas=thetas, probs=probs)


def unrolled_backward(
    learner: UnrolledGD,
    X: Array,
    y: Array,
    delta: Array,
    column: int,
    trajectory: Trajectory,
    theta_bar: Array,
    weights: Array | None = None,
) -> Array:
    """Reverse pass: gradient of a function of θ_T with respect to the column edits.

    Args:
        learner: The learner that produced ``trajectory``.
        X: Base features, shape (n, d).
        y: Labels, shape (n,).
        delta: Edits of the column, shape (B, n).
        column: Edited column.
        trajectory: The stored forward pass.
        theta_bar: ∂F/∂θ_T for every problem, shape (B, d).
        weights: The sample weights of the forward pass.

    Returns:
        ∂F/∂delta through the learner, shape (B, n) (the direct dependence of F
        on the data is not included).
    """
    n, _ = X.shape
    dt = X.dtype
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, float) / np.sum(weights)
    w = w.astype(dt)
    XT = np.ascontiguousarray(X.T)
    sizes = learner.step_sizes()
    bar = np.array(theta_bar, dtype=dt)
    delta_bar = np.zeros(delta.shape, dt)
    v = np.empty(delta.shape, dt)
    curv = np.empty(delta.shape, dt)
    tmp = np.empty(delta.shape, dt)
    for t in range(learner.steps - 1, -1, -1):
        s = sizes[t]
        theta_t = trajectory.thetas[t]
        p = trajectory.probs[t]
        # v_i = x'_i·θ̄; curv_i = w_i σ'_i v_i gives H_t θ̄ = Σ_i curv_i x'_i.
        _scores_into(bar, XT, delta, column, v, tmp)
        np.subtract(1.0, p, out=curv)
        np.multiply(curv, p, out=curv)
        np.multiply(curv, w, out=curv)
        np.multiply(curv, v, out=curv)
        # ∂(θ̄·∇L)/∂x'_{i,column} = curv_i θ_column + w_i (σ_i − y_i) θ̄_column
        np.multiply(curv, -s * theta_t[:, column : column + 1], out=tmp)
        np.add(delta_bar, tmp, out=delta_bar)
        np.subtract(p, y, out=tmp)
        np.multiply(tmp, w, out=tmp)
        np.multiply(tmp, -s * bar[:, column : column + 1], out=tmp)
        np.add(delta_bar, tmp, out=delta_bar)
        h_bar = curv @ X
        h_bar[:, column] += np.einsum("bn,bn->b", curv, delta)
        if learner.reg:
            h_bar += learner.reg * bar
        bar = bar - s * h_bar
    return delta_bar


@dataclass
class Adam:
    """Adam for *maximisation*: torch.optim.Adam's update on −U, in the parameters' dtype.

    The operations follow torch's order (first moment by linear interpolation,
    bias corrections applied to the step size and to √v), so a float32 run
    rounds like the notebooks' torch code.

    Args:
        lr: Learning rate.
        beta1: First-moment decay.
        beta2: Second-moment decay.
        eps: Denominator offset.
    """

    lr: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    _m: Array | None = field(default=None, repr=False)
    _v: Array | None = field(default=None, repr=False)
    _t: int = field(default=0, repr=False)

    def step(self, params: Array, grad: Array) -> Array:
        """Return params moved uphill along ``grad`` by one Adam step.

        A coordinate whose gradient has always been exactly zero does not move.
        """
        params = np.asarray(params)
        dt = params.dtype if np.issubdtype(params.dtype, np.floating) else np.dtype(float)
        grad = np.asarray(grad, dtype=dt)
        if self._m is None or self._v is None:
            self._m = np.zeros(grad.shape, dt)
            self._v = np.zeros(grad.shape, dt)
        self._t += 1
        m, v = self._m, self._v
        m += (grad - m) * dt.type(1.0 - self.beta1)
        v *= dt.type(self.beta2)
        v += grad * grad * dt.type(1.0 - self.beta2)
        step_size = self.lr / (1.0 - self.beta1**self._t)
        denom = np.sqrt(v) / dt.type(math.sqrt(1.0 - self.beta2**self._t))
        denom += dt.type(self.eps)
        return params + (m / denom) * dt.type(step_size)


@dataclass(kw_only=True)
class AdamOutcome:
    """What every notebook solver returns for a batch of problems.

    Attributes:
        theta: The unrolled learner's parameters on the final data, shape (B, d).
        utility: Members' mean utility at the final data, shape (B,).
        history: Members' mean utility before every Adam step, shape (iters, B).
    """

    theta: Array
    utility: Array
    history: Array


@dataclass(kw_only=True)
class NotebookResult(AdamOutcome):
    """Outcome of :func:`solve_free_edit_notebook` and :func:`solve_zero_sum_free_edit`.

    Attributes:
        delta: Final edits of the column, shape (B, n) (zero off the members).
    """

    delta: Array


def _members_objective(
    utility: Utility | Sequence[Utility],
    theta: Array,
    X: Array,
    y: Array,
    delta: Array,
    column: int,
    masks: Array,
) -> tuple[Array, Array, Array]:
    """Members' mean utility, its θ-gradient and its direct gradient in the edits.

    ``utility`` is one utility for every problem or one per problem. The
    utility is evaluated in float64 whatever the precision of the passes.
    """
    batch = masks.shape[0]
    values = np.empty(batch)
    theta_bar = np.empty(theta.shape)
    direct = np.zeros(delta.shape)
    for b in range(batch):
        u = utility[b] if isinstance(utility, list | tuple) else utility
        idx = np.flatnonzero(masks[b])
        base = np.asarray(X[idx], dtype=float)
        Xb = base.copy()
        Xb[:, column] += delta[b, idx]
        yb = np.asarray(y[idx], dtype=float)
        th = np.asarray(theta[b], dtype=float)
        values[b] = float(np.mean(u.value(th, Xb, yb, base)))
        theta_bar[b] = np.mean(u.grad_theta(th, Xb, yb, base), axis=0)
        direct[b, idx] = u.grad_x(th, Xb, yb, base)[:, column] / len(idx)
    return values, theta_bar.astype(X.dtype), direct.astype(X.dtype)


def _problem_masks(masks: Array, n: int) -> Array:
    """Members of every problem as a boolean (B, n) array, each problem non-empty."""
    masks = np.atleast_2d(np.asarray(masks, dtype=bool))
    if masks.shape[1] != n:
        raise InputError("collective.members", masks.shape, f"masks over {n} users")
    if not masks.any(axis=1).all():
        raise InputError("collective.members", "empty", "at least one member per problem")
    return masks


def _members_pass(
    learner: UnrolledGD,
    X: Array,
    y: Array,
    delta: Array,
    column: int,
    masks: Array,
    utility: Utility | Sequence[Utility],
    weights: Array | None,
    backward: bool = True,
) -> tuple[Array, Array, Array | None]:
    """Every problem's members' mean utility, θ_T, and the utility's gradient in the edits.

    Args:
        learner: The unrolled learner.
        X: Base features, shape (n, d).
        y: Labels, shape (n,).
        delta: Edits of the column, shape (B, n).
        column: Edited column.
        masks: Members of every problem, boolean (B, n).
        utility: The members' utility (or one per problem).
        weights: Sample weights of the learner.
        backward: Also run the reverse pass (else the gradient is None).

    Returns:
        The utilities, shape (B,); the learned parameters θ_T, shape (B, d);
        and ∂U/∂delta through the unrolled learner plus the direct dependence,
        shape (B, n).
    """
    traj = unrolled_forward(learner, X, y, delta, column, weights)
    values, theta_bar, direct = _members_objective(utility, traj.final, X, y, delta, column, masks)
    if not backward:
        return values, traj.final, None
    grad = direct + unrolled_backward(learner, X, y, delta, column, traj, theta_bar, weights)
    return values, traj.final, grad


def solve_free_edit_notebook(
    X: Array,
    y: Array,
    masks: Array,
    column: int,
    utility: Utility | Sequence[Utility],
    learner: UnrolledGD | None = None,
    iterations: int = 250,
    lr: float = 0.01,
    weights: Array | None = None,
    callback: Callable[[int, Array], None] | None = None,
    dtype: type = np.float64,
) -> NotebookResult:
    """The notebooks' collective solver: Adam on the members' column through unrolled GD.

    Every problem b has its own members (``masks[b]``); each member's value in
    ``column`` is a free variable, initialised at the base value. Adam ascends
    the members' mean utility U_b = mean_{i ∈ members} u(x'_i; θ_T(X')), where
    θ_T is the unrolled learner trained on the whole population with the
    members' edits.

    Args:
        X: Base features, shape (n, d).
        y: Labels, shape (n,).
        masks: Members of every problem, boolean array of shape (B, n).
        column: The editable column.
        utility: The members' utility (or one per problem).
        learner: The unrolled learner (default: the figure-3 notebook's,
            100 steps of max(1e-3, 1/(i+1)) from θ0 = 0).
        iterations: Number of Adam steps.
        lr: Adam learning rate.
        weights: Sample weights of the learner.
        callback: Called as ``callback(iteration, utilities)`` after every step.
        dtype: Floating type of the unrolled passes (float32 halves the time;
            torch's default precision).

    Returns:
        The final edits, parameters, utilities and the utility history.

    Raises:
        InputError: If a problem has no member or the column is out of range.
    """
    masks = _problem_masks(masks, X.shape[0])
    if not 0 <= column < X.shape[1]:
        raise InputError("collective.strategy.features", column, f"a column in 0..{X.shape[1] - 1}")
    learner = learner or UnrolledGD()
    X = np.asarray(X, dtype=dtype)
    y = np.asarray(y, dtype=dtype)
    delta = np.zeros(masks.shape, dtype=dtype)
    adam = Adam(lr=lr)
    history = np.empty((iterations, masks.shape[0]))
    for it in range(iterations):
        values, _, grad = _members_pass(learner, X, y, delta, column, masks, utility, weights)
        history[it] = values
        delta = np.where(masks, adam.step(delta, grad), 0.0).astype(dtype)
        if callback is not None:
            callback(it, values)
    values, theta, _ = _members_pass(
        learner, X, y, delta, column, masks, utility, weights, backward=False
    )
    return NotebookResult(delta=delta, theta=theta, utility=values, history=history)


class ZeroSumColumnEdits:
    """Members' mean logistic loss through unrolled GD, for a batch of column-edit problems.

    The special case of :func:`solve_free_edit_notebook` that figure 3 needs,
    written for speed: every problem b trains the unrolled learner (no ridge,
    uniform weights) on the shared features X with column ``column`` replaced
    by its own values ``col[b]``, and its objective is the zero-sum utility,
    the mean logistic loss of its members at the learned θ_T. Because the
    problems differ in one column only, the scores of all of them are one
    matrix product with the other columns plus a rank-one term,
    X_b θ_b = X_{−c} θ_{b,−c} + col_b θ_{b,c}, and the gradients are one
    matrix product back. With h = tanh(z/2), σ(z) − y = h/2 + (1/2 − y) and
    σ'(z) = (1 − h²)/4, so one tanh per score is the only transcendental of a
    step, and the (1/2 − y) parts are hoisted out of the step loop.

    The reverse pass is the one of :func:`unrolled_backward`; the per-step
    contributions to ∂U/∂col are stored and summed over steps in one product
    at the end. Buffers are allocated once per batch size and reused.

    Args:
        X: Base features, shape (n, d).
        y: Labels, shape (n,).
        column: The edited column.
        learner: Step budget and step rule (``reg`` must be 0).
        batch: Number of problems solved together.
        dtype: Floating type of all passes (float32: the notebooks' torch default).

    Raises:
        InputError: For a ridge penalty, an empty step budget or a column out of range.
    """

    def __init__(
        self,
        X: Array,
        y: Array,
        column: int,
        learner: UnrolledGD,
        batch: int,
        dtype: type = np.float32,
    ) -> None:
        n, d = X.shape
        if not 0 <= column < d:
            raise InputError("collective.strategy.features", column, f"a column in 0..{d - 1}")
        if learner.reg != 0.0 or learner.steps < 1:
            raise InputError("learner", learner, "unregularised unrolled GD with ≥ 1 step")
        self.dtype = np.dtype(dtype)
        dt = self.dtype.type
        X = np.asarray(X, dtype=self.dtype)
        self.n, self.d, self.column, self.batch = n, d, column, batch
        self.others = np.array([j for j in range(d) if j != column])
        self._XoT = np.ascontiguousarray(X[:, self.others].T)  # X_{−c}ᵀ, (d−1, n)
        self._Xo = self._XoT.T  # X_{−c} as a column-major view, (n, d−1)
        self._gemm = get_blas_funcs("gemm", dtype=self.dtype)
        self.base = np.ascontiguousarray(X[:, column])
        self.y = np.asarray(y, dtype=self.dtype)
        self._half_minus_y = dt(0.5) - self.y
        self._const_o = (self._half_minus_y @ self._Xo) / dt(n)  # mean (1/2 − y) x_{−c}
        self.sizes = learner.step_sizes().astype(self.dtype)
        T = learner.steps
        self._h = np.empty((T, batch, n), self.dtype)  # tanh(z_t/2) of every step
        self._curv = np.empty((T, batch, n), self.dtype)  # (1 − h_t²)·(x_i·θ̄_{t+1})
        self._theta_o = np.empty((T + 1, batch, d - 1), self.dtype)
        self._theta_c = np.empty((T + 1, batch), self.dtype)
        self._work = np.empty((batch, n), self.dtype)
        self._tmp = np.empty((batch, n), self.dtype)

    def _scores_into(self, theta_o: Array, theta_c: Array, col: Array, out: Array) -> Array:
        """x'_i·θ for every problem: the edited column's term, then the shared product added.

        ``out`` (C-ordered (B, n)) is the column-major (n, B) matrix BLAS adds
        X_{−c} θ_{−c}ᵀ into (GEMM with β = 1), which saves a pass over the scores.
        """
        np.multiply(col, theta_c[:, None], out=out)
        res = self._gemm(1.0, self._Xo, theta_o.T, beta=1.0, c=out.T, overwrite_c=1)
        if not np.shares_memory(res, out):  # BLAS worked on a copy: keep its result
            out[...] = res.T
        return out

    def _check(self, col: Array, masks: Array) -> int:
        b = col.shape[0]
        if col.shape != (b, self.n) or col.dtype != self.dtype or not 1 <= b <= self.batch:
            raise InputError("col", col.shape, f"({self.batch} or fewer, {self.n}) {self.dtype}")
        if masks.shape != col.shape:
            raise InputError("masks", masks.shape, f"the shape of col, {col.shape}")
        return b

    def forward(self, col: Array) -> Array:
        """Train every problem's unrolled learner; returns θ_T, shape (B, d), column order of X.

        Args:
            col: Every problem's values of the edited column, shape (B, n).
        """
        b = col.shape[0]
        dt = self.dtype.type
        half_over_n = dt(0.5 / self.n)
        const_c = (col @ self._half_minus_y) / dt(self.n)
        theta_o, theta_c = self._theta_o[:, :b], self._theta_c[:, :b]
        theta_o[0] = 0.0
        theta_c[0] = 0.0
        half = self._work[:b]
        for t, s in enumerate(self.sizes):
            self._scores_into(theta_o[t] * dt(0.5), theta_c[t] * dt(0.5), col, half)
            h = np.tanh(half, out=self._h[t, :b])
            grad_o = (h @ self._Xo) * half_over_n + self._const_o
            grad_c = np.linalg.vecdot(h, col) * half_over_n + const_c
            np.subtract(theta_o[t], s * grad_o, out=theta_o[t + 1])
            np.subtract(theta_c[t], s * grad_c, out=theta_c[t + 1])
        if not (np.all(np.isfinite(theta_o[-1])) and np.all(np.isfinite(theta_c[-1]))):
            raise SimulationError("the unrolled gradient descent diverged (step size too large?)")
        return self._theta(theta_o[-1], theta_c[-1])

    def _theta(self, theta_o: Array, theta_c: Array) -> Array:
        theta = np.empty((theta_o.shape[0], self.d), self.dtype)
        theta[:, self.others] = theta_o
        theta[:, self.column] = theta_c
        return theta

    def _members_loss(self, col: Array, masks: Array) -> tuple[Array, Array]:
        """Members' mean loss at the last forward θ_T, and the members' σ(z) − y over k."""
        b = col.shape[0]
        dt = self.dtype.type
        z = self._scores_into(self._theta_o[-1, :b], self._theta_c[-1, :b], col, self._work[:b])
        counts = masks.sum(axis=1)
        loss = np.logaddexp(dt(0.0), z) - self.y * z
        values = np.sum(loss, axis=1, where=masks, dtype=np.float64) / counts
        resid = np.tanh(z * dt(0.5)) * dt(0.5) + self._half_minus_y
        resid = np.where(masks, resid, dt(0.0)) / counts.astype(self.dtype)[:, None]
        return values, resid

    def value(self, col: Array, masks: Array) -> tuple[Array, Array]:
        """Members' mean loss U_b and θ_T of every problem.

        Args:
            col: Values of the edited column, shape (B, n).
            masks: Members of every problem, boolean (B, n).

        Returns:
            U, shape (B,) (float64), and θ_T, shape (B, d).
        """
        self._check(col, masks)
        theta = self.forward(col)
        return self._members_loss(col, masks)[0], theta

    def value_and_grad(self, col: Array, masks: Array) -> tuple[Array, Array, Array]:
        """Members' mean loss, its gradient in the column values, and θ_T.

        Args:
            col: Values of the edited column, shape (B, n).
            masks: Members of every problem, boolean (B, n).

        Returns:
            U, shape (B,) (float64); ∂U/∂col through the learner plus the direct
            dependence, shape (B, n) (every user's entry, members or not); θ_T.
        """
        b = self._check(col, masks)
        dt = self.dtype.type
        theta = self.forward(col)
        values, resid = self._members_loss(col, masks)
        # θ̄_T = mean over members of (σ − y)·x'_i; the direct term is (σ − y)·θ_c / k.
        bar_o = resid @ self._Xo
        bar_c = np.linalg.vecdot(resid, col)
        direct = resid * self._theta_c[-1, :b, None]
        quarter_over_n = dt(0.25 / self.n)
        T = len(self.sizes)
        a = np.empty((T, b), self.dtype)  # weight of curv_t in ∂U/∂col
        c = np.empty((T, b), self.dtype)  # weight of h_t in ∂U/∂col
        v = self._work[:b]
        for t in range(T - 1, -1, -1):
            s = self.sizes[t]
            h = self._h[t, :b]
            # v_i = x'_i·θ̄_{t+1};  H_t θ̄ = Σ_i curv_i x'_i / (4n), curv_i = (1 − h_i²) v_i
            self._scores_into(bar_o, bar_c, col, v)
            tmp = np.square(h, out=self._tmp[:b])
            np.subtract(dt(1.0), tmp, out=tmp)
            curv = np.multiply(tmp, v, out=self._curv[t, :b])
            # −s ∂(θ̄·∇L)/∂col_i = −s [θ_c curv_i / (4n) + θ̄_c (h_i/2 + 1/2 − y_i) / n]
            a[t] = (-s * quarter_over_n) * self._theta_c[t, :b]
            c[t] = (-s * dt(2.0) * quarter_over_n) * bar_c
            hess_o = curv @ self._Xo
            hess_c = np.linalg.vecdot(curv, col)
            bar_o = bar_o - (s * quarter_over_n) * hess_o
            bar_c = bar_c - (s * quarter_over_n) * hess_c
        grad = direct + (dt(2.0) * c.sum(axis=0))[:, None] * self._half_minus_y
        for k in range(b):
            grad[k] += a[:, k] @ self._curv[:, k] + c[:, k] @ self._h[:, k]
        return values, grad, theta


def solve_zero_sum_free_edit(
    X: Array,
    y: Array,
    masks: Array,
    column: int,
    learner: UnrolledGD | None = None,
    iterations: int = 250,
    lr: float = 0.01,
    batch: int = 20,
    dtype: type = np.float32,
    callback: Callable[[int, int], None] | None = None,
) -> NotebookResult:
    """The notebooks' free-edit solver for the zero-sum utility, many problems at a time.

    Same problem and same Adam as :func:`solve_free_edit_notebook` with the
    utility u = ℓ (members maximise their mean logistic loss) and an
    unregularised learner, computed by :class:`ZeroSumColumnEdits` in batches
    of ``batch`` problems. Every problem is computed with the same operations
    whatever the batch it is in, except that the shared matrix products sum in
    an order that depends on the batch size (BLAS blocking), i.e. batching
    changes results at float round-off only.

    Args:
        X: Base features, shape (n, d).
        y: Labels, shape (n,).
        masks: Members of every problem, boolean array of shape (B, n).
        column: The editable column.
        learner: The unrolled learner (default: the figure-3 notebook's,
            100 steps of max(1e-3, 1/(i+1)) from θ0 = 0).
        iterations: Number of Adam steps.
        lr: Adam learning rate.
        batch: Largest number of problems computed together.
        dtype: Floating type of all passes.
        callback: Called as ``callback(problems_done, iterations_done)`` after
            every Adam step of a batch, with the batch's size.

    Returns:
        The final edits, parameters, members' utilities and the utility history
        (before every Adam step).

    Raises:
        InputError: If a problem has no member, or for a bad column or learner.
    """
    masks = _problem_masks(masks, X.shape[0])
    if batch < 1:
        raise InputError("batch", batch, "a whole number ≥ 1")
    learner = learner or UnrolledGD()
    total = masks.shape[0]
    engine = ZeroSumColumnEdits(X, y, column, learner, min(batch, total), dtype)
    delta = np.zeros(masks.shape, engine.dtype)
    theta = np.empty((total, X.shape[1]), engine.dtype)
    utility = np.empty(total)
    history = np.empty((iterations, total))
    for start in range(0, total, engine.batch):
        part = slice(start, min(start + engine.batch, total))
        mask = masks[part]
        col = np.broadcast_to(engine.base, mask.shape).copy()
        adam = Adam(lr=lr)
        for it in range(iterations):
            history[it, part], grad, _ = engine.value_and_grad(col, mask)
            col = adam.step(col, np.where(mask, grad, engine.dtype.type(0.0)))
            if callback is not None:
                callback(mask.shape[0], 1)
        utility[part], theta[part] = engine.value(col, mask)
        delta[part] = col - engine.base
    return NotebookResult(delta=delta, theta=theta, utility=utility, history=history)


def members_masks(
    n: int, fractions: Sequence[float], seeds: Sequence[int], pool: Array | None = None
) -> Array:
    """Random member sets, one per (fraction, seed) pair, fraction-major.

    Args:
        n: Population size.
        fractions: Collective sizes α (share of ``pool``).
        seeds: Seeds of the numpy Generators drawing the members.
        pool: Indices members are drawn from (default: everybody).

    Returns:
        Boolean masks of shape (len(fractions)·len(seeds), n).
    """
    pool = np.arange(n) if pool is None else np.asarray(pool)
    out = np.zeros((len(fractions) * len(seeds), n), dtype=bool)
    for a, frac in enumerate(fractions):
        for s, seed in enumerate(seeds):
            size = max(1, round(frac * len(pool)))
            chosen = np.random.default_rng(seed).choice(pool, size, replace=False)
            out[a * len(seeds) + s, chosen] = True
    return out


def single_threaded_worker() -> None:
    """Initialiser of a worker process: BLAS on one thread for the life of the process.

    Used with the process pools that share batches of :func:`solve_zero_sum_free_edit`;
    with one BLAS thread per process the numbers do not depend on the number of workers.
    """
    global _WORKER_BLAS_LIMIT
    from threadpoolctl import threadpool_limits

    _WORKER_BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")


_WORKER_BLAS_LIMIT: object = None


def permutation_members(n: int, fractions: Sequence[float], runs: Sequence[int]) -> Array:
    """The figure-3 notebook's member sets: the first int(α·n) users of a seeded permutation.

    Run r permutes the users with seed 42 + r (numpy's Generator; the notebook
    used torch's, so its draws cannot be replayed), for every α.

    Args:
        n: Population size.
        fractions: Collective sizes α.
        runs: Run indices.

    Returns:
        Boolean masks of shape (len(fractions)·len(runs), n), fraction-major.
    """
    out = np.zeros((len(fractions) * len(runs), n), dtype=bool)
    for r, run in enumerate(runs):
        order = np.random.default_rng(42 + int(run)).permutation(n)
        for a, frac in enumerate(fractions):
            out[a * len(runs) + r, order[: max(1, int(frac * n))]] = True
    return out


@dataclass(kw_only=True)
class ShiftResult(AdamOutcome):
    """Outcome of :func:`solve_shift_notebook`.

    Attributes:
        eta: Final shift of every problem, shape (B,).
    """

    eta: Array


def solve_shift_notebook(
    X: Array,
    y: Array,
    masks: Array,
    column: int,
    utility: Utility | Sequence[Utility],
    learner: UnrolledGD | None = None,
    iterations: int = 250,
    lr: float = 0.01,
    weights: Array | None = None,
    direction: float = 1.0,
    callback: Callable[[int, Array], None] | None = None,
    dtype: type = np.float64,
) -> ShiftResult:
    """Adam on a shared shift x'_column = x_column + η·μ of the members, through unrolled GD.

    Same as :func:`solve_free_edit_notebook` except that all members of a
    problem move by the same η (one parameter per problem), initialised at 0.

    Args:
        X: Base features, shape (n, d).
        y: Labels, shape (n,).
        masks: Members of every problem, boolean (B, n).
        column: The shifted column.
        utility: The members' utility (or one per problem).
        learner: The unrolled learner (default: the figure-3 notebook's).
        iterations: Number of Adam steps.
        lr: Adam learning rate.
        weights: Sample weights of the learner.
        direction: μ, the shift per unit of η.
        callback: Called as ``callback(iteration, utilities)`` after every step.
        dtype: Floating type of the unrolled passes.

    Returns:
        Final η, parameters, utilities and the utility history.
    """
    masks = _problem_masks(masks, X.shape[0])
    learner = learner or UnrolledGD()
    X = np.asarray(X, dtype=dtype)
    y = np.asarray(y, dtype=dtype)
    unit = (masks * float(direction)).astype(dtype)
    eta = np.zeros(masks.shape[0])
    adam = Adam(lr=lr)
    history = np.empty((iterations, masks.shape[0]))
    for it in range(iterations):
        delta = eta[:, None] * unit
        values, _, grad = _members_pass(learner, X, y, delta, column, masks, utility, weights)
        history[it] = values
        eta = adam.step(eta, np.sum(grad * unit, axis=1, dtype=float))
        if callback is not None:
            callback(it, values)
    delta = eta[:, None] * unit
    values, theta, _ = _members_pass(
        learner, X, y, delta, column, masks, utility, weights, backward=False
    )
    return ShiftResult(eta=eta, theta=theta, utility=values, history=history)
