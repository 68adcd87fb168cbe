"""Calibrate the synthetic credit generator on the real Kaggle file (run once, by maintainers).

Reads the Kaggle "Give Me Some Credit" training file through
:func:`platform_abm.common.data.load_credit` (so through exactly the docs/model.md §5
pipeline) and writes ``platform_abm/common/data/credit_calibration.json``: summary
numbers only, never rows of the file. The JSON holds

* ``reference``: the exact logistic fit of the real population (θ, training
  accuracy, ||θ||, Fisher standard errors, bootstrap spread and sign
  agreement) for documentation and tests;
* ``moments``: class prior and per-class means, standard deviations and
  covariances of the standardised features (documentation and tests);
* ``generator``: the parameters of
  :class:`platform_abm.common.data.SyntheticCreditModel`: per class, the empirical
  quantile function of every feature (excluding the rows coded 96/98) and the
  latent Gaussian-copula correlation, calibrated so that the synthetic
  normal-score (rank) correlations match the real ones; the code patterns and
  their per-class shares;
* ``validation``: how a logistic fit on the synthetic population compares
  with the real one (large sample, and many seeds at the real size).

Usage::

    python scripts/calibrate_synthetic.py [--data PATH] [--out FILE] [--bootstrap 50] [--seeds 20]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

from platform_abm.common import data
from platform_abm.common.data import credit, tables
from platform_abm.common.data import synthetic as synthetic_source
from platform_abm.common.learners import ExactLogistic

CODED_FEATURES = (2, 6, 8)
"""Past-due count columns that the Kaggle file sets to 96 or 98 together."""

CODE_MIN_RAW = 90
"""Raw past-due counts at or above this value are codes, not counts."""

INDEPENDENT_TAIL_FEATURES = (0, 3)
"""Features whose extreme values are file artefacts, drawn independently of the others.

Revolving utilisation is a balance-to-limit ratio, yet the population holds
values up to 9,340 (50,708 in the whole file), and debt ratios reach 20,809.
Their frequency in each class is kept (the class marginals), but within a class
the generator draws them independently of the other features: tying them to
the copula's high ranks gives them the risk profile of heavy users and biases
the fitted coefficients (utilisation -0.065 instead of the real -0.007, debt
ratio -0.075 instead of -0.048, at n = 500,000). Income extremes are plausible
incomes and stay in the copula."""

DISCRETE_MAX_VALUES = 256
"""Features with at most this many distinct values keep their exact distribution."""

LATENT_SAMPLE = 200_000
"""Sample size used to calibrate the latent correlations."""

DEFAULT_OUT = Path(synthetic_source.__file__).with_name(data.CALIBRATION_RESOURCE)


def _round(value: float, digits: int = 12) -> float:
    return float(f"{value:.{digits}g}")


def _floats(values: Any, digits: int = 12) -> Any:
    """Nested lists of floats rounded to ``digits`` significant digits."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return _round(float(array), digits)
    return [_floats(v, digits) for v in array]


def marginal_spec(
    column: np.ndarray,
    max_discrete: int = DISCRETE_MAX_VALUES,
    body_points: int = 201,
    tail_points: int = 120,
    step_ranks: int = 10,
    independent_tails: bool = False,
) -> dict[str, Any]:
    """Empirical distribution of one feature, as the generator stores it.

    Discrete features keep every value with its cumulative probability.
    Continuous ones keep order statistics at a rank grid that is uniform in
    the body and geometric in both tails, at probabilities (rank − ½)/m,
    linearly interpolated. The ``step_ranks`` most extreme order statistics
    at each end keep their own probability 1/m each (a flat step), so that
    the heavy tails, which set these features' spread, are not smoothed away.

    Args:
        column: The feature's values in one class.
        max_discrete: Most distinct values a discrete feature may have.
        body_points: Ranks spread uniformly over the sample.
        tail_points: Ranks spread geometrically in each tail (0: none).
        step_ranks: Extreme order statistics kept as steps at each end.
        independent_tails: Have the generator draw those steps independently
            of the other features (it records their probability mass at each
            end as ``independent_tails``).

    Returns:
        A ``{"kind": "discrete", "values", "cdf"}`` or
        ``{"kind": "continuous", "probs", "values"}`` mapping.
    """
    values, counts = np.unique(column, return_counts=True)
    if len(values) <= max_discrete:
        cdf = np.cumsum(counts) / len(column)
        cdf[-1] = 1.0
        return {"kind": "discrete", "values": _floats(values), "cdf": _floats(cdf)}
    ordered = np.sort(column)
    m = len(ordered)
    grid = [np.round(np.linspace(1, m, body_points)).astype(int)]
    if tail_points:
        tail = np.unique(np.round(np.geomspace(1, m / 2, tail_points)).astype(int))
        grid += [tail, m + 1 - tail]
    ranks = np.unique(np.concatenate(grid))
    ranks = ranks[(ranks > step_ranks) & (ranks <= m - step_ranks)]
    ramp = 1e-3 / m  # a step ends just before the next one starts
    probs: list[float] = []
    knots: list[float] = []
    for r in range(1, step_ranks + 1):
        if r > 1:
            probs.append((r - 1) / m)
            knots.append(ordered[r - 1])
        probs.append(r / m - ramp)
        knots.append(ordered[r - 1])
    probs.extend((ranks - 0.5) / m)
    knots.extend(ordered[ranks - 1])
    for r in range(m - step_ranks + 1, m + 1):
        probs.append((r - 1) / m)
        knots.append(ordered[r - 1])
        if r < m:
            probs.append(r / m - ramp)
            knots.append(ordered[r - 1])
    if np.any(np.diff(probs) <= 0):
        raise SystemExit("marginal knots are not increasing")
    spec = {"kind": "continuous", "probs": _floats(probs), "values": _floats(knots)}
    if step_ranks and independent_tails:
        spec["independent_tails"] = [_round(step_ranks / m), _round(step_ranks / m)]
    return spec


def rank_correlation(A: np.ndarray) -> np.ndarray:
    """Correlation of the van der Waerden scores Φ⁻¹(rank/(m+1)) of the columns of A.

    Ties take their mean rank; a constant column is uncorrelated with the others.
    """
    scores = ndtri(rankdata(A, axis=0) / (A.shape[0] + 1))
    scores -= scores.mean(axis=0)
    scale = np.sqrt((scores**2).mean(axis=0))
    varying = scale > 1e-12
    scores[:, varying] /= scale[varying]
    R = scores.T @ scores / A.shape[0]
    R[~varying, :] = 0.0
    R[:, ~varying] = 0.0
    np.fill_diagonal(R, 1.0)
    return R


def nearest_correlation(R: np.ndarray) -> np.ndarray:
    """Symmetric positive-definite matrix with unit diagonal close to R (eigenvalue clipping)."""
    w, V = np.linalg.eigh((R + R.T) / 2)
    R = (V * np.maximum(w, 1e-6)) @ V.T
    scale = np.sqrt(np.diag(R))
    return R / np.outer(scale, scale)


def calibrate_copula(
    F: np.ndarray, marginals: list[dict[str, Any]], iterations: int = 10
) -> dict[str, Any]:
    """Latent correlation of a Gaussian copula with the given marginals.

    The latent correlation starts at the real normal-score correlation and is
    corrected by the gap between real and synthetic normal-score
    correlations, a fixed-point iteration with common random numbers.

    Args:
        F: Standardised features of the rows modelled, bias excluded.
        marginals: Their marginals (see :func:`marginal_spec`).
        iterations: Correction steps.

    Returns:
        The ``marginals``, the ``latent_correlation`` and the largest
        remaining normal-score correlation gap (``rank_correlation_gap``).
    """
    target = rank_correlation(F)
    R = nearest_correlation(target)
    no_codes = np.zeros(0)
    gap = np.inf
    for _ in range(iterations):
        model = synthetic_source._ClassModel(
            marginals=tuple(synthetic_source._Marginal.from_dict(m) for m in marginals),
            cholesky=np.linalg.cholesky(R),
            coded_rates=no_codes,
        )
        synthetic = model.draw(LATENT_SAMPLE, np.random.default_rng(20240601)).T
        error = target - rank_correlation(synthetic)
        gap = float(np.abs(error).max())
        R = nearest_correlation(R + error)
    return {
        "marginals": marginals,
        "latent_correlation": _floats(R),
        "rank_correlation_gap": _round(gap, 3),
    }


def fit(X: np.ndarray, y: np.ndarray, warm_start: np.ndarray | None = None) -> np.ndarray:
    """The reference learner of docs/model.md §5: exact Newton, λ = 1/n, bias penalised."""
    return ExactLogistic().fit(X, y, warm_start=warm_start).coef_


def accuracy(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Training accuracy of the sign of x·θ."""
    return float(np.mean((X @ theta > 0) == (y > 0.5)))


def reference_section(X: np.ndarray, y: np.ndarray, bootstrap: int) -> dict[str, Any]:
    """Fit on the real population, with Fisher and bootstrap uncertainty."""
    n = len(y)
    theta = fit(X, y)
    learner = ExactLogistic()
    se = np.sqrt(np.diag(np.linalg.inv(learner.hessian(theta, X, y))) / n)
    rng = np.random.default_rng(1)
    thetas, accs = [], []
    for _ in range(bootstrap):
        rows = rng.integers(n, size=n)
        t = fit(X[rows], y[rows], warm_start=theta)
        thetas.append(t)
        accs.append(accuracy(t, X[rows], y[rows]))
    thetas_arr = np.array(thetas)
    return {
        "learner": "ExactLogistic() on the 18,357 x 11 population: lambda = 1/n, bias penalised",
        "n": n,
        "defaulters": int(y.sum()),
        "theta": _floats(theta),
        "theta_norm": _round(float(np.linalg.norm(theta))),
        "accuracy": _round(accuracy(theta, X, y)),
        "theta_se_fisher": _floats(se, 4),
        "bootstrap": {
            "resamples": bootstrap,
            "theta_sd": _floats(thetas_arr.std(axis=0), 4),
            "sign_agreement": _floats(np.mean(np.sign(thetas_arr) == np.sign(theta), axis=0), 4),
            "accuracy_min": _round(min(accs), 4),
            "accuracy_max": _round(max(accs), 4),
        },
    }


def moments_section(F: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Class prior and per-class moments of the standardised features."""
    out: dict[str, Any] = {
        "class_prior": _round(float(y.mean())),
        "mean": _floats(F.mean(axis=0), 8),
        "std": _floats(F.std(axis=0), 8),
    }
    for key, name in (("class_mean", "mean"), ("class_std", "std")):
        out[key] = {str(c): _floats(getattr(F[y == c], name)(axis=0), 8) for c in (0, 1)}
    out["class_covariance"] = {
        str(c): _floats(np.cov(F[y == c], rowvar=False, ddof=0), 6) for c in (0, 1)
    }
    return out


def coded_mask(path: Path) -> np.ndarray:
    """Rows (in :func:`~platform_abm.common.data.credit._parse_credit` order) with 96/98 codes."""
    frame = tables.read_table(path)
    columns = [data.CREDIT_LABEL, *data.CREDIT_FEATURES[:-1]]
    complete = frame[columns].dropna()
    labels = complete[data.CREDIT_LABEL].to_numpy()
    keep = (labels == 1) | (np.cumsum(labels == 0) <= data.CREDIT_NON_DEFAULTERS)
    raw = complete[keep][[data.CREDIT_FEATURES[j] for j in CODED_FEATURES]].to_numpy()
    flagged = raw >= CODE_MIN_RAW
    if not (flagged.all(axis=1) == flagged.any(axis=1)).all():
        raise SystemExit("codes 96/98 do not occur in all three past-due columns together")
    return flagged.all(axis=1)


def generator_section(F: np.ndarray, y: np.ndarray, coded: np.ndarray) -> dict[str, Any]:
    """Parameters of :class:`platform_abm.common.data.SyntheticCreditModel`."""
    patterns, pattern_of_row = np.unique(
        F[coded][:, list(CODED_FEATURES)], axis=0, return_inverse=True
    )
    classes = {}
    for c in (0, 1):
        in_class = y == c
        rows = F[in_class & ~coded]
        marginals = [
            marginal_spec(col, independent_tails=j in INDEPENDENT_TAIL_FEATURES)
            for j, col in enumerate(rows.T)
        ]
        section = calibrate_copula(rows, marginals)
        counts = np.bincount(pattern_of_row[y[coded] == c], minlength=len(patterns))
        section["coded_rates"] = _floats(counts / in_class.sum())
        section["coded_counts"] = counts.tolist()
        section["size"] = int(in_class.sum())
        classes[str(c)] = section
    # The 92 coded rows: a coarse copula (at most 21 quantiles per feature).
    coded_rows = F[coded]
    coded_marginals = [
        marginal_spec(col, max_discrete=12, body_points=21, tail_points=0, step_ranks=0)
        for col in coded_rows.T
    ]
    coded_section = {
        "features": list(CODED_FEATURES),
        "raw_codes": [96, 98],
        "values": _floats(patterns),
        "size": int(coded.sum()),
        **calibrate_copula(coded_rows, coded_marginals),
    }
    return {
        "model": "class-conditional Gaussian copulas with empirical marginals (see data.py)",
        "class_prior": _round(float(y.mean())),
        "classes": classes,
        "coded_rows": coded_section,
    }


def validation_section(
    generator: dict[str, Any], reference: dict[str, Any], seeds: int, large_n: int
) -> dict[str, Any]:
    """Fit the learner on synthetic populations and compare with the real fit."""
    model = data.SyntheticCreditModel.from_dict(generator)
    theta_ref = np.array(reference["theta"])
    X, y = model.sample(large_n, np.random.default_rng(12345))
    theta_large = fit(X, y, warm_start=theta_ref)
    thetas, accs = [], []
    for seed in range(seeds):
        X, y = model.sample(reference["n"], np.random.default_rng(seed))
        t = fit(X, y, warm_start=theta_ref)
        thetas.append(t)
        accs.append(accuracy(t, X, y))
    thetas_arr = np.array(thetas)
    return {
        "large_sample": {
            "n": large_n,
            "theta": _floats(theta_large, 6),
            "theta_norm": _round(float(np.linalg.norm(theta_large)), 6),
            "accuracy": _round(accuracy(theta_large, X, y), 6),
        },
        "real_size": {
            "n": reference["n"],
            "seeds": f"0..{seeds - 1}",
            "accuracy_mean": _round(float(np.mean(accs)), 4),
            "accuracy_min": _round(min(accs), 4),
            "accuracy_max": _round(max(accs), 4),
            "theta_mean": _floats(thetas_arr.mean(axis=0), 4),
            "theta_sd": _floats(thetas_arr.std(axis=0), 4),
            "sign_agreement": _floats(
                np.mean(np.sign(thetas_arr) == np.sign(theta_ref), axis=0), 4
            ),
            "theta_seed0": _floats(thetas_arr[0], 6),
            "accuracy_seed0": _round(accs[0], 6),
        },
    }


def _dump(value: Any, indent: int = 0) -> str:
    """JSON with lists of numbers kept on one line."""
    pad = "  " * indent
    if isinstance(value, dict):
        items = [f"{pad}  {json.dumps(k)}: {_dump(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        if all(
            isinstance(v, list) and not any(isinstance(w, (dict, list)) for w in v) for v in value
        ):
            rows = [f"{pad}  {json.dumps(v)}" for v in value]
            return "[\n" + ",\n".join(rows) + "\n" + pad + "]"
        items = [f"{pad}  {_dump(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value)


def main(argv: list[str] | None = None) -> None:
    """Run the calibration and write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="Kaggle credit file (.csv or .zip); default: found")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file to write")
    parser.add_argument("--bootstrap", type=int, default=50, help="bootstrap resamples")
    parser.add_argument("--seeds", type=int, default=20, help="synthetic seeds to validate")
    parser.add_argument("--large-n", type=int, default=500_000, help="large synthetic sample")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    path = data.find_credit_file(args.data)
    if path is None:
        raise SystemExit(credit._HOW_TO_GET_CREDIT)
    stat = path.stat()
    X, y = credit._parse_credit(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    X, y = np.array(X), np.array(y)
    coded = coded_mask(path)
    F = X[:, :-1]

    reference = reference_section(X, y, args.bootstrap)
    generator = generator_section(F, y, coded)
    record = {
        "description": (
            "Calibration of the synthetic credit population"
            " (platform_abm.common.data.synthetic_credit)"
            " on the Kaggle 'Give Me Some Credit' training file after the docs/model.md section 5"
            " pipeline. Summary statistics only; the file itself is not redistributed."
            " Written by scripts/calibrate_synthetic.py."
        ),
        "format_version": 1,
        "source": {
            "file": path.name,
            "rows_in_population": len(y),
            "coded_rows": int(coded.sum()),
            "feature_names": list(data.CREDIT_FEATURES),
        },
        "reference": reference,
        "moments": moments_section(F, y),
        "generator": generator,
    }
    record["validation"] = validation_section(generator, reference, args.seeds, args.large_n)
    args.out.write_text(_dump(record) + "\n")

    val = record["validation"]
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s")
    print(f"real: accuracy {reference['accuracy']:.4f}, ||theta|| {reference['theta_norm']:.4f}")
    print(f"real theta      {np.round(reference['theta'], 4)}")
    print(f"synthetic large {np.round(val['large_sample']['theta'], 4)}")
    print(
        f"synthetic large: accuracy {val['large_sample']['accuracy']:.4f},"
        f" ||theta|| {val['large_sample']['theta_norm']:.4f}"
    )
    real_size = val["real_size"]
    print(
        f"synthetic n={reference['n']}: accuracy mean {real_size['accuracy_mean']}"
        f" [{real_size['accuracy_min']}, {real_size['accuracy_max']}]"
    )
    print(f"sign agreement (synthetic) {real_size['sign_agreement']}")
    print(f"sign agreement (bootstrap) {reference['bootstrap']['sign_agreement']}")
    gaps = [generator["classes"][c]["rank_correlation_gap"] for c in "01"]
    print(f"rank-correlation gaps {gaps}, coded {generator['coded_rows']['rank_correlation_gap']}")
    if not math.isfinite(real_size["accuracy_mean"]):
        raise SystemExit("validation failed")


if __name__ == "__main__":
    main()
