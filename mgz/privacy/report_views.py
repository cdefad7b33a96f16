"""``/api/v1/clients/{id}/subject-access-report``: the access report (Art. 15 DSGVO).

``.json`` (also without suffix) and ``.html`` are the same report in two forms; the
path names the form, so a printed or saved link says what it opens. Responsible
advisers only (the service refuses everyone else); the HTML page carries its own
Content-Security-Policy (one inline stylesheet by hash, no script).
"""

from __future__ import annotations

import uuid

from flask import Response
from flask.views import MethodView

from mgz.clients.case_access import case_access
from mgz.core.access import roles_required
from mgz.core.api import Blueprint
from mgz.privacy import report_html
from mgz.privacy.access_report import AccessReport, subject_access_report
from mgz.privacy.report_schemas import AccessReportSchema

blp = Blueprint(
    "access_report",
    __name__,
    url_prefix="/api/v1/clients",
    description="Datenschutz: Auskunft nach Art. 15 DSGVO",
)
_NOT_RESPONSIBLE = "nicht zuständig für die Akte"


@blp.route("/<uuid:client_id>/subject-access-report")
class AccessReportJson(MethodView):
    """The access report as JSON (the same as ``.json``)."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, AccessReportSchema)
    @blp.alt_response(403, description=_NOT_RESPONSIBLE)
    @blp.alt_response(410, description="Akte gelöscht")
    def get(self, client_id: uuid.UUID) -> AccessReport:
        """Auskunft nach Art. 15 DSGVO als JSON (nur zuständige Berater*innen)."""
        return subject_access_report(case_access(), client_id, "json")


@blp.route("/<uuid:client_id>/subject-access-report.json")
class AccessReportJsonSuffix(AccessReportJson):
    """The access report as JSON: the same view under the path that names its form."""


@blp.route("/<uuid:client_id>/subject-access-report.html")
class AccessReportHtml(MethodView):
    """The access report as a German page to print or save as PDF."""

    @roles_required("adviser", personal_data=True)
    @blp.response(
        200,
        description="Auskunft als HTML-Seite (Drucken / Als PDF speichern im Browser)",
        content_type="text/html",
    )
    @blp.alt_response(403, description=_NOT_RESPONSIBLE)
    @blp.alt_response(410, description="Akte gelöscht")
    def get(self, client_id: uuid.UUID) -> Response:
        """Auskunft nach Art. 15 DSGVO als druckbare HTML-Seite (nur zuständige Berater*innen)."""
        report = subject_access_report(case_access(), client_id, "html")
        response = Response(report_html.render(report), mimetype="text/html")
        response.headers["Content-Security-Policy"] = report_html.page_csp()
        return response
