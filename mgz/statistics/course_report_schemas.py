"""Response shapes of the statistics: tables whose cells are counts or "x"."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from mgz.core.schemas import OutputSchema, code_of

_SUPPRESSED = {"type": "string", "enum": ["x"], "description": "unterdrückt (kleine Fallzahl)"}


class Count(fields.Raw):
    """A count, or ``"x"`` where it is suppressed."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"oneOf": [{"type": "integer", "minimum": 0}, _SUPPRESSED]}
        super().__init__(metadata=metadata, **kwargs)


class Median(fields.Raw):
    """A median in days, ``"x"`` where its count is suppressed, null without cases."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"oneOf": [{"type": "number", "minimum": 0}, _SUPPRESSED], "nullable": True}
        super().__init__(metadata=metadata, allow_none=True, **kwargs)


class TableSchema(OutputSchema):
    """Rows × columns of counts with row totals, column totals and the grand total."""

    rows = fields.List(fields.String())
    columns = fields.List(fields.String())
    cells = fields.List(fields.List(Count()))
    row_totals = fields.List(Count())
    column_totals = fields.List(Count())
    total = Count()


class WaitingTimeSchema(TableSchema):
    """Started referrals by course type × municipality, and their median waiting time."""

    median_days = fields.List(fields.List(Median()), attribute="extra.median_days")


class ReportCourseSchema(OutputSchema):
    """A course a row of the places table stands for."""

    id = fields.String()
    course_type = code_of("course_type")
    municipality = code_of("municipality")
    capacity = fields.Integer()
    starts_on = fields.Date()


class CoursePlacesSchema(TableSchema):
    """Places taken and waiting lists per course that has not ended."""

    courses = fields.List(fields.Nested(ReportCourseSchema), attribute="extra.courses")


class KimReportSchema(OutputSchema):
    """GET /courses/report."""

    suppressed = fields.Boolean(metadata={"description": "Kleine Fallzahlen als x"})
    threshold = fields.Integer(allow_none=True)
    open_referrals = fields.Nested(TableSchema, metadata={"description": "Kursart × Gemeinde"})
    waiting_time = fields.Nested(WaitingTimeSchema)
    unmet_needs = fields.Nested(TableSchema, metadata={"description": "Gemeinde × Bedarf"})
    courses = fields.Nested(CoursePlacesSchema)
