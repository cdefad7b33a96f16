"""Retention: which client files are due for erasure, and erasing them in batches.

A file is due when its last contact plus the longest retention period of the record
types it holds lies before today, and no legal hold applies (``mgz.privacy.holds``).
The last contact is the newest date among the client's records (a consultation
held, a profiling, a referral step, a placement or its follow-up, a benefit period's
start or end, ...); a file without any record counts from the day it was opened.
The periods are years per record type, ``RETENTION_YEARS`` in config/defaults.toml
(defaults and their reasons in docs/privacy.md); no single statutory period exists,
so the county's data-protection officer sets them.

The dry run and the run that erases use the same query (:func:`due_clients`), so
they agree on the same data; already erased files are not due any more, which makes
an interrupted run resumable: run it again, nothing is erased twice or skipped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mgz.clients.access import not_erased
from mgz.clients.models import Client
from mgz.competences.models import CompetenceAssessment, Qualification
from mgz.consultations.models import Consultation
from mgz.core.actor import Actor
from mgz.core.config import Setting, register
from mgz.core.errors import DomainError
from mgz.courses.models import CourseReferral
from mgz.placements.models import Benefit, Measure, Placement
from mgz.privacy.erasure import erase_client
from mgz.privacy.holds import not_held
from mgz.privacy.models import Consent
from mgz.profiling.models import Profiling

RETENTION_REASON = "retention_expired"
FILES = "client_files"  # the file itself: counts for every client
# Per record type: the model and its dates that are a contact with the client.
RECORD_DATES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "consultations": (Consultation, (Consultation.held_on,)),
    "profilings": (Profiling, (Profiling.profiled_on,)),
    "competence_assessments": (CompetenceAssessment, (CompetenceAssessment.assessed_on,)),
    "qualifications": (
        Qualification,
        (Qualification.counselling_referred_on, Qualification.applied_on, Qualification.decided_on),
    ),
    "course_referrals": (CourseReferral, (CourseReferral.status_on,)),
    "placements": (Placement, (Placement.placed_on, Placement.follow_up_checked_on)),
    "benefits": (Benefit, (Benefit.from_on, Benefit.to_on)),
    "measures": (Measure, (Measure.starts_on, Measure.ends_on)),
    "consents": (Consent, (Consent.given_on, Consent.withdrawn_on)),
}
RECORD_TYPES = (FILES, *RECORD_DATES)


def parse_retention_years(value: Any) -> dict[str, int]:
    """Years per record type: a TOML table, or ``type=years,...`` from the environment.

    Every record type needs its period (a forgotten one would keep its records for
    ever, or erase them at once), each between 1 and 50 years.
    """
    if isinstance(value, str):
        pairs: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            name, sep, years = item.partition("=")
            if not sep:
                raise ValueError("must be record_type=years, separated by commas")
            pairs[name.strip()] = years.strip()
        value = pairs
    if not isinstance(value, Mapping):
        raise ValueError("must be a table of record types and years")
    unknown = sorted(set(value) - set(RECORD_TYPES))
    if unknown:
        raise ValueError(f"unknown record type {unknown[0]}")
    missing = [name for name in RECORD_TYPES if name not in value]
    if missing:
        raise ValueError(f"no period for {missing[0]}")
    periods: dict[str, int] = {}
    for name in RECORD_TYPES:
        years = value[name]
        if isinstance(years, bool) or not str(years).strip().isdigit():
            raise ValueError(f"{name}: must be a whole number of years")
        if not 1 <= int(years) <= 50:
            raise ValueError(f"{name}: must be between 1 and 50 years")
        periods[name] = int(years)
    return periods


register(
    Setting(
        "RETENTION_YEARS",
        parse_retention_years,
        "years a client file is kept after the last contact, per record type",
        required=True,
    )
)


@dataclass(frozen=True)
class Due:
    """A file due for erasure: its pseudonymous case number and dates, nothing else."""

    client_id: uuid.UUID
    case_number: str
    last_contact: date
    due_on: date


def add_years(day: date, years: int) -> date:
    """``day`` plus ``years`` (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def due_clients(
    session: Session,
    periods: Mapping[str, int],
    on: date,
    client_ids: Sequence[uuid.UUID] | None = None,
) -> list[Due]:
    """The files due on ``on`` (not erased, under no hold), by due date and case number."""
    query = select(Client.id, Client.case_number, Client.created_at).where(
        not_erased(), not_held(on)
    )
    if client_ids is not None:
        query = query.where(Client.id.in_(list(client_ids)))
    files = {row[0]: (row[1], row[2].date()) for row in session.execute(query)}
    last: dict[uuid.UUID, date] = {}
    years = dict.fromkeys(files, periods[FILES])
    for kind, (model, columns) in RECORD_DATES.items():
        newest = select(model.client_id, *(func.max(column) for column in columns)).group_by(
            model.client_id
        )
        if client_ids is not None:
            newest = newest.where(model.client_id.in_(list(client_ids)))
        for client_id, *dates in session.execute(newest):
            if client_id not in files:
                continue
            years[client_id] = max(years[client_id], periods[kind])
            for day in dates:
                if day is not None and (client_id not in last or day > last[client_id]):
                    last[client_id] = day
    due = []
    for client_id, (case_number, opened) in files.items():
        contact = last.get(client_id, opened)
        due_on = add_years(contact, years[client_id])
        if due_on < on:
            due.append(Due(client_id, case_number, contact, due_on))
    return sorted(due, key=lambda item: (item.due_on, item.case_number))


def _batches(items: Sequence[Due], size: int) -> Iterable[Sequence[Due]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def apply_retention(
    session: Session,
    actor: Actor,
    periods: Mapping[str, int],
    on: date,
    *,
    batch_size: int = 100,
    pause: float = 0.0,
    on_batch: Callable[[int, Sequence[Due]], None] | None = None,
) -> list[Due]:
    """Erase every file due, committing batch by batch; returns what was erased.

    A batch job that commits in chunks, on purpose (like ``mgz keys rotate``): each
    batch is one transaction in which every file is erased and audited
    (``client.erased`` with reason ``retention_expired``), so an interrupted run
    leaves whole batches done, and the next run finds only the files still due.
    Each batch asks again which of its files are still due (a new contact or a hold
    since the list was made takes a file out). ``pause`` seconds between batches
    spare the live application. ``on_batch`` hears of each batch committed: its
    size and the files it erased.
    """
    due = due_clients(session, periods, on)
    session.rollback()  # end the read before the first batch's writes
    erased: list[Due] = []
    for number, batch in enumerate(_batches(due, batch_size)):
        if number and pause:
            time.sleep(pause)
        still = {
            d.client_id for d in due_clients(session, periods, on, [d.client_id for d in batch])
        }
        done = []
        for item in batch:
            if item.client_id not in still:
                continue
            try:
                erase_client(
                    session,
                    actor,
                    item.client_id,
                    reason=RETENTION_REASON,
                    confirm=item.case_number,
                    on=on,
                )
            except DomainError:
                continue  # erased or held meanwhile: not due any more
            done.append(item)
        session.commit()
        erased.extend(done)
        if on_batch is not None:
            on_batch(len(batch), done)
    return erased
