"""``GET /api/v1/courses/report``: the KIM report (thin view over course_report)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.clock import today
from mgz.core.db import get_session
from mgz.statistics import course_report
from mgz.statistics.course_report_schemas import KimReportSchema

blp = Blueprint(
    "course_report",
    __name__,
    url_prefix="/api/v1/courses/report",
    description="KIM-Bericht (Kursvermittlungen, Wartezeiten, Bedarfe, Plätze)",
)


@blp.route("")
class KimReport(MethodView):
    """The KIM report."""

    @roles_required("adviser", "statistician")
    @blp.response(200, KimReportSchema)
    def get(self) -> Any:
        """KIM-Bericht; für Statistiker*innen mit unterdrückten kleinen Fallzahlen (x)."""
        return course_report.kim_report(
            get_session(),
            current_actor(),
            threshold=current_app.config["STATISTICS_SUPPRESSION_THRESHOLD"],
            today=today(),
        )
