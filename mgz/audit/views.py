"""``/api/v1/audit``: the auditor's view of the data-protection log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import RAISE

from mgz.audit import anchors, reading, service, verification
from mgz.audit.schemas import (
    EventPageSchema,
    EventQuerySchema,
    ObjectEventQuerySchema,
    VerifySchema,
)
from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.db import get_session

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Datenschutzprotokoll")


def _read(filters: reading.EventFilter, after_seq: int, limit: int) -> dict[str, Any]:
    # The read is logged like any other: the page is fetched first, so the event
    # about this read is not on it.
    db = get_session()
    events = reading.list_events(db, filters, after_seq=after_seq, limit=limit)
    items = [reading.event_as_dict(event) for event in events]
    reading.record_log_read(db, current_actor(), filters, after_seq=after_seq, count=len(items))
    return {"items": items, "next_after_seq": items[-1]["seq"] if len(items) == limit else None}


@blp.route("/events")
class Events(MethodView):
    """Events of the log, filtered, in chain order."""

    @roles_required("auditor")
    @blp.arguments(EventQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, EventPageSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Protokollereignisse (Filter: actor_user_id, action, object, Zeitraum)."""
        after_seq, limit = query.pop("after_seq"), query.pop("limit")
        return _read(reading.EventFilter(**query), after_seq, limit)


@blp.route("/objects/<key:object_id>/events")
class ObjectEvents(MethodView):
    """Who touched an object (by its pseudonymous id, e.g. the case number)."""

    @roles_required("auditor")
    @blp.arguments(ObjectEventQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, EventPageSchema)
    def get(self, query: dict[str, Any], object_id: str) -> dict[str, Any]:
        """Wer hat dieses Objekt gelesen oder geändert?"""
        after_seq, limit = query.pop("after_seq"), query.pop("limit")
        filters = reading.EventFilter(object_id=object_id, object_type=query.get("object_type"))
        return _read(filters, after_seq, limit)


@blp.route("/verify")
class Verify(MethodView):
    """Check the hash chain and the signed checkpoints."""

    @roles_required("auditor")
    @blp.response(200, VerifySchema)
    def get(self) -> dict[str, Any]:
        """Kette prüfen: ok und Anzahl, oder das erste fehlerhafte Ereignis."""
        db = get_session()
        config = current_app.config
        anchor_path = config.get("AUDIT_ANCHOR_PATH")
        result = verification.verify(
            db,
            config["AUDIT_PUBLIC_KEY"],
            audit_key=config["AUDIT_KEY"],
            anchor_lines=anchors.read(
                [Path(anchor_path)] if anchor_path and Path(anchor_path).exists() else []
            ),
        )
        service.record(
            db,
            current_actor(),
            "audit.verify",
            details={"ok": result.ok, "events": result.events},
        )
        return result.as_dict()
