"""The six-month follow-ups due (goal 45), for the adviser's own list of things to do."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients.access import AccessPolicy, not_erased
from mgz.clients.models import Client, client_advisers
from mgz.core.actor import Actor
from mgz.core.clock import today
from mgz.placements.models import Placement


def follow_ups_due(
    session: Session, actor: Actor, policy: AccessPolicy, until: date | None = None
) -> list[dict[str, Any]]:
    """Placements without a follow-up whose due date is ``until`` (default today) or earlier.

    Only files the adviser opens without a reason: every file under ``team``, their
    own files under ``assigned`` (a break glass is for one file, not for a list).
    Ordered by due date. The rows carry no personal data (case number, codes, dates);
    one ``placement.follow_ups_due`` event records the count.
    """
    until = until or today()
    query = (
        select(
            Placement.id,
            Placement.client_id,
            Client.case_number,
            Placement.placed_on,
            Placement.kind,
            Placement.follow_up_due_on,
        )
        .join(Client, Client.id == Placement.client_id)
        .where(
            Placement.still_employed.is_(None),
            Placement.follow_up_due_on <= until,
            not_erased(),
        )
        .order_by(Placement.follow_up_due_on, Client.case_number, Placement.id)
    )
    if policy.mode != "team":
        query = query.join(
            client_advisers,
            (client_advisers.c.client_id == Client.id)
            & (client_advisers.c.user_id == actor.user_id),
        )
    items = [
        {
            "placement_id": row.id,
            "client_id": row.client_id,
            "case_number": row.case_number,
            "placed_on": row.placed_on,
            "kind": row.kind,
            "follow_up_due_on": row.follow_up_due_on,
        }
        for row in session.execute(query)
    ]
    record(
        session,
        actor,
        "placement.follow_ups_due",
        object_type="placement",
        details={"count": len(items), "until": until.isoformat(), "policy": policy.mode},
    )
    return items
