"""``/api/v1/clients/{id}/consultations``: thin views over the service."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request
from flask.views import MethodView

from mgz.clients.access import access_policy
from mgz.consultations import service
from mgz.consultations.schemas import (
    ConsultationCreateSchema,
    ConsultationListSchema,
    ConsultationSchema,
    ConsultationUpdateSchema,
)
from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.db import get_session

blp = Blueprint(
    "consultations",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>/consultations",
    description="Erstgespräche und Folgegespräche",
)


def _context() -> dict[str, Any]:
    return {
        "margin_days": current_app.config["CONSULTATION_MOVE_IN_MARGIN_DAYS"],
        "reason": request.headers.get("X-Access-Reason"),
    }


@blp.route("")
class Consultations(MethodView):
    """Consultations of one client."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ConsultationListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Gespräche einer Akte (älteste zuerst)."""
        items = service.list_consultations(
            get_session(),
            current_actor(),
            access_policy(current_app.config),
            client_id,
            _context()["reason"],
        )
        return {"items": items}

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ConsultationCreateSchema)
    @blp.response(201, ConsultationSchema)
    @blp.alt_response(409, description="Erstgespräch bereits erfasst")
    def post(self, data: dict[str, Any], client_id: uuid.UUID) -> Any:
        """Gespräch erfassen (kind=first genau einmal je Akte)."""
        return service.create_consultation(
            get_session(),
            current_actor(),
            access_policy(current_app.config),
            client_id,
            data,
            **_context(),
        )


@blp.route("/<uuid:consultation_id>")
class ConsultationDetail(MethodView):
    """One consultation."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ConsultationSchema)
    def get(self, client_id: uuid.UUID, consultation_id: uuid.UUID) -> Any:
        """Gespräch lesen."""
        return service.get_consultation(
            get_session(),
            current_actor(),
            access_policy(current_app.config),
            client_id,
            consultation_id,
            _context()["reason"],
        )

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ConsultationUpdateSchema)
    @blp.response(200, ConsultationSchema)
    @blp.alt_response(409, description="Veraltete Version")
    def patch(self, data: dict[str, Any], client_id: uuid.UUID, consultation_id: uuid.UUID) -> Any:
        """Gespräch ändern (optimistische Sperre über version)."""
        return service.update_consultation(
            get_session(),
            current_actor(),
            access_policy(current_app.config),
            client_id,
            consultation_id,
            data,
            **_context(),
        )
