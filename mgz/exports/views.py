"""``/api/v1/exports``: anonymised exports for statisticians and admins."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app, send_file, url_for
from flask.views import MethodView

from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.clock import today
from mgz.core.db import get_session
from mgz.exports import service
from mgz.exports.models import Export
from mgz.exports.parameters import ExportRequest
from mgz.exports.schemas import CreatedExportSchema, ExportRequestSchema, ExportSchema

blp = Blueprint(
    "exports",
    __name__,
    url_prefix="/api/v1/exports",
    description="Export: anonymisierte Tabellen und Mikrodaten für die Datenservicestelle",
)
EXPORT_ROLES = ("statistician", "admin")


def _place() -> service.Place:
    return service.place_of(current_app.config, current_app.instance_path)


def _body(row: Export) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "format": row.format,
        "parameters": row.parameters,
        "rows": row.rows,
        "files": row.files,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "download": url_for("exports.ExportDownload", export_id=row.id),
    }


@blp.route("")
class Exports(MethodView):
    """The exports kept, and writing a new one."""

    @roles_required(*EXPORT_ROLES)
    @blp.response(200, ExportSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Die aufbewahrten Exporte, neueste zuerst."""
        return [_body(row) for row in service.list_exports(get_session())]

    @roles_required(*EXPORT_ROLES)
    @blp.arguments(ExportRequestSchema)
    @blp.response(201, CreatedExportSchema)
    @blp.alt_response(409, description="Mit diesen Parametern nicht anonymisierbar")
    def post(self, request: ExportRequest) -> dict[str, Any]:
        """Einen Export schreiben (synchron); Antwort mit Manifest und Download-Adresse."""
        created = service.create_export(
            get_session(), current_actor(), request, today=today(), place=_place()
        )
        return {**_body(created.export), "manifest": created.manifest}


@blp.route("/<uuid:export_id>/download")
class ExportDownload(MethodView):
    """The files of one export."""

    @roles_required(*EXPORT_ROLES)
    @blp.doc(
        responses={
            "200": {
                "description": "XLSX oder JSON selbst; CSV als ZIP mit manifest.json",
                "content": {
                    mimetype: {"schema": {"type": "string", "format": "binary"}}
                    for mimetype in service.MIMETYPES.values()
                },
            }
        }
    )
    @blp.alt_response(404, description="Export unbekannt oder nicht mehr aufbewahrt")
    def get(self, export_id: uuid.UUID) -> Response:
        """Die Dateien eines Exports herunterladen (protokolliert)."""
        download = service.open_download(get_session(), current_actor(), export_id, place=_place())
        return send_file(
            download.handle,
            mimetype=download.mimetype,
            as_attachment=True,
            download_name=download.filename,
            max_age=0,
        )
