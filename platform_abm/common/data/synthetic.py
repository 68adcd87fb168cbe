"""The embedded synthetic stand-in for the credit population: a calibrated copula generator.

The generator's parameters were fitted once on the real file by
``scripts/calibrate_synthetic.py``; they are the package resource
``credit_calibration.json`` next to this module.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from platform_abm.common.data.credit import CREDIT_FEATURES, CREDIT_SIZE
from platform_abm.common.data.population import Population, check_seed
from platform_abm.common.errors import InputError

CALIBRATION_RESOURCE = "credit_calibration.json"
"""Package resource holding the synthetic generator's calibration."""


LATENT_GRID_HALF_WIDTH = 5.0
"""The synthetic generator tabulates its quantile maps over latent z in [-5, 5]."""

LATENT_GRID_CELLS = 1 << 14
"""Cells of that table: 6.1e-4 wide in z, so a discrete feature's thresholds are
off by at most 1.3e-4 in probability (the data's own resolution is 1e-4)."""


@dataclass(frozen=True)
class _Marginal:
    """Quantile map of one feature, applied to a latent standard normal z.

    Discrete features take ``values[k]`` with ``k`` the number of ``knots``
    at or below z (the knots are the normal quantiles of the cumulative
    probabilities). Continuous features interpolate ``values`` linearly over
    ``knots`` (the normal quantiles of the stored probabilities), clamped at
    both ends. :meth:`__call__` is the exact map; ``table`` holds it at the
    centres of :data:`LATENT_GRID_CELLS` cells, which the generator reads.

    ``tails`` (continuous features only) gives the probability masses
    (low, high) of the extreme order statistics, which the generator draws
    independently of the other features (see :class:`SyntheticCreditModel`);
    the table then holds the map of the body only.
    """

    discrete: bool
    knots: np.ndarray
    values: np.ndarray
    table: np.ndarray
    tails: tuple[float, float] | None = None

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> _Marginal:
        """Build the map from a calibration entry (see :class:`SyntheticCreditModel`)."""
        values = np.asarray(spec["values"], dtype=np.float64)
        if spec["kind"] == "discrete":
            knots = ndtri(np.asarray(spec["cdf"], dtype=np.float64)[:-1])
        else:
            knots = ndtri(np.asarray(spec["probs"], dtype=np.float64))
        exact = cls(spec["kind"] == "discrete", knots, values, np.zeros(0))
        width = 2 * LATENT_GRID_HALF_WIDTH / LATENT_GRID_CELLS
        centres = -LATENT_GRID_HALF_WIDTH + width * (np.arange(LATENT_GRID_CELLS) + 0.5)
        if spec.get("independent_tails") is None:
            return cls(exact.discrete, knots, values, exact(centres))
        low, high = (float(t) for t in spec["independent_tails"])
        # The table covers the body only: latent probabilities are squeezed
        # into [low, 1 - high], a monotone map that keeps the ranks.
        body = ndtri(low + (1.0 - low - high) * ndtr(centres))
        return cls(exact.discrete, knots, values, exact(body), (low, high))

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Exact quantile map of latent values z."""
        if self.discrete:
            return self.values[np.searchsorted(self.knots, z, side="right")]
        return np.interp(z, self.knots, self.values)


@dataclass(frozen=True)
class _ClassModel:
    """Feature distribution of one class: a Gaussian copula with empirical marginals.

    Attributes:
        marginals: Quantile map of every feature (bias excluded).
        cholesky: Lower Cholesky factor of the latent correlation.
        coded_rates: Share of the class's rows carrying each code pattern.
    """

    marginals: tuple[_Marginal, ...]
    cholesky: np.ndarray
    coded_rates: np.ndarray

    def draw(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Draw iid feature rows without codes, feature-major: shape (features, size).

        The latent draw is float32 and read through the tabulated quantile
        maps: the float32 rounding is a thousandth of a table cell. For a
        feature with independent tails, the table maps the latent value into
        the body of the distribution, and an independent uniform decides
        (with the tails' masses) whether the row takes an extreme order
        statistic instead.
        """
        scale = LATENT_GRID_CELLS / (2 * LATENT_GRID_HALF_WIDTH)
        factor = (self.cholesky * scale).astype(np.float32)
        cells = factor @ rng.standard_normal((len(self.marginals), size), dtype=np.float32)
        cells += LATENT_GRID_CELLS / 2
        out = np.empty((len(self.marginals), size))
        for j, marginal in enumerate(self.marginals):
            # Truncation toward zero and index clipping are exact: cells below 0
            # or above the last one take the end values.
            out[j] = marginal.table.take(cells[j].astype(np.intp), mode="clip")
            if marginal.tails is not None:
                low, high = marginal.tails
                u = rng.random(size)
                extreme = np.flatnonzero((u < low) | (u > 1.0 - high))
                out[j, extreme] = marginal(ndtri(u[extreme]))
        return out


def _class_model(spec: dict[str, Any]) -> _ClassModel:
    return _ClassModel(
        marginals=tuple(_Marginal.from_dict(m) for m in spec["marginals"]),
        cholesky=np.linalg.cholesky(np.asarray(spec["latent_correlation"], dtype=np.float64)),
        coded_rates=np.asarray(spec.get("coded_rates", ()), dtype=np.float64),
    )


@dataclass(frozen=True)
class SyntheticCreditModel:
    """The synthetic credit generator (parameters in ``credit_calibration.json``).

    A class-conditional model fitted to the standardised real population:

    * labels: ``round(n · prior)`` defaulters at random rows, the others
      non-defaulters (the real class prior, stratified);
    * features of each class: a Gaussian copula. A latent z ~ N(0, R_c) is
      drawn per row and each coordinate goes through the empirical quantile
      function of that feature in that class, so per-class marginals (hence
      per-class means and spreads) and rank correlations match the real data.
      The ten most extreme values at each end of utilisation and debt ratio
      (file artefacts such as a utilisation of 9,340) keep their frequency in
      the class but are drawn independently of the other features, so that
      they do not take on the risk profile of the copula's high ranks;
    * coded rows: the Kaggle file marks unknown past-due counts with 96 or 98
      in all three past-due columns (92 of the 18,357 rows, 91 % of them
      defaulters). These are applicants without a credit history (no open
      line, no real-estate loan, utilisation 1, young, low income), and they
      drive the fitted coefficients of the past-due features. Each class gets
      its real share of them per code (rounded, at random rows); their other
      features come from a coarse copula of the coded rows.

    Attributes:
        class_prior: Share of defaulters (label 1).
        classes: Feature model of class 0 and of class 1.
        coded: Feature model of the coded rows (code columns excluded).
        coded_features: Columns set by the codes.
        coded_values: One row of (standardised) code values per pattern.
    """

    class_prior: float
    classes: tuple[_ClassModel, _ClassModel]
    coded: _ClassModel
    coded_features: np.ndarray
    coded_values: np.ndarray

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> SyntheticCreditModel:
        """Build the model from the ``generator`` section of the calibration file.

        Args:
            spec: Mapping with ``class_prior``; ``classes`` (``"0"`` and
                ``"1"``, each with ``marginals``, ``latent_correlation`` and
                ``coded_rates``, the share of the class's rows per code
                pattern); ``coded_rows`` (``features``, ``values`` per
                pattern, ``marginals`` and ``latent_correlation``). A marginal
                is ``{"kind": "discrete", "values", "cdf"}`` or
                ``{"kind": "continuous", "probs", "values"}``.

        Returns:
            The model.
        """
        coded = spec["coded_rows"]
        return cls(
            class_prior=float(spec["class_prior"]),
            classes=(_class_model(spec["classes"]["0"]), _class_model(spec["classes"]["1"])),
            coded=_class_model(coded),
            coded_features=np.asarray(coded["features"], dtype=np.intp),
            coded_values=np.asarray(coded["values"], dtype=np.float64),
        )

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw n rows.

        Args:
            n: Number of rows.
            rng: Random generator (the only source of randomness).

        Returns:
            Features with the bias column last, shape (n, d), column-major
            (as :class:`Population` stores them), and labels in {0., 1.}.
        """
        y = np.zeros(n)
        y[: math.floor(n * self.class_prior + 0.5)] = 1.0
        y = y[rng.permutation(n)]
        features = np.empty((len(self.coded.marginals) + 1, n))
        features[-1] = 1.0
        for label, model in enumerate(self.classes):
            rows = np.flatnonzero(y == label)
            features[:-1, rows] = model.draw(len(rows), rng)
            counts = np.floor(len(rows) * model.coded_rates + 0.5).astype(np.intp)
            coded = rng.choice(rows, size=int(counts.sum()), replace=False)
            features[:-1, coded] = self.coded.draw(len(coded), rng)
            for values, chosen in zip(
                self.coded_values, np.split(coded, np.cumsum(counts)[:-1]), strict=True
            ):
                features[np.ix_(self.coded_features, chosen)] = values[:, None]
        return features.T, y


@functools.lru_cache(maxsize=1)
def _calibration_record() -> dict[str, Any]:
    text = (
        importlib.resources.files("platform_abm.common.data")
        .joinpath(CALIBRATION_RESOURCE)
        .read_text()
    )
    return json.loads(text)


def credit_calibration() -> dict[str, Any]:
    """The calibration record of the synthetic credit generator.

    Returns:
        A copy of ``credit_calibration.json``: the real population's reference
        fit under ``"reference"`` (θ, accuracy, ||θ||, standard errors,
        bootstrap sign agreement), its class prior and per-class moments under
        ``"moments"``, the generator's parameters under ``"generator"`` and the
        synthetic population's own fit under ``"validation"``.
    """
    return copy.deepcopy(_calibration_record())


@functools.lru_cache(maxsize=1)
def _synthetic_model() -> SyntheticCreditModel:
    return SyntheticCreditModel.from_dict(_calibration_record()["generator"])


def synthetic_credit(n: int = CREDIT_SIZE, seed: int = 0) -> Population:
    """The embedded default population: a synthetic stand-in for the credit data.

    Draws from :class:`SyntheticCreditModel` calibrated on the real file by
    ``scripts/calibrate_synthetic.py``: same feature names, standardised
    feature marginals, latent (rank) correlations and label model as the real
    population, so that a logistic model fitted on it has about the same
    training accuracy and coefficients. Deterministic in ``seed``.

    Args:
        n: Number of rows.
        seed: Seed of ``np.random.default_rng``.

    Returns:
        The population (source ``"synthetic-credit"``, features :data:`CREDIT_FEATURES`).

    Raises:
        InputError: For a non-positive ``n`` or a negative ``seed``.
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError("population.n", n, "an integer >= 1")
    seed = check_seed(seed)
    X, y = _synthetic_model().sample(int(n), np.random.default_rng(seed))
    return Population(X=X, y=y, feature_names=CREDIT_FEATURES, source="synthetic-credit")
