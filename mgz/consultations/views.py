"""``/api/v1/clients/{id}/consultations``: thin views over the service."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask.views import MethodView

from mgz.clients.case_access import case_access
from mgz.consultations import service
from mgz.consultations.schemas import (
    ConsultationCreate,
    ConsultationCreateSchema,
    ConsultationListSchema,
    ConsultationSchema,
    ConsultationUpdate,
    ConsultationUpdateSchema,
)
from mgz.core.access import roles_required
from mgz.core.api import Blueprint

blp = Blueprint(
    "consultations",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>/consultations",
    description="Erstgespräche und Folgegespräche",
)


def _margin_days() -> int:
    return current_app.config["CONSULTATION_MOVE_IN_MARGIN_DAYS"]


@blp.route("")
class Consultations(MethodView):
    """Consultations of one client."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ConsultationListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Gespräche einer Akte (älteste zuerst)."""
        return {"items": service.list_consultations(case_access(), client_id)}

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ConsultationCreateSchema)
    @blp.response(201, ConsultationSchema)
    @blp.alt_response(409, description="Erstgespräch bereits erfasst")
    def post(self, data: ConsultationCreate, client_id: uuid.UUID) -> Any:
        """Gespräch erfassen (kind=first genau einmal je Akte)."""
        return service.create_consultation(
            case_access(), client_id, data, margin_days=_margin_days()
        )


@blp.route("/<uuid:consultation_id>")
class ConsultationDetail(MethodView):
    """One consultation."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ConsultationSchema)
    def get(self, client_id: uuid.UUID, consultation_id: uuid.UUID) -> Any:
        """Gespräch lesen."""
        return service.get_consultation(case_access(), client_id, consultation_id)

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ConsultationUpdateSchema)
    @blp.response(200, ConsultationSchema)
    @blp.alt_response(409, description="Veraltete Version")
    def patch(
        self, data: ConsultationUpdate, client_id: uuid.UUID, consultation_id: uuid.UUID
    ) -> Any:
        """Gespräch ändern (optimistische Sperre über version)."""
        return service.update_consultation(
            case_access(), client_id, consultation_id, data, margin_days=_margin_days()
        )
