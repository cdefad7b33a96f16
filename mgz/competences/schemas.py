"""Request and response shapes of checklists, assessments and qualifications.

Shapes and formats only. Answers are checked against their checklist version, and
codes against the loaded code lists, in the service.
"""

from __future__ import annotations

import math
import uuid
from datetime import date
from typing import Any, ClassVar, NotRequired, TypedDict

from marshmallow import ValidationError, fields, validate, validates_schema

from mgz.competences.models import (
    ANSWER_TYPES,
    CHECKLIST_STATUSES,
    DOCUMENTS_AVAILABLE,
    QUALIFICATION_KINDS,
    CompetenceAssessment,
)
from mgz.core.clock import today
from mgz.core.schemas import InputSchema, OutputSchema, Version, YearUpToNow, code_of, not_future
from mgz.profiling.schemas import ProfilingSchema

KEY = validate.Regexp(
    r"^[a-z][a-z0-9_]{0,63}$", error="Schlüssel: Kleinbuchstaben, Ziffern, Unterstrich."
)
_KLDB = validate.Regexp(r"^[0-9]{1,5}$", error="KldB-2010-Code: 1 bis 5 Ziffern.")
MAX_ITEMS = 200


def _finite(value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValidationError("Muss eine endliche Zahl sein.")


class ChecklistItemSchema(InputSchema):
    """One item of a checklist."""

    key = fields.String(required=True, validate=KEY)
    label = fields.String(required=True, validate=validate.Length(min=1, max=300))
    help_text = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=2000)
    )
    answer_type = fields.String(required=True, validate=validate.OneOf(ANSWER_TYPES))
    is_required = fields.Boolean(load_default=False)
    min_value = fields.Float(allow_none=True, load_default=None, validate=_finite)
    max_value = fields.Float(allow_none=True, load_default=None, validate=_finite)
    code_list = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="Kein gültiger Listenname."),
        metadata={
            "description": "Name einer Codeliste (GET /api/v1/reference); nur bei answer_type code"
        },
    )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_kwargs: Any) -> None:
        kind = data.get("answer_type")
        if kind == "code" and not data.get("code_list"):
            raise ValidationError("Für Antworttyp code ist eine Codeliste nötig.", "code_list")
        if kind != "code" and data.get("code_list"):
            raise ValidationError("Codeliste nur bei Antworttyp code.", "code_list")
        low, high = data.get("min_value"), data.get("max_value")
        if kind != "number" and (low is not None or high is not None):
            raise ValidationError("Grenzen nur bei Antworttyp number.", "min_value")
        if low is not None and high is not None and low > high:
            raise ValidationError("Minimum größer als Maximum.", "min_value")


def _unique_keys(items: list[dict[str, Any]]) -> None:
    keys = [item["key"] for item in items]
    if len(set(keys)) != len(keys):
        raise ValidationError("Schlüssel doppelt vergeben.")


_ITEMS = {
    "validate": [validate.Length(min=1, max=MAX_ITEMS), _unique_keys],
}


class ChecklistCreateSchema(InputSchema):
    """POST /checklists: version 1 of a new template, as a draft."""

    key = fields.String(required=True, validate=KEY)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    items = fields.List(fields.Nested(ChecklistItemSchema), required=True, **_ITEMS)


class ChecklistUpdateSchema(InputSchema):
    """PATCH /checklists/{id}: change a draft (a published version is refused)."""

    # The document's form of _something_to_change.
    openapi_extra: ClassVar[dict[str, Any]] = {"minProperties": 1}

    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    items = fields.List(fields.Nested(ChecklistItemSchema), **_ITEMS)

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Keine Änderung angegeben.", "_schema")


class ChecklistQuerySchema(InputSchema):
    """GET /checklists filters."""

    key = fields.String(validate=KEY)
    status = fields.String(validate=validate.OneOf(CHECKLIST_STATUSES))


class ChecklistSchema(OutputSchema):
    """One checklist version."""

    id = fields.UUID()
    key = fields.String()
    version = fields.Integer()
    status = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    items = fields.List(fields.Dict())
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ChecklistListSchema(OutputSchema):
    """Checklist versions, by key and version."""

    items = fields.List(fields.Nested(ChecklistSchema))


class AssessmentCreateSchema(InputSchema):
    """POST /clients/{id}/competence-assessments: answers to one published version."""

    checklist_id = fields.UUID(required=True)
    assessed_on = fields.Date(load_default=today, validate=not_future)
    # Values are checked against the item types of the checklist version (service).
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        validate=validate.Length(max=MAX_ITEMS),
    )
    notes = fields.String(allow_none=True, validate=validate.Length(max=10000))


def _checklist_ref(assessment: CompetenceAssessment) -> dict[str, Any]:
    checklist = assessment.checklist
    return {
        "id": str(checklist.id),
        "key": checklist.key,
        "version": checklist.version,
        "title": checklist.title,
    }


def _all_answers(assessment: CompetenceAssessment) -> dict[str, Any]:
    merged = dict(assessment.answers or {})
    merged.update(assessment.text_answers or {})
    order = [item["key"] for item in assessment.checklist.items]
    return {key: merged[key] for key in order if key in merged}


class AssessmentSchema(OutputSchema):
    """An assessment as the adviser sees it, with the checklist version it answered."""

    id = fields.UUID()
    client_id = fields.UUID()
    checklist = fields.Function(_checklist_ref)
    assessed_on = fields.Date()
    adviser_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    answers = fields.Function(_all_answers)
    notes = fields.String(allow_none=True)


class AssessmentListSchema(OutputSchema):
    """All assessments of a client, oldest first."""

    items = fields.List(fields.Nested(AssessmentSchema))


class _QualificationFields(InputSchema):
    kldb_code = fields.String(allow_none=True, validate=_KLDB)
    isced_level = code_of("isced_level", allow_none=True)
    country = code_of(
        "country", r"^[A-Z]{2}$", error="ISO-3166-Code aus zwei Großbuchstaben.", allow_none=True
    )
    year = fields.Integer(allow_none=True, validate=YearUpToNow(1940))
    documents_available = fields.String(validate=validate.OneOf(DOCUMENTS_AVAILABLE))
    recognition_status = code_of("recognition_status")
    counselling_referred_on = fields.Date(allow_none=True, validate=not_future)
    applied_on = fields.Date(allow_none=True, validate=not_future)
    decided_on = fields.Date(allow_none=True, validate=not_future)
    title = fields.String(allow_none=True, validate=validate.Length(max=300))
    competent_body = fields.String(allow_none=True, validate=validate.Length(max=300))
    notes = fields.String(allow_none=True, validate=validate.Length(max=10000))


class QualificationCreateSchema(_QualificationFields):
    """POST /clients/{id}/qualifications."""

    kind = fields.String(required=True, validate=validate.OneOf(QUALIFICATION_KINDS))
    documents_available = fields.String(required=True, validate=validate.OneOf(DOCUMENTS_AVAILABLE))
    recognition_status = code_of("recognition_status", load_default="not_applied")


class QualificationUpdateSchema(_QualificationFields):
    """PATCH .../qualifications/{qid}: ``version`` required."""

    # The document's form of _something_to_change: version and one field at least.
    openapi_extra: ClassVar[dict[str, Any]] = {"minProperties": 2}

    version = Version(required=True)
    kind = fields.String(validate=validate.OneOf(QUALIFICATION_KINDS))

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if set(data) == {"version"}:
            raise ValidationError("Keine Änderung angegeben.", "_schema")


class QualificationSchema(OutputSchema):
    """A qualification and its recognition."""

    id = fields.UUID()
    client_id = fields.UUID()
    version = fields.Integer()
    kind = fields.String()
    kldb_code = fields.String(allow_none=True)
    isced_level = code_of("isced_level", allow_none=True)
    country = code_of("country", allow_none=True)
    year = fields.Integer(allow_none=True)
    documents_available = fields.String()
    recognition_status = code_of("recognition_status")
    counselling_referred_on = fields.Date(allow_none=True)
    applied_on = fields.Date(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    title = fields.String(allow_none=True)
    competent_body = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class QualificationListSchema(OutputSchema):
    """All qualifications of a client."""

    items = fields.List(fields.Nested(QualificationSchema))


class CompetenceProfileSchema(OutputSchema):
    """Latest profiling, all assessments and all qualifications of a client in one read."""

    client_id = fields.UUID()
    latest_profiling = fields.Nested(ProfilingSchema, allow_none=True)
    assessments = fields.List(fields.Nested(AssessmentSchema))
    qualifications = fields.List(fields.Nested(QualificationSchema))


class ChecklistItem(TypedDict, total=False):
    """One item as ``ChecklistItemSchema`` loads it."""

    key: str
    label: str
    help_text: str | None
    answer_type: str
    is_required: bool
    min_value: float | None
    max_value: float | None
    code_list: str | None


class ChecklistCreate(TypedDict):
    """What ``ChecklistCreateSchema`` loads."""

    key: str
    title: str
    description: NotRequired[str | None]
    items: list[ChecklistItem]


class ChecklistUpdate(TypedDict, total=False):
    """What ``ChecklistUpdateSchema`` loads: the fields sent."""

    title: str
    description: str | None
    items: list[ChecklistItem]


class AssessmentCreate(TypedDict):
    """What ``AssessmentCreateSchema`` loads."""

    checklist_id: uuid.UUID
    assessed_on: date
    answers: dict[str, Any]
    notes: NotRequired[str | None]


class _QualificationValues(TypedDict, total=False):
    kldb_code: str | None
    isced_level: str | None
    country: str | None
    year: int | None
    documents_available: str
    recognition_status: str
    counselling_referred_on: date | None
    applied_on: date | None
    decided_on: date | None
    title: str | None
    competent_body: str | None
    notes: str | None


class QualificationCreate(_QualificationValues, total=False):
    """What ``QualificationCreateSchema`` loads (kind and documents always there)."""

    kind: str


class QualificationUpdate(_QualificationValues, total=False):
    """What ``QualificationUpdateSchema`` loads: ``version`` and the fields sent."""

    version: int
