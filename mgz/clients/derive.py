"""Statistical attributes derived from personal ones, and the checks that need code lists.

Each value belongs to exactly one class of data, personal (encrypted) or statistical
(plaintext), never both: birth year, citizenship group and the residence-status group
are derived when the personal value is written, so statistics never decrypt anything
(see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from mgz.clients.models import Client
from mgz.reference import service as reference


def citizenship_group(session: Session, nationality: Iterable[str]) -> str:
    """Derive the statistical group (a code of ``citizenship_group``) from the nationalities.

    The country list groups every state into that list. Of several nationalities the
    first group of ``eu``, ``third_country``, ``stateless`` wins: any EU/EEA/Swiss (or
    German) nationality gives ``eu``, since freedom of movement applies whatever else
    the person holds, and such a person is no third-country national for indicator 1.
    """
    groups = {reference.group_of(session, "country", code) for code in nationality}
    if "eu" in groups:
        return "eu"
    if "third_country" in groups:
        return "third_country"
    if "stateless" in groups:
        return "stateless"
    return "unknown"


def is_protection_seeker_group(session: Session, group: str | None) -> bool:
    """Whether a residence-status group counts as protection seekers (Destatis).

    The code list's ``protection_seeker`` attribute decides, so indicators 1 and 10
    follow the reference data rather than a naming convention.
    """
    entry = reference.get_code(session, "residence_status_group", group) if group else None
    return bool(entry and entry.attributes.get("protection_seeker"))


def check_codes(session: Session, values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Per-field errors for codes not in their code list."""
    codes = reference.CodeErrors(session)
    codes.check_each("nationality", "country", values.get("nationality"))
    codes.check_each("languages", "language", values.get("languages"))
    codes.check("residence_status", "residence_status", values.get("residence_status"))
    municipality = values.get("municipality")
    if municipality != "unknown":
        codes.check("municipality", "municipality", municipality)
    return codes.errors


def check_dates(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Per-field errors for birth, entry and move-in dates out of order."""
    errors: dict[str, list[str]] = {}
    born: date | None = values.get("birth_date")
    entered: date | None = values.get("entered_germany_on")
    moved: date | None = values.get("moved_in_on")
    if born and entered and entered < born:
        errors["entered_germany_on"] = ["Einreise liegt vor dem Geburtsdatum."]
    if entered and moved and moved < entered:
        errors["moved_in_on"] = ["Zuzug liegt vor der Einreise nach Deutschland."]
    if born and moved and moved < born:
        errors.setdefault("moved_in_on", []).append("Zuzug liegt vor dem Geburtsdatum.")
    return errors


def age_on(born: date, day: date) -> int:
    """Completed years of life on ``day`` (§ 187 Abs. 2, § 188 Abs. 2 BGB).

    A year of life is complete at the start of the birthday, so someone born on
    1 May 1997 is 21 on 1 May 2018 and 20 the day before. Someone born on 29 February
    completes a year on 1 March in years without that day (§ 188 Abs. 3 BGB): the
    month-and-day comparison gives exactly that.
    """
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def derive(session: Session, client: Client) -> None:
    """Recompute the statistical attributes from the values just written."""
    if client.birth_date is not None:
        client.birth_year = client.birth_date.year
    client.age_at_move_in = (
        age_on(client.birth_date, client.moved_in_on)
        if client.birth_date is not None and client.moved_in_on is not None
        else None
    )
    client.citizenship_group = citizenship_group(session, client.nationality or [])
    group = (
        reference.group_of(session, "residence_status", client.residence_status)
        if client.residence_status
        else None
    )
    client.residence_status_group = group
    client.is_protection_seeker = is_protection_seeker_group(session, group)
