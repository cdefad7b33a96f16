"""Request and response shapes of the course catalogue and of course referrals."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, TypedDict

from marshmallow import ValidationError, fields, validate, validates_schema

from mgz.core.schemas import InputSchema, OutputSchema, Version, code_of, not_future
from mgz.courses.workflow import STATUSES

_AGS_PATTERN = r"^\d{8}$"
_AGS_ERROR = "Amtlicher Gemeindeschlüssel (8 Ziffern)."
_SOMETHING = {"minProperties": 2}


def _nothing_to_change(data: dict[str, Any]) -> None:
    if set(data) == {"version"}:
        raise ValidationError("Keine Änderung angegeben.", "_schema")


# --- courses ---------------------------------------------------------------------------


class CourseValues(TypedDict, total=False):
    """What the course schemas load (create: the required ones are always there)."""

    course_type: str
    funding: str
    provider: str
    municipality: str
    address: str | None
    starts_on: date
    ends_on: date | None
    schedule: str
    target_level: str | None
    teaching_units: int | None
    capacity: int
    childcare_offered: bool


class CourseUpdate(CourseValues, total=False):
    """What ``CourseUpdateSchema`` loads: ``version`` and the fields sent."""

    version: int


class _CourseFields(InputSchema):
    course_type = code_of("course_type")
    funding = code_of("funding")
    provider = fields.String(validate=validate.Length(min=1, max=200))
    municipality = code_of("municipality", _AGS_PATTERN, error=_AGS_ERROR)
    address = fields.String(allow_none=True, validate=validate.Length(max=300))
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    schedule = code_of("course_schedule")
    target_level = code_of("cefr_level", allow_none=True)
    teaching_units = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=2000))
    capacity = fields.Integer(validate=validate.Range(min=1, max=500))
    childcare_offered = fields.Boolean()


class CourseCreateSchema(_CourseFields):
    """POST /courses."""

    course_type = code_of("course_type", required=True)
    funding = code_of("funding", required=True)
    provider = fields.String(required=True, validate=validate.Length(min=1, max=200))
    municipality = code_of("municipality", _AGS_PATTERN, error=_AGS_ERROR, required=True)
    starts_on = fields.Date(required=True)
    schedule = code_of("course_schedule", required=True)
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=500))
    childcare_offered = fields.Boolean(load_default=False)


class CourseUpdateSchema(_CourseFields):
    """PATCH /courses/{id}: ``version`` required, one field to change at least."""

    openapi_extra: ClassVar[dict[str, Any]] = _SOMETHING

    version = Version(required=True)

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _nothing_to_change(data)


class CourseQuerySchema(InputSchema):
    """GET /courses: optional filters."""

    course_type = code_of("course_type")
    funding = code_of("funding")
    municipality = code_of("municipality", _AGS_PATTERN, error=_AGS_ERROR)


class CourseSchema(OutputSchema):
    """A course of the catalogue with its places taken and its waiting list."""

    id = fields.UUID()
    version = fields.Integer()
    course_type = code_of("course_type")
    funding = code_of("funding")
    county_funded = fields.Boolean(metadata={"description": "funding = LANDKREIS"})
    provider = fields.String()
    municipality = code_of("municipality")
    address = fields.String(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    schedule = code_of("course_schedule")
    target_level = code_of("cefr_level", allow_none=True)
    teaching_units = fields.Integer(allow_none=True)
    capacity = fields.Integer()
    childcare_offered = fields.Boolean()
    places_taken = fields.Integer()
    waiting_list = fields.Integer(metadata={"description": "Vermittlungen auf der Warteliste"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CourseListSchema(OutputSchema):
    """Courses by start date."""

    items = fields.List(fields.Nested(CourseSchema))


# --- referrals -------------------------------------------------------------------------


class _ReferralValues(TypedDict, total=False):
    course_id: Any
    entitlement: str | None
    entitlement_notice_on: date | None
    childcare_needed: bool
    childcare_solved: bool
    mobility_barrier: bool
    mobility_solved: bool
    remarks: str | None


class ReferralCreate(_ReferralValues, total=False):
    """What ``ReferralCreateSchema`` loads."""

    course_type: str
    planned_on: date
    referred_on: date


class ReferralUpdate(_ReferralValues, total=False):
    """What ``ReferralUpdateSchema`` loads: ``version``, a step and/or fields."""

    version: int
    status: str
    status_on: date
    dtz_result: str | None
    lid_passed: bool | None
    drop_reason: str


class _ReferralFields(InputSchema):
    course_id = fields.UUID(allow_none=True)
    entitlement = code_of("course_entitlement", allow_none=True)
    entitlement_notice_on = fields.Date(allow_none=True, validate=not_future)
    childcare_needed = fields.Boolean()
    childcare_solved = fields.Boolean()
    mobility_barrier = fields.Boolean()
    mobility_solved = fields.Boolean()
    remarks = fields.String(allow_none=True, validate=validate.Length(max=5000))


class ReferralCreateSchema(_ReferralFields):
    """POST /clients/{id}/course-referrals: to a course, or to a course type."""

    course_id = fields.UUID()
    course_type = code_of(
        "course_type",
        metadata={"description": "Pflicht ohne course_id; mit course_id die Kursart des Kurses"},
    )
    planned_on = fields.Date(
        validate=not_future,
        metadata={"description": "Datum der Planung (Schritt planned); ohne Angabe heute"},
    )
    referred_on = fields.Date(
        validate=not_future,
        metadata={"description": "Angegeben: Status referred; sonst planned"},
    )

    @validates_schema
    def _course_or_type(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "course_id" not in data and "course_type" not in data:
            raise ValidationError("course_id oder course_type angeben.", "course_type")
        planned, referred = data.get("planned_on"), data.get("referred_on")
        if planned is not None and referred is not None and referred < planned:
            raise ValidationError("Liegt vor dem Datum der Planung.", "referred_on")


class ReferralUpdateSchema(_ReferralFields):
    """PATCH .../course-referrals/{rid}: a step (status, status_on) and/or other fields."""

    openapi_extra: ClassVar[dict[str, Any]] = _SOMETHING

    version = Version(required=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
    status_on = fields.Date(validate=not_future)
    dtz_result = code_of("dtz_result", allow_none=True, metadata={"description": "nur completed"})
    lid_passed = fields.Boolean(
        allow_none=True, metadata={"description": "Leben in Deutschland bestanden; nur completed"}
    )
    drop_reason = code_of("drop_reason", metadata={"description": "Pflicht bei dropped"})

    @validates_schema
    def _step_with_date(self, data: dict[str, Any], **_kwargs: Any) -> None:
        _nothing_to_change(data)
        if ("status" in data) != ("status_on" in data):
            missing = "status_on" if "status" in data else "status"
            raise ValidationError("status und status_on gehören zusammen.", missing)


class StepSchema(OutputSchema):
    """One kept step of the workflow."""

    status = fields.String()
    status_on = fields.Date()
    course_id = fields.UUID(allow_none=True)
    course_type = code_of("course_type")


class ReferralSchema(OutputSchema):
    """A course referral as the adviser sees it."""

    id = fields.UUID()
    client_id = fields.UUID()
    version = fields.Integer()
    course_id = fields.UUID(allow_none=True)
    course_type = code_of("course_type")
    status = fields.String()
    status_on = fields.Date()
    referred_on = fields.Date(allow_none=True)
    started_on = fields.Date(allow_none=True)
    waiting_days = fields.Integer(
        allow_none=True, metadata={"description": "Wartezeit in Tagen von referred bis started"}
    )
    waitlisted = fields.Boolean()
    waiting_list_position = fields.Integer(
        allow_none=True, metadata={"description": "Platz auf der Warteliste (1 = nächster)"}
    )
    entitlement = code_of("course_entitlement", allow_none=True)
    entitlement_notice_on = fields.Date(allow_none=True)
    childcare_needed = fields.Boolean()
    childcare_solved = fields.Boolean()
    mobility_barrier = fields.Boolean()
    mobility_solved = fields.Boolean()
    dtz_result = code_of("dtz_result", allow_none=True)
    lid_passed = fields.Boolean(allow_none=True)
    drop_reason = code_of("drop_reason", allow_none=True)
    remarks = fields.String(allow_none=True)
    history = fields.List(fields.Nested(StepSchema), attribute="steps")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReferralListSchema(OutputSchema):
    """All course referrals of a client, oldest first."""

    items = fields.List(fields.Nested(ReferralSchema))
