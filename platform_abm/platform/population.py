"""The users a platform model is built on: their population (features, labels) and budgets ε.

Both are plain functions of their arguments and a seed or generator, so the
model (:class:`~platform_abm.platform.model.PlatformModel`) only calls them;
the files are read by :mod:`platform_abm.common.data`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from platform_abm.common import data
from platform_abm.common.errors import InputError

GAUSSIAN_SIZE = 10_000
"""Users of a Gaussian population whose size is not given."""


def load_population(
    source: str | data.Population,
    *,
    n: int | None,
    d: int,
    path: str | None,
    label: str | None,
    features: Sequence[str] | None,
    seed: int,
) -> data.Population:
    """Resolve a population source into a :class:`~platform_abm.common.data.Population`.

    Args:
        source: ``credit``, ``synthetic-credit``, ``csv``, ``gaussian`` or a Population.
        n: Size of a synthetic population (None: the source's default).
        d: Number of features of the Gaussian population.
        path: Data file for ``csv`` (optional explicit copy for ``credit``).
        label: Label column for ``csv``.
        features: Feature columns for ``csv``.
        seed: Seed for shuffling or generating the population.

    Returns:
        The population.

    Raises:
        InputError: For an unknown source, or ``csv`` without a path and label.
    """
    if isinstance(source, data.Population):
        return source
    if source == "credit":
        return data.load_credit(path, seed=seed)
    if source == "synthetic-credit":
        return data.synthetic_credit(n if n is not None else data.CREDIT_SIZE, seed=seed)
    if source == "gaussian":
        return data.gaussian_population(n if n is not None else GAUSSIAN_SIZE, d, seed=seed)
    if source == "csv":
        if path is None or label is None:
            raise InputError("data_path/label", (path, label), "a CSV path and its label column")
        return data.load_csv(path, label=label, features=features)
    raise InputError("population.source", source, "credit, synthetic-credit, csv or gaussian")


def sample_epsilons(
    rng: np.random.Generator,
    n: int,
    *,
    value: float,
    distribution: str,
    sigma: float,
    low: float,
    high: float,
) -> np.ndarray:
    """Per-user manipulation budgets ε, drawn from ``rng`` (nothing is drawn for ``constant``).

    Args:
        rng: The model's generator.
        n: Number of users.
        value: The common ε (``constant``), or the median of a lognormal ε.
        distribution: ``constant``, ``lognormal`` or ``uniform``.
        sigma: Log-scale standard deviation of a lognormal ε.
        low: Lower bound of a uniform ε.
        high: Upper bound of a uniform ε.

    Returns:
        The n budgets.

    Raises:
        InputError: For an unknown distribution.
    """
    if distribution == "constant":
        return np.full(n, float(value))
    if distribution == "lognormal":
        return float(value) * np.exp(sigma * rng.standard_normal(n))
    if distribution == "uniform":
        return rng.uniform(low, high, n)
    raise InputError("epsilon_distribution", distribution, "constant, lognormal or uniform")
