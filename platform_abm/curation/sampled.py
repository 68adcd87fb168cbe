"""Building blocks of the paper's sample-based curation loop (see docs/curation.md).

The loop keeps a growing dataset of points in R². Each round the first curator
draws groups of candidates from the dataset and keeps one per group by
Bradley–Terry choice; a Gaussian mixture (``sklearn.mixture.GaussianMixture``)
fitted on the kept points is the released generative model; the second curator
keeps one of every group of fresh samples from it; the kept points join the
dataset. All randomness comes from the generator passed in.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from platform_abm.curation.rewards import grid_points, grid_spacing, softmax_choice_probabilities

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

Array = np.ndarray
RewardFn = Callable[[Array], Array]

_THREADPOOLS: ThreadpoolController | None = None


def _threadpools() -> ThreadpoolController:
    """The process's BLAS/OpenMP thread pools (inspected once, on first use)."""
    global _THREADPOOLS
    if _THREADPOOLS is None:
        from threadpoolctl import ThreadpoolController

        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS


@dataclass(frozen=True)
class Selection:
    """Result of Bradley–Terry selection over groups of candidates.

    Attributes:
        kept: The kept point of every group, shape ``(groups, 2)``.
        shift: Estimated total variation between the candidates' law and the kept
            law, ½·mean|K·π_k − 1| over all candidates (π the choice probabilities;
            K·π_k estimates H at the candidate).
    """

    kept: Array
    shift: float


def bt_select(
    candidates: Array, reward: RewardFn, tau: float, rng: np.random.Generator
) -> Selection:
    """Keep one candidate per group with probability softmax(r/τ).

    Args:
        candidates: Array of shape ``(groups, K, 2)``.
        reward: The curator's reward function on points.
        tau: Temperature τ.
        rng: Random generator.

    Returns:
        The :class:`Selection`.
    """
    groups, pool, _ = candidates.shape
    if groups == 0:
        return Selection(kept=np.empty((0, 2)), shift=0.0)
    probs = softmax_choice_probabilities(reward(candidates), tau)
    cumulative = np.cumsum(probs, axis=1)
    u = rng.random(groups)[:, None] * cumulative[:, -1:]
    index = np.minimum((cumulative < u).sum(axis=1), pool - 1)
    kept = candidates[np.arange(groups), index]
    shift = 0.5 * float(np.mean(np.abs(pool * probs - 1.0)))
    return Selection(kept=kept, shift=shift)


def draw_from_data(data: Array, groups: int, pool: int, rng: np.random.Generator) -> Array:
    """Draw candidate groups uniformly, with replacement, from the dataset.

    Args:
        data: Dataset, shape ``(n, 2)``.
        groups: Number of groups.
        pool: Candidates per group.
        rng: Random generator.

    Returns:
        Array of shape ``(groups, pool, 2)``.
    """
    return data[rng.integers(len(data), size=(groups, pool))]


@dataclass(frozen=True)
class GaussianMixtureGenerator:
    """A fitted Gaussian mixture used as the released generative model.

    Attributes:
        weights: Component weights, shape ``(c,)``.
        means: Component means, shape ``(c, 2)``.
        cholesky: Lower Cholesky factors of the covariances, shape ``(c, 2, 2)``.
        converged: Whether EM converged.
    """

    weights: Array
    means: Array
    cholesky: Array
    converged: bool

    def sample(self, n: int, rng: np.random.Generator) -> Array:
        """Draw ``n`` points from the mixture with the given generator.

        Args:
            n: Number of points.
            rng: Random generator.

        Returns:
            Array of shape ``(n, 2)``.
        """
        component = rng.choice(self.weights.size, size=n, p=self.weights)
        z = rng.standard_normal((n, 2))
        return self.means[component] + np.einsum("nij,nj->ni", self.cholesky[component], z)


def fit_generator(
    points: Array,
    n_components: int,
    rng: np.random.Generator,
    tol: float = 1e-2,
    reg_covar: float = 1e-6,
) -> GaussianMixtureGenerator:
    """Fit ``sklearn.mixture.GaussianMixture`` (full covariances) to the kept points.

    The number of components is capped by the number of distinct points. A
    non-converged EM fit is reported in the result, not raised as a warning.
    BLAS runs single-threaded during the fit: the matrices are 2 × 2, and
    multi-threaded BLAS makes each call orders of magnitude slower on a busy
    machine.

    Args:
        points: Training points, shape ``(n, 2)``.
        n_components: Requested number of mixture components.
        rng: Random generator (seeds scikit-learn's initialisation).
        tol: EM convergence threshold on the per-sample log-likelihood gain.
        reg_covar: Ridge added to the covariances (scikit-learn's ``reg_covar``).

    Returns:
        The fitted :class:`GaussianMixtureGenerator`.
    """
    # scikit-learn is imported here so that the exact grid dynamics does not pay for it
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    distinct = np.unique(points, axis=0).shape[0]
    components = max(1, min(n_components, distinct))
    gmm = GaussianMixture(
        n_components=components,
        covariance_type="full",
        tol=tol,
        reg_covar=reg_covar,
        random_state=int(rng.integers(2**31 - 1)),
    )
    with warnings.catch_warnings(), _threadpools().limit(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm.fit(points)
    weights = np.asarray(gmm.weights_, dtype=float)
    return GaussianMixtureGenerator(
        weights=weights / weights.sum(),
        means=np.asarray(gmm.means_, dtype=float),
        cholesky=np.linalg.cholesky(gmm.covariances_),
        converged=bool(gmm.converged_),
    )


def uniform_points(n: int, low: float, high: float, rng: np.random.Generator) -> Array:
    """Draw ``n`` points uniformly on ``[low, high]²``.

    Args:
        n: Number of points.
        low: Lower bound.
        high: Upper bound.
        rng: Random generator.

    Returns:
        Array of shape ``(n, 2)``.
    """
    return rng.uniform(low, high, size=(n, 2))


def gaussian_points(
    n: int,
    centre: tuple[float, float],
    scale: float,
    low: float,
    high: float,
    rng: np.random.Generator,
) -> Array:
    """Draw ``n`` points from an isotropic Gaussian restricted (by rejection) to ``[low, high]²``.

    Args:
        n: Number of points.
        centre: Mean.
        scale: Standard deviation of each coordinate.
        low: Lower bound.
        high: Upper bound.
        rng: Random generator.

    Returns:
        Array of shape ``(n, 2)``.
    """
    out = np.empty((0, 2))
    while out.shape[0] < n:
        draw = rng.normal(centre, scale, size=(2 * n, 2))
        keep = np.all((draw >= low) & (draw <= high), axis=1)
        out = np.vstack([out, draw[keep]])
    return out[:n]


def cell_points(
    n: int, p: Array, size: int, low: float, high: float, rng: np.random.Generator
) -> Array:
    """Draw ``n`` points from a distribution over the grid's cells, each spread over its cell.

    A cell is drawn from ``p``, then the point is moved uniformly within the
    cell's square (one grid spacing wide) and clipped to ``[low, high]²``.

    Args:
        n: Number of points.
        p: Probability vector over the ``size²`` cells
            (ordered as :func:`~platform_abm.curation.rewards.grid_points`).
        size: Grid points per axis.
        low: Lower bound.
        high: Upper bound.
        rng: Random generator.

    Returns:
        Array of shape ``(n, 2)``.
    """
    cells = rng.choice(size * size, size=n, p=p)
    jitter = rng.uniform(-0.5, 0.5, size=(n, 2)) * grid_spacing(size, low, high)
    return np.clip(grid_points(size, low, high)[cells] + jitter, low, high)


def nearest_cell(points: Array, size: int, low: float, high: float) -> Array:
    """Index of the grid cell nearest to each point (points outside snap to the edge).

    Args:
        points: Array of shape ``(n, 2)``.
        size: Grid points per axis.
        low: Lower bound.
        high: Upper bound.

    Returns:
        Integer array of cell indices in the ordering of
        :func:`~platform_abm.curation.rewards.grid_points`.
    """
    spacing = grid_spacing(size, low, high)
    index = np.clip(np.rint((np.asarray(points) - low) / spacing), 0, size - 1).astype(int)
    return index[:, 0] * size + index[:, 1]


def histogram_on_grid(points: Array, size: int, low: float, high: float) -> Array:
    """Empirical distribution of points on the nearest cells of the output grid.

    Args:
        points: The points to count, shape ``(n, 2)``; each counts on the cell
            :func:`nearest_cell` gives it.
        size: Side of the grid (``size²`` cells).
        low: Lower end of both axes of the grid.
        high: Upper end of both axes of the grid.

    Returns:
        Probability vector over the ``size²`` cells (all zeros if there are no points).
    """
    counts = np.zeros(size * size)
    if len(points) == 0:
        return counts
    np.add.at(counts, nearest_cell(points, size, low, high), 1.0)
    return counts / counts.sum()
