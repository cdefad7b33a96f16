"""What an export is asked for, and the rules every request meets (API and CLI alike).

The schema refuses bad input field by field for the API; the command line has no
schema, so :func:`check` states the same rules once, with the same field names and
German messages, and the service calls it for every request whatever its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from mgz.core.errors import InvalidInputError
from mgz.statistics.definitions import FIRST_YEAR as STATISTICS_FIRST_YEAR

KINDS = ("aggregates", "microdata")
FORMATS = ("csv", "xlsx", "json")
FIRST_YEAR = STATISTICS_FIRST_YEAR
DEFAULT_K = 5
DEFAULT_THRESHOLD = 3
DEFAULT_MAX_SUPPRESSION = 0.05
DEFAULT_L = 2
MAX_SUPPRESSION_LIMIT = 0.5
# Bounds no real export needs to pass; they keep the numbers storable and sane.
MAX_K = 1000
MAX_THRESHOLD = 100
MAX_L = 100


@dataclass(frozen=True)
class ExportRequest:
    """One export as asked for; ``first_year``/``last_year`` are ``from``/``to``."""

    kind: str
    export_format: str
    first_year: int
    last_year: int
    k: int = DEFAULT_K
    threshold: int = DEFAULT_THRESHOLD
    max_suppression: float = DEFAULT_MAX_SUPPRESSION
    l_required: int = DEFAULT_L

    def parameters(self) -> dict[str, Any]:
        """The parameters that shape this kind of export, by their API names."""
        common: dict[str, Any] = {
            "kind": self.kind,
            "format": self.export_format,
            "from": self.first_year,
            "to": self.last_year,
        }
        if self.kind == "aggregates":
            return {**common, "threshold": self.threshold}
        return {
            **common,
            "k": self.k,
            "max_suppression": self.max_suppression,
            "l": self.l_required,
        }


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check(request: ExportRequest, today: date) -> None:
    """Refuse a request that breaks a rule, with a German message per field (422)."""
    errors: dict[str, list[str]] = {}
    if request.kind not in KINDS:
        errors["kind"] = ["Unbekannte Art; erlaubt: " + ", ".join(KINDS) + "."]
    if request.export_format not in FORMATS:
        errors["format"] = ["Unbekanntes Format; erlaubt: " + ", ".join(FORMATS) + "."]
    for name, value in (("from", request.first_year), ("to", request.last_year)):
        if not _whole(value) or not FIRST_YEAR <= value <= today.year:
            errors[name] = [f"Jahr muss zwischen {FIRST_YEAR} und {today.year} liegen."]
    if "from" not in errors and "to" not in errors and request.first_year > request.last_year:
        errors["from"] = ["from liegt nach to."]
    if not _whole(request.k) or not 2 <= request.k <= MAX_K:
        errors["k"] = [f"k muss eine ganze Zahl zwischen 2 und {MAX_K} sein."]
    if not _whole(request.threshold) or not 1 <= request.threshold <= MAX_THRESHOLD:
        errors["threshold"] = [
            f"Die Schwelle muss eine ganze Zahl zwischen 1 und {MAX_THRESHOLD} sein."
        ]
    share = request.max_suppression
    if (
        isinstance(share, bool)
        or not isinstance(share, int | float)
        or not 0 <= share <= MAX_SUPPRESSION_LIMIT
    ):
        errors["max_suppression"] = [
            f"Der Anteil unterdrückter Zeilen muss zwischen 0 und {MAX_SUPPRESSION_LIMIT} liegen."
        ]
    if not _whole(request.l_required) or not 2 <= request.l_required <= MAX_L:
        errors["l"] = [f"l muss eine ganze Zahl zwischen 2 und {MAX_L} sein."]
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
