"""Deterministic run keys and per-run seeds.

A run is identified by its parameter values and its replicate number, never by
its position in the grid or the order in which it finished: the key is a hash
of the canonical JSON of ``{"params": {path: value}, "replicate": r}``, so the
same run gets the same key (and the same seed) whatever the order of the
``[sweep.parameters]`` table, the backend, the number of workers or the
completion order.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from platform_abm.common.errors import InputError

KEY_BYTES = 8
SEED_MODES = ("run", "replicate")
MAX_SEED = 2**63 - 1


def plain(value: Any) -> Any:
    """Convert numpy scalars and arrays, and tuples, into plain JSON-like Python values.

    Args:
        value: A scalar, list, tuple, mapping or numpy value.

    Returns:
        The same value built from ``bool``, ``int``, ``float``, ``str``,
        ``list`` and ``dict`` (with string keys) only.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def canonical_json(value: Any) -> str:
    """The canonical JSON text of a value: sorted keys, no spaces, no NaN.

    Values JSON cannot hold exactly (dates from TOML, for instance) are written
    through ``str``.

    Args:
        value: A JSON-like value (see :func:`plain`).

    Returns:
        The text; equal values give equal texts.

    Raises:
        InputError: For non-finite floats, which have no canonical JSON form.
    """
    try:
        return json.dumps(
            plain(value), sort_keys=True, separators=(",", ":"), allow_nan=False, default=str
        )
    except ValueError:
        raise InputError("sweep value", value, "finite numbers only (no NaN or infinity)") from None


def digest(text: str) -> str:
    """A 16-hex-digit BLAKE2b digest of a text (stable across platforms and Python versions)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_BYTES).hexdigest()


def run_key(params: Mapping[str, Any], replicate: int) -> str:
    """The key of one run: a digest of its parameter values and replicate number.

    Args:
        params: Parameter values by dotted scenario path.
        replicate: Replicate number (0, 1, ... for ``seeds = N``).

    Returns:
        16 lowercase hexadecimal digits.
    """
    return digest(canonical_json({"params": dict(params), "replicate": int(replicate)}))


def run_seed(sweep_seed: int, key: str, replicate: int, mode: str = "run") -> int:
    """The model seed of one run, drawn from a :class:`numpy.random.SeedSequence`.

    Args:
        sweep_seed: The sweep's seed (``[sweep] seed``, by default ``scenario.seed``).
        key: The run key (see :func:`run_key`).
        replicate: The run's replicate number.
        mode: ``"run"`` (default): every run has its own stream, derived from
            the sweep seed and the run key. ``"replicate"``: every run with the
            same replicate number shares one seed across parameter points
            (common random numbers, for paired comparisons).

    Returns:
        An integer in ``[0, 2**63 - 1]`` (a valid ``scenario.seed``).

    Raises:
        InputError: When ``mode`` is unknown.
    """
    if mode == "run":
        words = [int(key[i : i + 8], 16) for i in range(0, len(key), 8)]
        entropy = [int(sweep_seed), *words]
    elif mode == "replicate":
        entropy = [int(sweep_seed), int(replicate)]
    else:
        raise InputError("sweep.seed_mode", mode, f"one of {list(SEED_MODES)}")
    state = np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint64)
    return int(state[0]) >> 1


def tidy_float(value: float, digits: int = 12) -> float:
    """Round a float to ``digits`` significant digits (0.30000000000000004 becomes 0.3).

    Args:
        value: A finite float.
        digits: Significant digits kept.

    Returns:
        The rounded float.
    """
    if value == 0.0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")
