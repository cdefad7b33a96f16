"""``/api/v1/clients/{id}/profilings``: thin views over the service (no PATCH, no DELETE)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from mgz.clients.case_access import case_access
from mgz.core.access import roles_required
from mgz.core.api import Blueprint
from mgz.profiling import service
from mgz.profiling.schemas import ProfilingCreateSchema, ProfilingListSchema, ProfilingSchema

blp = Blueprint(
    "profilings",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>/profilings",
    description="Profiling (4-Phasen-Modell), fortlaufende Historie",
)


@blp.route("")
class Profilings(MethodView):
    """The profiling history of one client."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ProfilingListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Alle Profilings einer Akte (älteste zuerst)."""
        items = service.list_profilings(case_access(), client_id)
        return {"items": items}

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ProfilingCreateSchema)
    @blp.response(201, ProfilingSchema)
    def post(self, data: dict[str, Any], client_id: uuid.UUID) -> Any:
        """Neues Profiling erfassen (frühere bleiben unverändert).

        Die Profillage wird aus den Handlungsbedarfen vorgeschlagen; weicht die
        bestätigte Profillage ab, ist override_reason Pflicht.
        """
        return service.create_profiling(case_access(), client_id, data)


@blp.route("/latest")
class LatestProfiling(MethodView):
    """The newest profiling of one client."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ProfilingSchema)
    def get(self, client_id: uuid.UUID) -> Any:
        """Neuestes Profiling einer Akte."""
        return service.latest_profiling(case_access(), client_id)


@blp.route("/<uuid:profiling_id>")
class ProfilingDetail(MethodView):
    """One profiling."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ProfilingSchema)
    def get(self, client_id: uuid.UUID, profiling_id: uuid.UUID) -> Any:
        """Ein Profiling lesen."""
        return service.get_profiling(case_access(), client_id, profiling_id)
