"""Populations: where the users' features and labels come from (one module per source).

Every loader returns a :class:`Population`: a float feature matrix whose last
column is the constant bias 1 (when a bias is added), binary labels in
{0., 1.}, the feature names and a short description of the source. The package
is pure I/O and numpy; it knows nothing about Mesa.

Sources (``docs/model.md`` §5), one module each:

* :mod:`~platform_abm.common.data.credit`: :func:`load_credit`, the Kaggle
  "Give Me Some Credit" training file, through the paper's pipeline (drop
  incomplete rows, standardise on every complete row, append the bias, keep all
  defaulters and the first 10,000 non-defaulters, shuffle). The file is not
  redistributed with the package; it is found by :func:`find_credit_file`.
* :mod:`~platform_abm.common.data.synthetic`: :func:`synthetic_credit`, the
  embedded default population, drawn from a generator calibrated once on the
  real file by ``scripts/calibrate_synthetic.py`` (numbers in
  ``credit_calibration.json``).
* :mod:`~platform_abm.common.data.user_csv`: :func:`load_csv`, a user's own
  labelled CSV file.
* :mod:`~platform_abm.common.data.gaussian`: :func:`gaussian_population`,
  Gaussian features with logistic labels, for theory checks.

What they share: :mod:`~platform_abm.common.data.population` (the
:class:`Population` record, label and seed checks, standardisation) and
:mod:`~platform_abm.common.data.tables` (reading a CSV or a zip holding one,
checked before pandas reads it).
"""

from platform_abm.common.data.credit import (
    CREDIT_ENV_VAR,
    CREDIT_FEATURES,
    CREDIT_LABEL,
    CREDIT_NON_DEFAULTERS,
    CREDIT_SIZE,
    WHYNOT_CREDIT_MEMBER,
    find_credit_file,
    load_credit,
)
from platform_abm.common.data.gaussian import gaussian_population
from platform_abm.common.data.population import MIN_PER_LABEL, Population, check_labels
from platform_abm.common.data.synthetic import (
    CALIBRATION_RESOURCE,
    SyntheticCreditModel,
    credit_calibration,
    synthetic_credit,
)
from platform_abm.common.data.tables import MAX_DATA_BYTES, SNIFF_BYTES, check_data_file
from platform_abm.common.data.user_csv import load_csv

__all__ = [
    "CALIBRATION_RESOURCE",
    "CREDIT_ENV_VAR",
    "CREDIT_FEATURES",
    "CREDIT_LABEL",
    "CREDIT_NON_DEFAULTERS",
    "CREDIT_SIZE",
    "MAX_DATA_BYTES",
    "MIN_PER_LABEL",
    "SNIFF_BYTES",
    "WHYNOT_CREDIT_MEMBER",
    "Population",
    "SyntheticCreditModel",
    "check_data_file",
    "check_labels",
    "credit_calibration",
    "find_credit_file",
    "gaussian_population",
    "load_credit",
    "load_csv",
    "synthetic_credit",
]
