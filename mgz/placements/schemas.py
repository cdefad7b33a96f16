"""Request and response shapes of placements, follow-ups, benefits and measures."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, TypedDict

from marshmallow import ValidationError, fields, validate, validates_schema

from mgz.core.schemas import InputSchema, OutputSchema, Version, code_of, not_future
from mgz.placements.models import MAX_WEEKLY_HOURS, MEASURE_OUTCOMES, STILL_EMPLOYED

KLDB_CODE = validate.Regexp(
    r"^[0-9]{5}$", error="KldB-2010-Code mit fünf Ziffern (5. Stelle: Anforderungsniveau)."
)
WEEKLY_HOURS = validate.Range(
    min=0, max=MAX_WEEKLY_HOURS, min_inclusive=False, error="Mehr als 0 und höchstens 60 Stunden."
)
REMARKS = validate.Length(max=5000)


class _SomethingToChange(InputSchema):
    """PATCH bodies: ``version`` and one field at least."""

    # The document's form of _something_to_change: version and one field at least.
    openapi_extra: ClassVar[dict[str, Any]] = {"minProperties": 2}

    version = Version(required=True)

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if set(data) == {"version"}:
            raise ValidationError("Keine Änderung angegeben.", "_schema")


# --- placements ----------------------------------------------------------------------


class PlacementCreate(TypedDict, total=False):
    """What ``PlacementCreateSchema`` loads; snapshots omitted come from the client file."""

    placed_on: date
    kind: str
    kldb_code: str
    weekly_hours: float | None
    employer_sector: str | None
    residence_status: str | None
    receives_sgb2: bool | None
    remarks: str | None


class PlacementUpdate(PlacementCreate, total=False):
    """What ``PlacementUpdateSchema`` loads: ``version``, the fields sent, the follow-up."""

    version: int
    still_employed: str
    follow_up_checked_on: date


class _PlacementFields(InputSchema):
    placed_on = fields.Date(validate=not_future)
    kind = code_of("placement_outcome")
    kldb_code = fields.String(validate=KLDB_CODE)
    weekly_hours = fields.Float(allow_none=True, validate=WEEKLY_HOURS)
    employer_sector = code_of("employer_sector", allow_none=True)
    residence_status = code_of(
        "residence_status",
        allow_none=True,
        metadata={
            "description": "Stand bei der Vermittlung, Code aus der Codeliste residence_status "
            "(GET /api/v1/reference/residence_status); fehlt er, gilt der Stand der Akte."
        },
    )
    receives_sgb2 = fields.Boolean(
        allow_none=True,
        metadata={"description": "Stand bei der Vermittlung; fehlt er, gilt der Stand der Akte."},
    )
    remarks = fields.String(allow_none=True, validate=REMARKS)


class PlacementCreateSchema(_PlacementFields):
    """POST /clients/{id}/placements."""

    placed_on = fields.Date(required=True, validate=not_future)
    kind = code_of("placement_outcome", required=True)
    kldb_code = fields.String(required=True, validate=KLDB_CODE)


class PlacementUpdateSchema(_SomethingToChange, _PlacementFields):
    """PATCH .../placements/{pid}: corrections, and the six-month follow-up.

    The follow-up is ``still_employed`` with the date it was checked, both together,
    from ``placed_on`` + 6 months on.
    """

    still_employed = fields.String(validate=validate.OneOf(STILL_EMPLOYED))
    follow_up_checked_on = fields.Date(validate=not_future)

    @validates_schema
    def _follow_up_complete(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "still_employed" in data and "follow_up_checked_on" not in data:
            raise ValidationError("Datum der Nachfrage fehlt.", "follow_up_checked_on")
        if "follow_up_checked_on" in data and "still_employed" not in data:
            raise ValidationError("Ergebnis der Nachfrage fehlt.", "still_employed")


class PlacementSchema(OutputSchema):
    """A placement as the adviser sees it, with its snapshots and follow-up."""

    id = fields.UUID()
    client_id = fields.UUID()
    version = fields.Integer()
    adviser_id = fields.Integer(allow_none=True)
    placed_on = fields.Date()
    kind = code_of("placement_outcome")
    kldb_code = fields.String()
    weekly_hours = fields.Float(allow_none=True)
    employer_sector = code_of("employer_sector", allow_none=True)
    residence_status = code_of("residence_status", allow_none=True)
    residence_status_group = code_of("residence_status_group", allow_none=True)
    receives_sgb2 = fields.Boolean(allow_none=True)
    follow_up_due_on = fields.Date()
    follow_up_checked_on = fields.Date(allow_none=True)
    still_employed = fields.String(allow_none=True)
    remarks = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PlacementListSchema(OutputSchema):
    """All placements of a client, oldest first."""

    items = fields.List(fields.Nested(PlacementSchema))


class FollowUpsDueQuery(TypedDict, total=False):
    """What ``FollowUpsDueQuerySchema`` loads."""

    until: date


class FollowUpsDueQuerySchema(InputSchema):
    """GET /placements/follow-ups-due?until=YYYY-MM-DD (default: today)."""

    until = fields.Date(
        metadata={"description": "Fällig bis zu diesem Tag (Standard: heute)."},
    )


class FollowUpDueSchema(OutputSchema):
    """One follow-up due: which file, which placement, since when (no personal data)."""

    placement_id = fields.UUID()
    client_id = fields.UUID()
    case_number = fields.String()
    placed_on = fields.Date()
    kind = code_of("placement_outcome")
    follow_up_due_on = fields.Date()


class FollowUpsDueSchema(OutputSchema):
    """Follow-ups due in the files the adviser may open, by due date."""

    items = fields.List(fields.Nested(FollowUpDueSchema))


# --- benefits ------------------------------------------------------------------------


class BenefitCreate(TypedDict, total=False):
    """What ``BenefitCreateSchema`` loads."""

    kind: str
    from_on: date
    to_on: date | None
    remarks: str | None


class BenefitUpdate(BenefitCreate, total=False):
    """What ``BenefitUpdateSchema`` loads."""

    version: int


class _BenefitFields(InputSchema):
    kind = code_of("benefit_kind")
    from_on = fields.Date()
    to_on = fields.Date(allow_none=True, metadata={"description": "Leer: Bezug dauert an."})
    remarks = fields.String(allow_none=True, validate=REMARKS)


class BenefitCreateSchema(_BenefitFields):
    """POST /clients/{id}/benefits."""

    kind = code_of("benefit_kind", required=True)
    from_on = fields.Date(required=True)


class BenefitUpdateSchema(_SomethingToChange, _BenefitFields):
    """PATCH .../benefits/{bid}."""


class BenefitSchema(OutputSchema):
    """A benefit period."""

    id = fields.UUID()
    client_id = fields.UUID()
    version = fields.Integer()
    kind = code_of("benefit_kind")
    from_on = fields.Date()
    to_on = fields.Date(allow_none=True)
    remarks = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class BenefitListSchema(OutputSchema):
    """All benefit periods of a client, oldest first."""

    items = fields.List(fields.Nested(BenefitSchema))


# --- measures ------------------------------------------------------------------------


class MeasureCreate(TypedDict, total=False):
    """What ``MeasureCreateSchema`` loads."""

    kind: str
    provider: str | None
    starts_on: date
    ends_on: date | None
    outcome: str | None
    remarks: str | None


class MeasureUpdate(MeasureCreate, total=False):
    """What ``MeasureUpdateSchema`` loads."""

    version: int


class _MeasureFields(InputSchema):
    kind = code_of("measure_kind")
    provider = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    starts_on = fields.Date(validate=not_future)
    ends_on = fields.Date(allow_none=True)
    outcome = fields.String(
        allow_none=True,
        validate=validate.OneOf(MEASURE_OUTCOMES),
        metadata={"description": "Leer: läuft noch; gesetzt nur mit Enddatum."},
    )
    remarks = fields.String(allow_none=True, validate=REMARKS)


class MeasureCreateSchema(_MeasureFields):
    """POST /clients/{id}/measures."""

    kind = code_of("measure_kind", required=True)
    starts_on = fields.Date(required=True, validate=not_future)


class MeasureUpdateSchema(_SomethingToChange, _MeasureFields):
    """PATCH .../measures/{mid}."""


class MeasureSchema(OutputSchema):
    """A measure."""

    id = fields.UUID()
    client_id = fields.UUID()
    version = fields.Integer()
    kind = code_of("measure_kind")
    provider = fields.String(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    outcome = fields.String(allow_none=True)
    remarks = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class MeasureListSchema(OutputSchema):
    """All measures of a client, oldest first."""

    items = fields.List(fields.Nested(MeasureSchema))
