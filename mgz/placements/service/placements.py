"""Placements into work and training, with snapshots of the client's status (goal 44).

Indicator 10 counts a placement by what was true when it was made: the kind is
subject to social insurance (attribute of the code list ``placement_outcome``), and
by the placement's snapshot the person was a protection seeker (group attribute
``protection_seeker`` of ``residence_status_group``) receiving SGB II. The snapshot
is taken from the client file when the adviser does not give it, and a later change
of the file never touches it.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, extract, select
from sqlalchemy.orm import Session

from mgz.clients import records
from mgz.clients.access import CaseAccess
from mgz.clients.models import Client
from mgz.core.classification import DataClass, fields_of, statistical_table
from mgz.core.db import Base
from mgz.placements.models import Placement
from mgz.placements.schemas import PlacementCreate, PlacementUpdate
from mgz.placements.service.common import (
    apply,
    event,
    load,
    merged,
    refuse_if,
    refuse_nulls,
    start_change,
)
from mgz.profiling.service import is_valid_kldb_code
from mgz.reference import service as reference

# Field names for the audit log, from the columns' classification.
PERSONAL_FIELDS = fields_of(Placement, DataClass.IDENTIFYING)
FOLLOW_UP_MONTHS = 6
_STALE = "Die Vermittlung wurde inzwischen geändert. Laden Sie sie neu."


def six_months_after(day: date) -> date:
    """``day`` plus six calendar months; the 31 August gives the end of February."""
    month = day.month - 1 + FOLLOW_UP_MONTHS
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check(
    session: Session, client: Client, values: dict[str, Any], margin_days: int
) -> dict[str, list[str]]:
    codes = reference.CodeErrors(session)
    codes.check("kind", "placement_outcome", values.get("kind"))
    codes.check("employer_sector", "employer_sector", values.get("employer_sector"))
    codes.check("residence_status", "residence_status", values.get("residence_status"))
    errors = codes.errors
    kldb = values.get("kldb_code")
    if kldb is not None and not is_valid_kldb_code(session, kldb):
        errors.setdefault("kldb_code", []).append(
            "Unbekannter KldB-2010-Code (Berufsbereich oder Anforderungsniveau)."
        )
    placed_on = values.get("placed_on")
    earliest = client.moved_in_on - timedelta(days=margin_days) if client.moved_in_on else None
    if placed_on is not None and earliest is not None and placed_on < earliest:
        errors.setdefault("placed_on", []).append(
            f"Liegt mehr als {margin_days} Tage vor dem Zuzugsdatum der Akte."
        )
    return errors


def _snapshot_group(session: Session, values: dict[str, Any]) -> None:
    if "residence_status" in values:
        status = values["residence_status"]
        values["residence_status_group"] = (
            reference.group_of(session, "residence_status", status) if status else None
        )


def create_placement(
    case: CaseAccess, client_id: uuid.UUID, data: PlacementCreate, *, margin_days: int
) -> Placement:
    """Record a placement; snapshots not given are taken from the client file now.

    Writes ``placement.create`` and ``placement.read`` (the response shows remarks).
    """
    session = case.session
    client = case.open(client_id)
    values: dict[str, Any] = dict(data)
    refuse_if(_check(session, client, values, margin_days))
    if "residence_status" not in values:
        values["residence_status"] = client.residence_status
    if "receives_sgb2" not in values:
        values["receives_sgb2"] = client.receives_sgb2
    _snapshot_group(session, values)
    placement = Placement(
        id=uuid.uuid4(),
        client_id=client.id,
        adviser_id=case.actor.user_id,
        follow_up_due_on=six_months_after(values["placed_on"]),
        **values,
    )
    session.add(placement)
    session.flush()
    event(case, "placement.create", client, placement, sorted(data), kind=placement.kind)
    event(case, "placement.read", client, placement, PERSONAL_FIELDS)
    return placement


def list_placements(case: CaseAccess, client_id: uuid.UUID) -> list[Placement]:
    """All placements of a client, oldest first; one ``placement.list`` event."""
    return records.list_records(
        case,
        client_id,
        lambda client: (
            select(Placement)
            .where(Placement.client_id == client.id)
            .order_by(Placement.placed_on, Placement.created_at)
        ),
        object_type="placement",
        fields=PERSONAL_FIELDS,
    )


def get_placement(case: CaseAccess, client_id: uuid.UUID, placement_id: uuid.UUID) -> Placement:
    """One placement; writes a read event."""
    client = case.open(client_id)
    placement = load(case.session, Placement, client, placement_id, "Vermittlung nicht gefunden.")
    event(case, "placement.read", client, placement, PERSONAL_FIELDS)
    return placement


def update_placement(
    case: CaseAccess,
    client_id: uuid.UUID,
    placement_id: uuid.UUID,
    data: PlacementUpdate,
    *,
    margin_days: int,
) -> Placement:
    """Correct a placement or record its follow-up, if ``data["version"]`` is current.

    The follow-up (``still_employed`` with ``follow_up_checked_on``) may be recorded
    from ``placed_on`` + 6 months on (goal 45: six months' follow-up); earlier is 422.
    Snapshots change only when sent: a correction, never a copy of today's file.
    """
    session = case.session
    client = case.open(client_id)
    placement = load(session, Placement, client, placement_id, "Vermittlung nicht gefunden.")
    values: dict[str, Any] = dict(data)
    start_change(placement, values, _STALE)
    refuse_nulls(values, ("placed_on", "kind", "kldb_code"))
    errors = _check(session, client, values, margin_days)
    placed_on = merged(placement, values, "placed_on")
    due = six_months_after(placed_on)
    checked = merged(placement, values, "follow_up_checked_on")
    if checked is not None and checked < due:
        field = "follow_up_checked_on" if "follow_up_checked_on" in values else "placed_on"
        errors.setdefault(field, []).append(
            f"Die Nachfrage nach sechs Monaten ist erst ab dem {due:%d.%m.%Y} möglich."
        )
    refuse_if(errors)
    _snapshot_group(session, values)
    values["follow_up_due_on"] = due
    changed = sorted(set(data) - {"version"})
    apply(session, placement, values)
    event(case, "placement.update", client, placement, changed, kind=placement.kind)
    event(case, "placement.read", client, placement, PERSONAL_FIELDS)
    return placement


def _attribute_codes(session: Session, list_name: str, attribute: str) -> set[str]:
    return {
        entry.code
        for entry in reference.codes(session, list_name, include_withdrawn=True)
        if entry.attributes.get(attribute)
    }


def counts_for_indicator_10(session: Session, placement: Placement) -> bool:
    """Whether ``placement`` counts for indicator 10, by its own snapshot."""
    return (
        placement.kind
        in _attribute_codes(session, "placement_outcome", "subject_to_social_insurance")
        and placement.residence_status_group
        in _attribute_codes(session, "residence_status_group", "protection_seeker")
        and placement.receives_sgb2 is True
    )


def indicator_10(session: Session, year: int) -> int:
    """Indicator 10 for ``year``: counted placements, at most one per person and month.

    Reads the statistical columns only (``statistical_table``), as the statistics
    area will; no client file is opened, so nothing is decrypted or logged.
    """
    placements = statistical_table(Base.metadata, "placements")
    rows = session.execute(
        select(
            placements.c.client_id,
            extract("month", placements.c.placed_on),
        )
        .where(
            and_(
                extract("year", placements.c.placed_on) == year,
                placements.c.kind.in_(
                    _attribute_codes(session, "placement_outcome", "subject_to_social_insurance")
                ),
                placements.c.residence_status_group.in_(
                    _attribute_codes(session, "residence_status_group", "protection_seeker")
                ),
                placements.c.receives_sgb2.is_(True),
            )
        )
        .distinct()
    )
    return len(rows.all())
