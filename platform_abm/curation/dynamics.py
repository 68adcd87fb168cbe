"""Exact population-level dynamics of recursive curation on a finite output space.

A curator with reward r, temperature τ and pool size K draws K candidates
Y_1..Y_K iid from the model p and keeps candidate k with the Bradley–Terry
probability softmax(r(Y)/τ)_k. Writing w = e^{r/τ}, the kept sample has law
p·H with

    H(x) = E[ K w(x) / (w(x) + Σ_{j<K} w(Y_j)) ],   Y_j ~ p iid.

Summing K candidates over K−1 iid draws is a (K−1)-fold convolution; instead we
use 1/a = ∫_0^∞ e^{−as} ds and independence:

    H(x) = K w(x) ∫_0^∞ e^{−s w(x)} φ(s)^{K−1} ds,   φ(s) = E_p e^{−s w(Y)}.

With s = e^u the integrand is analytic and decays in the strip |Im u| < π/2, so
the trapezoidal rule in u converges geometrically in the step; a step of 0.25
gives ~1e-14 relative accuracy. Weights are normalised to max w = 1, and
φ^{K−1} is evaluated as exp((K−1)·log1p(−E_p[1 − e^{−s w}])) so that large K
keeps full precision. The node set depends only on the reward, τ and K, so the
matrices e^{−s w} are built once per curator and each evaluation costs two
matrix–vector products over the distinct reward levels.

One round of the alignment game is p ↦ Public(Owner(p)) (owner-first) or
Owner(Public(p)) (public-first); the public step mixes the kept laws of several
factions in proportion to their weights; optionally a fraction of the original
distribution p_0 is mixed back in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from platform_abm.common.errors import InputError
from platform_abm.curation.metrics import total_variation

Array = np.ndarray

#: Step of the trapezoidal rule in u = log s.
DEFAULT_STEP = 0.25
#: Largest reward gap (in units of τ) resolved; smaller weights are clipped to e^−700.
MAX_EXPONENT = 700.0
#: Lower truncation s_lo = LOW_TAIL / K bounds the neglected integral by LOW_TAIL.
LOW_TAIL = 1e-17
#: Upper truncation where φ(s)^{K−1} ≤ e^{−HIGH_TAIL}.
HIGH_TAIL = 50.0

ORDERS = ("owner-first", "public-first")


class BTWeight:
    """Exact Bradley–Terry K-choice weight H for a fixed reward on a finite space.

    Build it once per curator; call it with a distribution to obtain H, so that
    the kept law is ``p * H``.

    Args:
        reward: Reward of every cell, shape ``(n,)``.
        tau: Temperature τ > 0 (choice probabilities are softmax(r/τ)).
        pool: Number of candidates K ≥ 1.
        step: Trapezoidal step in log s.

    Raises:
        InputError: If τ, K or the step is not allowed.
    """

    def __init__(self, reward: Array, tau: float, pool: int, step: float = DEFAULT_STEP) -> None:
        if not (isinstance(tau, int | float) and math.isfinite(tau) and tau > 0):
            raise InputError("tau", tau, "a finite number > 0")
        if isinstance(pool, bool) or not isinstance(pool, int | np.integer) or pool < 1:
            raise InputError("pool", pool, "an integer >= 1")
        if not (0 < step <= 1):
            raise InputError("step", step, "a number in (0, 1]")
        r = np.asarray(reward, dtype=float).ravel()
        if r.size == 0 or not np.all(np.isfinite(r)):
            raise InputError("reward", f"array of shape {r.shape}", "a non-empty finite array")
        self.tau = float(tau)
        self.pool = int(pool)
        self.size = r.size
        levels, self._inverse = np.unique(r, return_inverse=True)
        exponent = np.clip((levels - levels[-1]) / self.tau, -MAX_EXPONENT, 0.0)
        self.level_weights = np.exp(exponent)
        self.n_nodes = 0
        if self.pool > 1:
            u_lo = math.log(LOW_TAIL / self.pool)
            u_hi = math.log(HIGH_TAIL / ((self.pool - 1) * self.level_weights[0]))
            self.n_nodes = math.ceil((u_hi - u_lo) / step) + 1
            s = np.exp(u_lo + step * np.arange(self.n_nodes))
            sw = np.multiply.outer(self.level_weights, s)
            self._decay = np.exp(-sw)  # e^{-s w}, shape (levels, nodes)
            self._gap = -np.expm1(-sw)  # 1 - e^{-s w}, exact for small s w
            self._ds = step * s  # trapezoid weight times the Jacobian ds = s du

    @property
    def n_levels(self) -> int:
        """Number of distinct reward values."""
        return self.level_weights.size

    def level_mass(self, p: Array) -> Array:
        """Mass of ``p`` on each distinct reward level (normalised to sum 1)."""
        mass = np.bincount(self._inverse, weights=np.asarray(p, dtype=float).ravel())
        return mass / mass.sum()

    def __call__(self, p: Array) -> Array:
        """Evaluate H^p_{K,r} on every cell.

        Args:
            p: Probability vector over the cells, shape ``(n,)`` (normalised internally).

        Returns:
            H, shape ``(n,)``; ``E_p[H] = 1`` and ``0 < H ≤ K``.

        Raises:
            InputError: If ``p`` does not match the reward or is not a distribution.
        """
        p = np.asarray(p, dtype=float).ravel()
        if p.size != self.size or not np.all(np.isfinite(p)) or (p < 0).any() or p.sum() <= 0:
            raise InputError(
                "p", f"array of shape {p.shape}", f"{self.size} non-negative finite values"
            )
        if self.pool == 1:
            return np.ones(self.size)
        mass = self.level_mass(p)
        one_minus_phi = np.clip(mass @ self._gap, 0.0, 1.0)
        with np.errstate(divide="ignore"):
            log_phi_power = (self.pool - 1) * np.log1p(-one_minus_phi)
        integrand = self._ds * np.exp(log_phi_power)
        h_levels = self.pool * self.level_weights * (self._decay @ integrand)
        return h_levels[self._inverse]


def bt_weight(p: Array, reward: Array, tau: float, pool: int) -> Array:
    """Exact Bradley–Terry K-choice weight H^p_{K,r} (one-off convenience).

    Args:
        p: Probability vector over the cells.
        reward: Reward of every cell.
        tau: Temperature τ.
        pool: Number of candidates K.

    Returns:
        H on every cell.
    """
    return BTWeight(reward, tau, pool)(p)


def bt_weight_limit(p: Array, reward: Array, tau: float) -> Array:
    """Limit of H as K → ∞: e^{r/τ} / E_p[e^{r/τ}].

    Args:
        p: Probability vector over the cells.
        reward: Reward of every cell.
        tau: Temperature τ.

    Returns:
        The limiting weight on every cell.
    """
    p = np.asarray(p, dtype=float).ravel()
    r = np.asarray(reward, dtype=float).ravel()
    w = np.exp((r - r[p > 0].max()) / tau)
    return w / np.dot(p / p.sum(), w)


def bt_weight_monte_carlo(
    p: Array, reward: Array, tau: float, pool: int, n_draws: int, rng: np.random.Generator
) -> Array:
    """Monte-Carlo estimate of H by simulating the K-candidate choice.

    For every cell x the K−1 competitors are drawn from p; the estimate averages
    K·w(x)/(w(x) + Σ w(Y_j)) over ``n_draws`` draws (shared across cells).

    Args:
        p: Probability vector over the cells.
        reward: Reward of every cell.
        tau: Temperature τ.
        pool: Number of candidates K.
        n_draws: Number of Monte-Carlo draws.
        rng: Random generator.

    Returns:
        The estimate of H on every cell.
    """
    p = np.asarray(p, dtype=float).ravel()
    r = np.asarray(reward, dtype=float).ravel()
    w = np.exp((r - r.max()) / tau)
    total = np.zeros(p.size)
    done = 0
    while done < n_draws:
        chunk = min(512, n_draws - done)
        competitors = rng.choice(p.size, size=(chunk, pool - 1), p=p / p.sum())
        sums = w[competitors].sum(axis=1)
        total += np.sum(w[None, :] / (w[None, :] + sums[:, None]), axis=0)
        done += chunk
    return pool * total / n_draws


def curate(p: Array, weight: Array) -> Array:
    """Law of the kept sample, ``p·H`` renormalised (removes rounding drift).

    Args:
        p: Probability vector.
        weight: H on the same cells.

    Returns:
        The curated distribution.
    """
    q = np.asarray(p, dtype=float) * weight
    return q / q.sum()


@dataclass(frozen=True)
class RoundResult:
    """Outcome of one exact round.

    Attributes:
        p: Distribution after the round (after mixing in p_0).
        released: Distribution between the two curation stages.
        owner_shift: Total variation moved by the owner's curation.
        public_shift: Total variation moved by each public faction's curation
            (scaled by its weight, so they add up to at least the public step's shift).
    """

    p: Array
    released: Array
    owner_shift: float
    public_shift: tuple[float, ...]


def public_curation(
    p: Array, kernels: Sequence[BTWeight], weights: Sequence[float]
) -> tuple[Array, tuple[float, ...]]:
    """Public step: mixture of the factions' kept laws, Σ_f α_f·p·H_f.

    Args:
        p: Probability vector.
        kernels: One :class:`BTWeight` per faction.
        weights: Faction weights α_f (normalised internally).

    Returns:
        The curated distribution and each faction's weighted total-variation shift
        α_f·TV(p, p·H_f).
    """
    alpha = np.asarray(weights, dtype=float)
    alpha = alpha / alpha.sum()
    out = np.zeros_like(p)
    shifts = []
    for a, kernel in zip(alpha, kernels, strict=True):
        kept = curate(p, kernel(p))
        out += a * kept
        shifts.append(float(a) * total_variation(p, kept))
    return out / out.sum(), tuple(shifts)


def curation_round(
    p: Array,
    owner: BTWeight,
    public: Sequence[BTWeight],
    public_weights: Sequence[float],
    order: str = "owner-first",
    mix: float = 0.0,
    p0: Array | None = None,
) -> RoundResult:
    """One exact round of the alignment game.

    Args:
        p: Current model p_t.
        owner: The owner's weight operator (reward r_O, τ, K).
        public: One weight operator per public faction.
        public_weights: Faction weights α_f.
        order: ``"owner-first"`` (p ↦ Public(Owner(p))) or ``"public-first"``.
        mix: Fraction λ of p_0 mixed into the result: (1 − λ)·curated + λ·p_0.
        p0: The original distribution (required when ``mix > 0``).

    Returns:
        The :class:`RoundResult`.

    Raises:
        InputError: If ``order`` or ``mix`` is not allowed.
    """
    if order not in ORDERS:
        raise InputError("order", order, " or ".join(ORDERS))
    if not 0.0 <= mix <= 1.0:
        raise InputError("mix", mix, "a number in [0, 1]")
    p = np.asarray(p, dtype=float)
    if order == "owner-first":
        released = curate(p, owner(p))
        owner_shift = total_variation(p, released)
        out, shifts = public_curation(released, public, public_weights)
    else:
        released, shifts = public_curation(p, public, public_weights)
        out = curate(released, owner(released))
        owner_shift = total_variation(released, out)
    if mix > 0:
        if p0 is None:
            raise InputError("p0", None, "the original distribution when mix > 0")
        out = (1.0 - mix) * out + mix * np.asarray(p0, dtype=float)
        out = out / out.sum()
    return RoundResult(p=out, released=released, owner_shift=owner_shift, public_shift=shifts)


def two_curator_map(
    p: Array, owner: BTWeight, public: BTWeight, order: str = "owner-first"
) -> Array:
    """The two-curator map of docs/curation.md: one round p_t ↦ p_{t+1}.

    Owner-first it is p ↦ p'·H^{p'}_{M,r_P} with p' = p·H^p_{K,r_O}; public-first
    the two factors are swapped. It is :func:`curation_round` with one public
    faction and no mixing.

    Args:
        p: Current distribution.
        owner: The owner's weight operator (r_O, its τ and pool K).
        public: The public's weight operator (r_P, its τ and pool M).
        order: ``"owner-first"`` or ``"public-first"``.

    Returns:
        p_{t+1}.
    """
    return curation_round(p, owner, [public], [1.0], order).p


def iterate_two_curator(
    p0: Array,
    owner_reward: Array,
    public_reward: Array,
    owner_tau: float,
    public_tau: float,
    owner_pool: int,
    public_pool: int,
    rounds: int,
    order: str = "owner-first",
) -> Array:
    """Iterate :func:`two_curator_map` ``rounds`` times (operators built once).

    Args:
        p0: Initial distribution.
        owner_reward: r_O on every cell.
        public_reward: r_P on every cell.
        owner_tau: Owner's temperature.
        public_tau: Public's temperature.
        owner_pool: K.
        public_pool: M.
        rounds: Number of rounds.
        order: ``"owner-first"`` or ``"public-first"``.

    Returns:
        Array of shape ``(rounds + 1, n)`` with p_0 .. p_rounds.
    """
    owner = BTWeight(owner_reward, owner_tau, owner_pool)
    public = BTWeight(public_reward, public_tau, public_pool)
    p = np.asarray(p0, dtype=float)
    p = p / p.sum()
    history = [p]
    for _ in range(rounds):
        p = two_curator_map(p, owner, public, order)
        history.append(p)
    return np.array(history)
