"""``/api/v1/audit``: the auditor's view of the data-protection log."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import RAISE

from mgz.audit import service
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


def _page(events: list[Any], limit: int) -> dict[str, Any]:
    items = [service.event_as_dict(event) for event in events]
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
        events = service.list_events(
            get_session(), service.EventFilter(**query), after_seq=after_seq, limit=limit
        )
        return _page(events, limit)


@blp.route("/objects/<key:object_id>/events")
class ObjectEvents(MethodView):
    """Who touched an object (by its pseudonymous id, e.g. the case number)."""

    @roles_required("auditor")
    @blp.arguments(ObjectEventQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, EventPageSchema)
    def get(self, query: dict[str, Any], object_id: str) -> dict[str, Any]:
        """Wer hat dieses Objekt gelesen oder geändert?"""
        after_seq, limit = query.pop("after_seq"), query.pop("limit")
        filters = service.EventFilter(object_id=object_id, object_type=query.get("object_type"))
        events = service.list_events(get_session(), filters, after_seq=after_seq, limit=limit)
        return _page(events, limit)


@blp.route("/verify")
class Verify(MethodView):
    """Check the hash chain and the signed checkpoints."""

    @roles_required("auditor")
    @blp.response(200, VerifySchema)
    def get(self) -> dict[str, Any]:
        """Kette prüfen: ok und Anzahl, oder das erste fehlerhafte Ereignis."""
        db = get_session()
        result = service.verify(db, current_app.config["AUDIT_KEY"])
        service.record(
            db,
            current_actor(),
            "audit.verify",
            details={"ok": result.ok, "events": result.events},
        )
        db.commit()
        return result.as_dict()
