"""Shared fixtures: the real credit population when it is installed.

Tests that need a resource this machine may lack (the Kaggle credit file,
Debian's Chromium) skip with a reason; with ``PLATFORM_ABM_STRICT=1`` (set by
``.ci/run``) a missing resource fails the test instead, so CI never counts a
skipped test as passing.
"""

from __future__ import annotations

import os

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
