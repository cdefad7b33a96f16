"""``GET /api/v1/reference``: the code lists, read-only, for every signed-in role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask.views import MethodView
from marshmallow import RAISE

from mgz.core.access import ROLES, roles_required
from mgz.core.api import Blueprint
from mgz.core.db import get_session
from mgz.core.schemas import LABEL_SOURCE_EXTENSION
from mgz.reference import service
from mgz.reference.schemas import CodeListInfoSchema, CodeListQuerySchema, CodeListSchema

blp = Blueprint("reference", __name__, url_prefix="/api/v1/reference", description="Codelisten")


def _labels(wanted: Mapping[str, set[str]]) -> dict[tuple[str, str], str]:
    return service.labels(get_session(), wanted)


# The code lists are the source of the labels that ?labels=de adds to every response.
blp.record_once(lambda state: state.app.extensions.setdefault(LABEL_SOURCE_EXTENSION, _labels))


@blp.route("")
class CodeLists(MethodView):
    """All code lists."""

    @roles_required(*ROLES)
    @blp.response(200, CodeListInfoSchema(many=True))
    def get(self) -> list[service.ListInfo]:
        """Alle Codelisten mit ihrer aktuellen Version."""
        return service.list_names(get_session())


@blp.route("/<key:list_name>")
class CodeList(MethodView):
    """One code list."""

    @roles_required(*ROLES)
    # webargs drops unknown query parameters by default; the house rule is to refuse them.
    @blp.arguments(CodeListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, CodeListSchema)
    @blp.alt_response(404, description="Codeliste unbekannt")
    def get(self, query: dict[str, Any], list_name: str) -> dict[str, Any]:
        """Eine Codeliste: gültige Codes mit deutscher Bezeichnung und Gruppe."""
        session = get_session()
        info = service.list_info(session, list_name)
        entries = service.codes(session, list_name, include_withdrawn=query["include_withdrawn"])
        return {"name": info.name, "title": info.title, "version": info.version, "codes": entries}
