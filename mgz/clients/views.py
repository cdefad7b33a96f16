"""``/api/v1/clients``: thin views over mgz.clients.service."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from mgz.clients import break_glass, service
from mgz.clients.access import OpenedFile
from mgz.clients.case_access import case_access
from mgz.clients.schemas import (
    AdviserAssignmentSchema,
    BreakGlassAccessSchema,
    ClientCreate,
    ClientCreateSchema,
    ClientPageSchema,
    ClientSchema,
    ClientSearch,
    ClientSearchSchema,
    ClientUpdate,
    ClientUpdateSchema,
    IdentitySearch,
    IdentitySearchSchema,
)
from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.db import get_session

blp = Blueprint("clients", __name__, url_prefix="/api/v1/clients", description="Klientenakten")


@blp.route("")
class Clients(MethodView):
    """Search and intake."""

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ClientSearchSchema, location="query")
    @blp.response(200, ClientPageSchema)
    def get(self, params: ClientSearch) -> service.SearchPage:
        """Akten suchen (Aktenzeichen, statistische Filter; Namen: POST /clients/search)."""
        return service.search_clients(case_access(), params)

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ClientCreateSchema)
    @blp.response(201, ClientSchema)
    @blp.alt_response(409, description="Mögliche Dublette (Aktenzeichen in duplicates)")
    def post(self, data: ClientCreate) -> OpenedFile:
        """Akte anlegen (mit Dublettenprüfung)."""
        return service.create_client(get_session(), current_actor(), data)


@blp.route("/search")
class ClientIdentitySearch(MethodView):
    """Search by name: the terms travel in the body, never in the URL."""

    @roles_required("adviser", personal_data=True)
    @blp.arguments(IdentitySearchSchema)
    @blp.response(200, ClientPageSchema)
    def post(self, params: IdentitySearch) -> service.SearchPage:
        """Person suchen (Nachname + Geburtsdatum oder Vor- und Nachname + Geburtsjahr)."""
        return service.search_identity(case_access(), params)


@blp.route("/<uuid:client_id>")
class ClientDetail(MethodView):
    """One client file."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ClientSchema)
    def get(self, client_id: uuid.UUID) -> OpenedFile:
        """Akte lesen (fremde Akten mit Grund in X-Access-Reason-Code, Text in X-Access-Reason)."""
        return service.open_client(case_access(), client_id)

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ClientUpdateSchema)
    @blp.response(200, ClientSchema)
    @blp.alt_response(409, description="Veraltete Version")
    def patch(self, data: ClientUpdate, client_id: uuid.UUID) -> OpenedFile:
        """Akte ändern (optimistische Sperre über version)."""
        return service.update_client(case_access(), client_id, data)


@blp.route("/<uuid:client_id>/advisers")
class ClientAdvisers(MethodView):
    """Responsible advisers of a client file."""

    @roles_required("adviser")
    @blp.arguments(AdviserAssignmentSchema)
    @blp.response(200, AdviserAssignmentSchema)
    def put(self, data: dict[str, Any], client_id: uuid.UUID) -> dict[str, Any]:
        """Zuständige Berater*innen festlegen."""
        return {"adviser_ids": service.set_advisers(case_access(), client_id, data["adviser_ids"])}


@blp.route("/<uuid:client_id>/break-glass-accesses")
class ClientBreakGlassAccesses(MethodView):
    """Who opened a client file by break glass, when and why (responsible advisers)."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, BreakGlassAccessSchema(many=True))
    @blp.alt_response(403, description="nicht zuständig für die Akte")
    def get(self, client_id: uuid.UUID) -> list[break_glass.BreakGlassEntry]:
        """Zugriffe mit Begründung auf die Akte (nur zuständige Berater*innen)."""
        return break_glass.read_break_glass_accesses(case_access(), client_id)
