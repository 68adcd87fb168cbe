"""What the figure 2 and 3 reproductions edit: the feature columns per variant and the edit bound.

Two variants (``docs/reproductions/``):

* ``paper``: the features the paper names, as columns of the 11-column credit
  matrix ('age' = column 1, '#dependents' = column 9);
* ``notebook``: the columns the public notebooks actually edit. They drop
  column 0 of the credit matrix before indexing, so their indices are columns
  of that 10-column matrix: 'age' is its column 1
  (NumberOfTime30-59DaysPastDueNotWorse, column 2 of the 11-column matrix) and
  '#dependents' its column 9, the bias column.
"""

from __future__ import annotations

#: Edited column of each figure feature, per variant: ``paper`` indexes the
#: 11-column credit matrix, ``notebook`` the notebooks' 10-column matrix
#: (credit column 0 dropped).
FEATURE_COLUMNS: dict[str, dict[str, int]] = {
    "paper": {"age": 1, "#dependents": 9},
    "notebook": {"age": 1, "#dependents": 9},
}
#: Budget on the shift η in the paper variant: what 250 Adam steps of lr 0.01 can reach.
SHIFT_BOUND = 2.5
