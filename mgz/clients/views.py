"""``/api/v1/clients``: thin views over mgz.clients.service."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request
from flask.views import MethodView

from mgz.clients import access, service
from mgz.clients.models import Client
from mgz.clients.schemas import (
    AdviserAssignmentSchema,
    ClientCreateSchema,
    ClientPageSchema,
    ClientSchema,
    ClientSearchSchema,
    ClientUpdateSchema,
)
from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.db import get_session

blp = Blueprint("clients", __name__, url_prefix="/api/v1/clients", description="Klientenakten")

REASON_HEADER = "X-Access-Reason"


def _policy() -> access.AccessPolicy:
    return access.access_policy(current_app.config)


def _reason() -> str | None:
    return request.headers.get(REASON_HEADER)


def client_body(client: Client) -> dict[str, Any]:
    """A client file as the adviser sees it."""
    body = {name: getattr(client, name) for name in ClientSchema().fields if name != "adviser_ids"}
    body["adviser_ids"] = access.adviser_ids(get_session(), client)
    return body


@blp.route("")
class Clients(MethodView):
    """Search and intake."""

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ClientSearchSchema, location="query")
    @blp.response(200, ClientPageSchema)
    def get(self, params: dict[str, Any]) -> dict[str, Any]:
        """Akten suchen (Aktenzeichen, Nachname + Geburtsdatum, statistische Filter)."""
        page = service.search_clients(get_session(), current_actor(), _policy(), params)
        items = []
        for client in page.items:
            item: dict[str, Any] = {
                "id": client.id,
                "case_number": client.case_number,
                "municipality": client.municipality,
            }
            if client.id in page.visible:
                item.update(
                    first_name=client.first_name,
                    last_name=client.last_name,
                    birth_date=client.birth_date,
                )
            items.append(item)
        return {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total}

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ClientCreateSchema)
    @blp.response(201, ClientSchema)
    @blp.alt_response(409, description="Mögliche Dublette (Aktenzeichen in duplicates)")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Akte anlegen (mit Dublettenprüfung)."""
        client = service.create_client(get_session(), current_actor(), data)
        return client_body(client)


@blp.route("/<uuid:client_id>")
class ClientDetail(MethodView):
    """One client file."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, ClientSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Akte lesen (bei fremden Akten mit Begründung im Header X-Access-Reason)."""
        client = service.open_client(
            get_session(), current_actor(), _policy(), client_id, _reason()
        )
        return client_body(client)

    @roles_required("adviser", personal_data=True)
    @blp.arguments(ClientUpdateSchema)
    @blp.response(200, ClientSchema)
    @blp.alt_response(409, description="Veraltete Version")
    def patch(self, data: dict[str, Any], client_id: uuid.UUID) -> dict[str, Any]:
        """Akte ändern (optimistische Sperre über version)."""
        client = service.update_client(
            get_session(), current_actor(), _policy(), client_id, data, _reason()
        )
        return client_body(client)


@blp.route("/<uuid:client_id>/advisers")
class ClientAdvisers(MethodView):
    """Responsible advisers of a client file."""

    @roles_required("adviser")
    @blp.arguments(AdviserAssignmentSchema)
    @blp.response(200, AdviserAssignmentSchema)
    def put(self, data: dict[str, Any], client_id: uuid.UUID) -> dict[str, Any]:
        """Zuständige Berater*innen festlegen."""
        ids = service.set_advisers(
            get_session(), current_actor(), _policy(), client_id, data["adviser_ids"]
        )
        return {"adviser_ids": ids}
