"""The computations behind figures 2–4 of the paper (docs/reproductions/), without plotting.

Two variants:

* ``paper``: the features the paper names ('age' = column 1,
  '#dependents' = column 9), the exact Newton learner (λ = 1/n) and
  implicit-function-theorem solvers;
* ``notebook``: the columns the public notebooks actually edit (they drop
  column 0 before indexing: 'age' → column 2, '#dependents' → the bias
  column 10) and the notebooks' learners and optimisers (unrolled gradient
  descent, Adam on the data).

Interpretation choices, where the text of the paper leaves room, are stated in
each function's docstring and in the README's "Collectives" section.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from platform_abm.common.errors import InputError

Array = np.ndarray
Progress = Callable[[int], None] | None

VARIANTS = ("paper", "notebook")
#: Edited column of each figure feature, per variant (docs/reproductions/).
FEATURE_COLUMNS: dict[str, dict[str, int]] = {
    "paper": {"age": 1, "#dependents": 9},
    "notebook": {"age": 2, "#dependents": 10},
}
#: Budget on the shift η in the paper variant: what 250 Adam steps of lr 0.01 can reach.
SHIFT_BOUND = 2.5


def check_variant(variant: str) -> None:
    """Raise InputError for an unknown variant."""
    if variant not in VARIANTS:
        raise InputError("variant", variant, f"one of {list(VARIANTS)}")


def zero_crossing(alphas: Array, values: Array) -> float:
    """First α where ``values`` changes sign from negative to positive (linear interpolation).

    Returns NaN when there is no such crossing.
    """
    for k in range(len(values) - 1):
        if values[k] < 0 <= values[k + 1]:
            frac = -values[k] / (values[k + 1] - values[k])
            return float(alphas[k] + frac * (alphas[k + 1] - alphas[k]))
    return float("nan")
