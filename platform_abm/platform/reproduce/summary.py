"""Headline numbers of a reproduction: measured, published and authors'-code values side by side.

Every ``platform-abm reproduce`` command writes a ``summary.json`` whose
``headlines`` list one entry per number a reader compares with the paper: the
value this package measured, the value printed in the paper (or read off its
figure), the value the authors' own code gives when re-run on the same data,
and the tolerance under which the measured value counts as agreeing with its
reference. The same entries are printed as a table at the end of the command.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from platform_abm.common.results import save_json

Reference = Literal["published", "authors_code"]


@dataclass(frozen=True)
class Headline:
    """One headline number of a figure.

    Attributes:
        name: What the number is (e.g. ``"contraction (.9,.1)"``).
        measured: The value this package computed.
        published: The paper's value, or None when the paper gives none.
        authors_code: The value of the authors' code re-run on the same data, or None.
        reference: Which of the two the tolerance compares with.
        rel_tol: Allowed relative deviation from the reference.
        abs_tol: Allowed absolute deviation from the reference.
        note: Why this tolerance, or what the number means.
    """

    name: str
    measured: float
    published: float | None = None
    authors_code: float | None = None
    reference: Reference = "published"
    rel_tol: float = 0.0
    abs_tol: float = 0.0
    note: str = ""

    @property
    def target(self) -> float | None:
        """The reference value the tolerance applies to."""
        return self.published if self.reference == "published" else self.authors_code

    @property
    def agrees(self) -> bool | None:
        """Whether the measured value is within tolerance of its reference (None: no reference)."""
        target = self.target
        if target is None or not math.isfinite(self.measured):
            return None if target is None else False
        return abs(self.measured - target) <= self.abs_tol + self.rel_tol * abs(target)

    def record(self) -> dict[str, Any]:
        """The JSON record of this headline (fields plus ``target`` and ``agrees``)."""
        return {**asdict(self), "target": self.target, "agrees": self.agrees}


def write_summary(
    out_dir: str | Path,
    figure: str,
    variant: str,
    headlines: Sequence[Headline],
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``summary.json`` for a reproduction and return its content.

    Args:
        out_dir: The reproduction's output folder.
        figure: Figure name (``fig1`` … ``fig5``).
        variant: ``paper`` or ``notebook``.
        headlines: The headline numbers.
        settings: The settings the run used (seeds, grid, learner setting, ...).

    Returns:
        The summary as written.
    """
    from platform_abm import __version__

    summary = {
        "platform_abm_version": __version__,
        "figure": figure,
        "variant": variant,
        "settings": dict(settings or {}),
        "headlines": [h.record() for h in headlines],
    }
    save_json(summary, Path(out_dir) / "summary.json")
    return summary


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.6g}"


def format_headlines(summary: Mapping[str, Any]) -> str:
    """The headline table of a summary, as aligned plain text.

    Args:
        summary: A summary as returned by :func:`write_summary`.

    Returns:
        One header line and one line per headline.
    """
    marks = {True: "yes", False: "NO", None: "—"}
    rows = [("headline", "measured", "published", "authors' code", "agrees")]
    for h in summary["headlines"]:
        rows.append(
            (
                h["name"],
                _number(h["measured"]),
                _number(h["published"]),
                _number(h["authors_code"]),
                marks[h["agrees"]],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )
