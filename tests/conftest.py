"""Shared fixtures: the real credit population when it is installed, the sweep scenarios.

Tests that need a resource this machine may lack (the Kaggle credit file,
Debian's Chromium) skip with a reason; with ``PLATFORM_ABM_STRICT=1`` (set by
``.ci/run``) a missing resource fails the test instead, so CI never counts a
skipped test as passing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

STRICT = os.environ.get("PLATFORM_ABM_STRICT") == "1"


def missing_resource(reason: str) -> None:
    """Skip the calling test, or fail it when running strictly (CI)."""
    if STRICT:
        pytest.fail(f"PLATFORM_ABM_STRICT=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def credit():
    """The real credit population (docs/model.md §5), seed 0."""
    from platform_abm.common import data

    if data.find_credit_file() is None:
        missing_resource(
            "the Kaggle credit file is not installed (make credit-data, or set "
            "PLATFORM_ABM_CREDIT_CSV)"
        )
    return data.load_credit(seed=0)


# Shared sweep scenarios (tests/test_batch_*.py, tests/test_sweep_safety.py).

TINY_SWEEP = """
[scenario]
name = "tiny"
seed = 3
rounds = 3

[population]
source = "gaussian"
n = 200
strategic_features = [0, 1]

[sweep]
seeds = 2

[sweep.parameters]
"users.epsilon" = [0.25, 1.0]
"""
"""Four runs of a fraction of a second (2 ε × 2 seeds); its last table is ``[sweep.parameters]``."""

SLOW_SWEEP = """
[scenario]
name = "slow"
seed = 5
rounds = 25

[population]
source = "gaussian"
n = 5000
strategic_features = [0, 1, 2]

[users]
epsilon = {distribution = "lognormal", median = 0.4, sigma = 0.5}
levels = {1 = 0.5, 2 = 0.5}

[sweep]
seeds = 4
record = "last"

[sweep.parameters]
"users.epsilon.median" = [0.2, 0.4]
"""
"""Eight runs of a few tenths of a second each: long enough to kill or interrupt mid-sweep."""


@pytest.fixture(scope="session")
def tiny_sweep() -> str:
    """The text of the tiny sweep scenario (:data:`TINY_SWEEP`)."""
    return TINY_SWEEP


@pytest.fixture(scope="session")
def slow_sweep() -> str:
    """The text of the slow sweep scenario (:data:`SLOW_SWEEP`)."""
    return SLOW_SWEEP


@pytest.fixture(scope="session")
def write_scenario():
    """A function writing a scenario text to ``folder/name`` and returning the path."""

    def write(folder, text: str, name: str = "sweep.toml"):
        path = Path(folder) / name
        path.write_text(text)
        return path

    return write
