"""What an indicator gives for one year: one shape for all, so API, CLI and chart agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class YearFigure:
    """An indicator in one year.

    ``value`` is the figure as published (a share in per cent for indicator 1, a count
    for 6 and 10); ``breakdowns`` split it, ``beside`` holds what is counted next to it
    but not in it; ``published`` are figures from outside mgz (reference figures), shown
    beside the computed value and never added into it.
    """

    year: int
    value: float | None
    provisional: bool
    numerator: int | None = None
    denominator: int | None = None
    reason: str | None = None
    breakdowns: dict[str, int] = field(default_factory=dict)
    beside: dict[str, int] = field(default_factory=dict)
    denominator_source: dict[str, Any] | None = None
    distinct_persons: int | None = None
    cumulative: int | None = None
    published: dict[str, int] = field(default_factory=dict)
