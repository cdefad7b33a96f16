"""Reading an indicator: the years asked for, checked; the figures; one audit event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from mgz.audit import service as audit
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import InvalidInputError, NotFoundError
from mgz.statistics import indicator_one, indicator_six, indicator_ten, replica
from mgz.statistics.definitions import FIRST_YEAR, INDICATORS, MAX_SERIES_YEARS, Indicator

COMPUTE = {1: indicator_one.compute, 6: indicator_six.compute, 10: indicator_ten.compute}


class UnknownIndicatorError(NotFoundError):
    """The concept's indicators that mgz computes are listed in docs/statistics.md."""

    slug = "unknown-indicator"


@dataclass
class IndicatorReport:
    """An indicator over a range of years, with its definition and when it was computed."""

    indicator: Indicator
    first: int
    last: int
    years: list[Any]
    computed_at: datetime

    def as_body(self) -> dict[str, Any]:
        """The report as the API and the CLI show it."""
        indicator = self.indicator
        return {
            "indicator": indicator.number,
            "title": indicator.title,
            "definition_version": indicator.definition_version,
            "target": {
                "value": indicator.target,
                "unit": indicator.target_unit,
                "by_year": indicator.target_year,
                "note": indicator.target_note,
                "cumulative": indicator.target_is_cumulative,
            },
            "years": self.years,
            "computed_at": self.computed_at,
        }


def years_asked(
    year: int | None, first: int | None, last: int | None, today: date
) -> tuple[int, int]:
    """The range of years of a request: ``year`` alone, or ``from`` and ``to``."""
    errors: dict[str, list[str]] = {}
    if year is not None and (first is not None or last is not None):
        errors["year"] = ["Entweder year oder from und to angeben, nicht beides."]
    elif year is None and (first is None or last is None):
        missing = "from" if first is None else "to"
        if first is None and last is None:
            errors["year"] = ["year oder from und to angeben."]
        else:
            errors[missing] = ["from und to gehören zusammen."]
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
    low, high = (year, year) if year is not None else (first or 0, last or 0)
    for name, value in (("year", year), ("from", first), ("to", last)):
        if value is not None and not FIRST_YEAR <= value <= today.year:
            errors[name] = [f"Jahr muss zwischen {FIRST_YEAR} und {today.year} liegen."]
    if not errors and low > high:
        errors["from"] = ["from liegt nach to."]
    if not errors and high - low + 1 > MAX_SERIES_YEARS:
        errors["to"] = [f"Höchstens {MAX_SERIES_YEARS} Jahre auf einmal."]
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
    return low, high


def read_indicator(
    session: Session,
    actor: Actor,
    number: int,
    *,
    year: int | None = None,
    first: int | None = None,
    last: int | None = None,
    today: date,
    chart: str | None = None,
) -> IndicatorReport:
    """Compute indicator ``number`` for the years asked; audited (who, which, which years).

    ``chart`` names the format when the figures are read to draw a chart (audited as such).
    """
    indicator = INDICATORS.get(number)
    if indicator is None:
        raise UnknownIndicatorError(
            "Unbekannter Indikator; berechnet werden: "
            + ", ".join(str(n) for n in sorted(INDICATORS))
            + "."
        )
    low, high = years_asked(year, first, last, today)
    with replica.reading_session(session) as reading:
        figures = COMPUTE[number](reading, low, high, today)
    details: dict[str, str | int | bool] = {"indicator": number, "from": low, "to": high}
    if chart is not None:
        details["chart"] = chart
    audit.record(
        session,
        actor,
        "statistics.chart.read" if chart else "statistics.indicator.read",
        object_type="indicator",
        object_id=str(number),
        details=details,
    )
    return IndicatorReport(indicator, low, high, figures, utcnow())
