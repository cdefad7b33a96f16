"""Helpers for client-file tests: advisers, a valid intake body, audit look-ups."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from mgz.audit.models import AuditEvent
from tests import factories


def intake(**overrides: Any) -> dict[str, Any]:
    """A valid POST /clients body with synthetic (obviously fake) values."""
    body: dict[str, Any] = {
        "first_name": "Testa",
        "last_name": "Beispielfrau",
        "birth_date": "1990-04-12",
        "birth_place": "Testort",
        "nationality": ["SY"],
        "address": "Musterweg 1, 49074 Testdorf",
        "phone": "+49 541 000000",
        "email": "testa@example.org",
        "notes": "Erste Notiz.",
        "gender": "female",
        "residence_status": "AE_25_2_GFK",
        "entered_germany_on": "2024-02-01",
        "moved_in_on": "2024-03-15",
        "moved_in_from_abroad": True,
        "municipality": "03459024",
        "receives_sgb2": True,
        "languages": ["ar", "en"],
        "interpreter_needed": True,
    }
    body.update(overrides)
    return body


def events(db, action: str | None = None, since: int = 0) -> list[dict[str, Any]]:
    """Audit events written so far (after ``since``), decoded."""
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.seq > since).order_by(AuditEvent.seq)
    if action:
        query = query.where(AuditEvent.action == action)
    return [
        {
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "fields": json.loads(e.fields),
            "details": json.loads(e.details) if e.details else {},
            "outcome": e.outcome,
            "actor_user_id": e.actor_user_id,
            "request_id": e.request_id,
            "raw": " ".join(
                str(v) for v in (e.fields, e.details, e.object_id, e.actor_name, e.action)
            ),
        }
        for e in db.scalars(query)
    ]


def last_seq(db) -> int:
    """Position of the newest audit event (0 if none)."""
    db.expire_all()
    return db.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0


@pytest.fixture
def adviser(app, db):
    """A client signed in as a new adviser (``.user`` is the User)."""
    return factories.signed_in_client(app, db, factories.make_user(db, roles=("adviser",)))


@pytest.fixture
def other_adviser(app, db):
    """A second adviser, not responsible for the first one's clients."""
    return factories.signed_in_client(app, db, factories.make_user(db, roles=("adviser",)))


def create(http, **overrides: Any) -> dict[str, Any]:
    """Create a client and return the response body (asserts 201)."""
    response = http.post("/api/v1/clients", json=intake(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


TODAY = date.today()
