"""Rewards of the curators and the finite output grid they act on.

The alignment game (docs/curation.md) scores an output x ∈ R² with a disc reward

    r(x) = 1                      if ||x − c|| ≤ radius,
    r(x) = −slope·(||x − c|| − radius)   otherwise,

so every point of the disc is an optimum (the *target set* A of the curator) and
the reward falls linearly with the distance to the disc outside it. The paper
uses radius 1 and slope 2. Everything here is a pure numpy function.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray

#: Points closer than this to a disc's rim count as inside it (grid points that
#: lie exactly on the rim, such as (1, 0) for the unit disc, must not be lost to
#: floating-point rounding of the distance).
RIM_TOLERANCE = 1e-9


@dataclass(frozen=True)
class DiscReward:
    """A disc reward: plateau 1 on the disc, linear descent outside it.

    Attributes:
        centre: Centre c of the disc, ``(x, y)``.
        radius: Radius of the disc (> 0).
        slope: Rate at which the reward falls outside the disc (> 0).
    """

    centre: tuple[float, float] = (0.0, 0.0)
    radius: float = 1.0
    slope: float = 2.0

    def distance(self, points: Array) -> Array:
        """Euclidean distance of each point to the centre.

        Args:
            points: Array of shape ``(..., 2)``.

        Returns:
            Array of shape ``points.shape[:-1]``.
        """
        return distance_to(points, self.centre)

    def inside(self, points: Array) -> Array:
        """Whether each point lies in the disc (the curator's target set A).

        Args:
            points: Array of shape ``(..., 2)``.

        Returns:
            Boolean array of shape ``points.shape[:-1]``.
        """
        return self.distance(points) <= self.radius + RIM_TOLERANCE

    def __call__(self, points: Array) -> Array:
        """Evaluate the reward.

        Args:
            points: Array of shape ``(..., 2)``.

        Returns:
            Rewards, shape ``points.shape[:-1]``.
        """
        return disc_reward(points, self.centre, self.radius, self.slope)


def distance_to(points: Array, centre: tuple[float, float] | Array) -> Array:
    """Euclidean distance of points to a centre.

    Args:
        points: Array of shape ``(..., 2)``.
        centre: The centre, length-2 sequence.

    Returns:
        Array of shape ``points.shape[:-1]``.
    """
    diff = np.asarray(points, dtype=float) - np.asarray(centre, dtype=float)
    return np.sqrt(np.sum(diff * diff, axis=-1))


def disc_reward(
    points: Array, centre: tuple[float, float] | Array, radius: float, slope: float
) -> Array:
    """The paper's disc reward (plateau 1 inside, ``−slope·(d − radius)`` outside).

    Args:
        points: Array of shape ``(..., 2)``.
        centre: Disc centre.
        radius: Disc radius.
        slope: Descent rate outside the disc.

    Returns:
        Rewards, shape ``points.shape[:-1]``.
    """
    d = distance_to(points, centre)
    return np.where(d <= radius + RIM_TOLERANCE, 1.0, -slope * (d - radius))


def grid_points(size: int, low: float, high: float) -> Array:
    """Cell centres of a ``size × size`` grid spanning ``[low, high]²`` (edges included).

    Row ``i * size + j`` holds the point ``(xs[i], ys[j])`` with
    ``xs = ys = linspace(low, high, size)``; reshaping a per-cell array to
    ``(size, size)`` therefore indexes it as ``[ix, iy]``.

    Args:
        size: Number of points per axis (≥ 2).
        low: Lower bound of both coordinates.
        high: Upper bound of both coordinates.

    Returns:
        Array of shape ``(size * size, 2)``.
    """
    axis = np.linspace(low, high, size)
    gx, gy = np.meshgrid(axis, axis, indexing="ij")
    return np.column_stack([gx.ravel(), gy.ravel()])


def grid_spacing(size: int, low: float, high: float) -> float:
    """Distance between neighbouring grid points of :func:`grid_points`.

    Args:
        size: Number of points per axis.
        low: Lower bound.
        high: Upper bound.

    Returns:
        The spacing ``(high − low) / (size − 1)``.
    """
    return (high - low) / (size - 1)


def softmax_choice_probabilities(rewards: Array, tau: float) -> Array:
    """Bradley–Terry choice probabilities softmax(r/τ) along the last axis.

    Args:
        rewards: Rewards of the candidates, shape ``(..., K)``.
        tau: Temperature τ > 0.

    Returns:
        Probabilities of keeping each candidate, same shape, summing to 1 on the last axis.
    """
    z = np.asarray(rewards, dtype=float) / tau
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
