"""``/api/v1/clients/{id}/consents``: legal bases and consents of a client, thin views."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from mgz.clients.case_access import case_access
from mgz.core.access import roles_required
from mgz.core.api import Blueprint
from mgz.privacy import consents
from mgz.privacy.consent_schemas import (
    ConsentCreate,
    ConsentCreateSchema,
    ConsentListSchema,
    ConsentSchema,
    ConsentWithdraw,
    ConsentWithdrawSchema,
)

blp = Blueprint(
    "consents",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>/consents",
    description="Rechtsgrundlagen und Einwilligungen je Zweck der Verarbeitung",
)


@blp.route("")
class Consents(MethodView):
    """Legal bases of one client."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ConsentListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Erfasste Rechtsgrundlagen und Einwilligungen einer Akte (älteste zuerst)."""
        return {"items": consents.list_consents(case_access(), client_id)}

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ConsentCreateSchema)
    @blp.response(201, ConsentSchema)
    def post(self, data: ConsentCreate, client_id: uuid.UUID) -> Any:
        """Rechtsgrundlage eines Zwecks erfassen (Einwilligung: Datum, Form, Umfang)."""
        return consents.record_consent(case_access(), client_id, data)


@blp.route("/<uuid:consent_id>")
class ConsentDetail(MethodView):
    """One recorded legal basis."""

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ConsentWithdrawSchema)
    @blp.response(200, ConsentSchema)
    @blp.alt_response(409, description="Veraltet, keine Einwilligung, schon widerrufen")
    def patch(self, data: ConsentWithdraw, client_id: uuid.UUID, consent_id: uuid.UUID) -> Any:
        """Widerruf einer Einwilligung erfassen: der Zweck ist ab sofort gesperrt."""
        return consents.withdraw_consent(case_access(), client_id, consent_id, data)
