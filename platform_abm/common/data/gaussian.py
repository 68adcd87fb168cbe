"""Gaussian features with logistic labels: a population for theory checks."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import expit

from platform_abm.common.data.population import Population, check_seed
from platform_abm.common.errors import InputError


def gaussian_population(
    n: int,
    d: int,
    seed: int = 0,
    theta: Sequence[float] | np.ndarray | None = None,
    signal: float = 2.0,
    cov: np.ndarray | None = None,
) -> Population:
    """Gaussian features, a bias column and logistic labels, for theory checks.

    Rows are x = (z, 1) with z ~ N(0, cov) in d dimensions, and labels are
    drawn as y ~ Bernoulli(σ(x·θ)).

    Args:
        n: Number of rows.
        d: Number of Gaussian features, bias excluded (the result has d + 1 columns).
        seed: Seed of ``np.random.default_rng``.
        theta: True parameter of the label model, d + 1 values (bias last);
            None means ``signal`` · (1, …, 1)/√d with a zero bias.
        signal: Norm of the default ``theta``.
        cov: Feature covariance, shape (d, d); None means the identity.

    Returns:
        The population (source ``"gaussian"``, features ``x0 … x{d-1}, bias``).

    Raises:
        InputError: For invalid sizes, ``theta`` or ``cov``.
    """
    for field, value in (("population.n", n), ("population.d", d)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise InputError(field, value, "an integer >= 1")
        if value < 1:
            raise InputError(field, value, "an integer >= 1")
    seed = check_seed(seed)
    if theta is None:
        if not math.isfinite(signal):
            raise InputError("signal", signal, "a finite number")
        true_theta = np.append(np.full(d, signal / math.sqrt(d)), 0.0)
    else:
        true_theta = np.asarray(theta, dtype=np.float64)
        if true_theta.shape != (d + 1,) or not np.isfinite(true_theta).all():
            raise InputError("theta", theta, f"{d + 1} finite numbers (bias last)")
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, d))
    if cov is not None:
        matrix = np.asarray(cov, dtype=np.float64)
        if matrix.shape != (d, d) or not np.allclose(matrix, matrix.T):
            raise InputError("cov", f"array of shape {matrix.shape}", f"a symmetric {d}x{d} matrix")
        try:
            Z = Z @ np.linalg.cholesky(matrix).T
        except np.linalg.LinAlgError:
            raise InputError(
                "cov", "a matrix that is not positive definite", "a covariance"
            ) from None
    X = np.column_stack([Z, np.ones(n)])
    y = (rng.random(n) < expit(X @ true_theta)).astype(np.float64)
    names = (*(f"x{j}" for j in range(d)), "bias")
    return Population(X=X, y=y, feature_names=names, source="gaussian")
