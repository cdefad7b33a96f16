"""``POST /api/v1/clients/{id}/erasure``: erase a client's personal data (admin), thin."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.clock import today
from mgz.core.db import get_session
from mgz.privacy import erasure
from mgz.privacy.erasure_schemas import ErasureRequest, ErasureRequestSchema, ErasureSchema

blp = Blueprint(
    "erasure",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>/erasure",
    description="Löschung einer Akte (Art. 17 DSGVO) durch Vernichtung ihres Schlüssels",
)


@blp.route("")
class Erasure(MethodView):
    """The erasure of one client file."""

    # Admins read nothing of the file here: the answer holds the case number only.
    @roles_required("admin")
    @blp.arguments(ErasureRequestSchema)
    @blp.response(200, ErasureSchema)
    @blp.alt_response(409, description="Löschsperre (Grund in detail und holds)")
    @blp.alt_response(410, description="Bereits gelöscht")
    def post(self, data: ErasureRequest, client_id: uuid.UUID) -> Any:
        """Akte löschen: Freitexte und Schlüssel vernichten; Statistikmerkmale bleiben."""
        return erasure.erase_client(
            get_session(),
            current_actor(),
            client_id,
            reason=data["erasure_reason"],
            confirm=data["confirm_case_number"],
            on=today(),
        )
