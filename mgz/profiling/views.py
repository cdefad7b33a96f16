"""``/api/v1/clients/{id}/profilings``: thin views over the service (no PATCH, no DELETE)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request
from flask.views import MethodView

from mgz.clients.access import AccessPolicy, access_policy
from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.db import get_session
from mgz.profiling import service
from mgz.profiling.schemas import ProfilingCreateSchema, ProfilingListSchema, ProfilingSchema

blp = Blueprint(
    "profilings",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>/profilings",
    description="Profiling (4-Phasen-Modell), fortlaufende Historie",
)


def _policy() -> AccessPolicy:
    return access_policy(current_app.config)


def _reason() -> str | None:
    return request.headers.get("X-Access-Reason")


@blp.route("")
class Profilings(MethodView):
    """The profiling history of one client."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ProfilingListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Alle Profilings einer Akte (älteste zuerst)."""
        items = service.list_profilings(
            get_session(), current_actor(), _policy(), client_id, _reason()
        )
        return {"items": items}

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ProfilingCreateSchema)
    @blp.response(201, ProfilingSchema)
    def post(self, data: dict[str, Any], client_id: uuid.UUID) -> Any:
        """Neues Profiling erfassen (frühere bleiben unverändert).

        Die Profillage wird aus den Handlungsbedarfen vorgeschlagen; weicht die
        bestätigte Profillage ab, ist override_reason Pflicht.
        """
        return service.create_profiling(
            get_session(), current_actor(), _policy(), client_id, data, _reason()
        )


@blp.route("/latest")
class LatestProfiling(MethodView):
    """The newest profiling of one client."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ProfilingSchema)
    def get(self, client_id: uuid.UUID) -> Any:
        """Neuestes Profiling einer Akte."""
        return service.latest_profiling(
            get_session(), current_actor(), _policy(), client_id, _reason()
        )


@blp.route("/<uuid:profiling_id>")
class ProfilingDetail(MethodView):
    """One profiling."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ProfilingSchema)
    def get(self, client_id: uuid.UUID, profiling_id: uuid.UUID) -> Any:
        """Ein Profiling lesen."""
        return service.get_profiling(
            get_session(), current_actor(), _policy(), client_id, profiling_id, _reason()
        )
