"""Dates as the office sees them: "today" is today in Osnabrück, not in UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

OFFICE_TZ = ZoneInfo("Europe/Berlin")


def today() -> date:
    """The current date in Europe/Berlin (a consultation at 00:30 belongs to that day)."""
    return datetime.now(OFFICE_TZ).date()


def age_on(birth_date: date, day: date) -> int:
    """Completed years of age on ``day``."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
