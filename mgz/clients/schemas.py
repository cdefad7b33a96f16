"""Request and response shapes of client files.

Shape and format only; rules that need the database or the stored record (codes,
move-in after entry on PATCH, duplicates) live in the service.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from mgz.core.clock import age_on, today
from mgz.core.schemas import Id, InputSchema, OutputSchema, Version

GENDERS = ("female", "male", "diverse", "unspecified")
CITIZENSHIP_GROUPS = ("eu", "third_country", "stateless", "unknown")
_COUNTRY = validate.Regexp(r"^[A-Z]{2}$", error="ISO-3166-1-Code aus zwei Großbuchstaben.")
_LANGUAGE = validate.Regexp(r"^[a-z]{2,3}$", error="ISO-639-Code in Kleinbuchstaben.")


def _not_future(value: Any) -> None:
    if value is not None and value > today():
        raise ValidationError("Datum liegt in der Zukunft.")


class _ClientFields(InputSchema):
    """Fields shared by create and update; all optional here."""

    first_name = fields.String(validate=validate.Length(min=1, max=200))
    last_name = fields.String(validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(validate=_not_future)
    birth_place = fields.String(allow_none=True, validate=validate.Length(max=200))
    nationality = fields.List(fields.String(validate=_COUNTRY), validate=validate.Length(max=5))
    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    phone = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^[0-9 +()/-]{3,40}$", error="Keine gültige Telefonnummer."),
    )
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    notes = fields.String(allow_none=True, validate=validate.Length(max=10000))

    gender = fields.String(validate=validate.OneOf(GENDERS))
    residence_status = fields.String(allow_none=True, validate=validate.Length(max=40))
    entered_germany_on = fields.Date(allow_none=True, validate=_not_future)
    moved_in_on = fields.Date(allow_none=True, validate=_not_future)
    moved_in_from_abroad = fields.Boolean(allow_none=True)
    municipality = fields.String(validate=validate.Length(max=12))
    receives_sgb2 = fields.Boolean(allow_none=True)
    languages = fields.List(fields.String(validate=_LANGUAGE), validate=validate.Length(max=10))
    interpreter_needed = fields.Boolean()

    @validates("birth_date")
    def _plausible_age(self, value: Any, **_kwargs: Any) -> None:
        if value is not None and not 0 <= age_on(value, today()) <= 120:
            raise ValidationError("Alter muss zwischen 0 und 120 Jahren liegen.")


class ClientCreateSchema(_ClientFields):
    """POST /clients."""

    first_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(required=True, validate=_not_future)
    gender = fields.String(required=True, validate=validate.OneOf(GENDERS))
    municipality = fields.String(load_default="unknown", validate=validate.Length(max=12))
    nationality = fields.List(
        fields.String(validate=_COUNTRY), load_default=list, validate=validate.Length(max=5)
    )
    languages = fields.List(
        fields.String(validate=_LANGUAGE), load_default=list, validate=validate.Length(max=10)
    )
    interpreter_needed = fields.Boolean(load_default=False)
    confirmed_different_person = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Dublettenwarnung bestätigt: andere Person mit gleichem "
            "Nachnamen und Geburtsdatum"
        },
    )


class ClientUpdateSchema(_ClientFields):
    """PATCH /clients/{id}: only the fields sent change; ``version`` is required."""

    version = Version(required=True)

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if set(data) == {"version"}:
            raise ValidationError("Keine Änderung angegeben.", "_schema")


class ClientSearchSchema(InputSchema):
    """GET /clients query: exact search or statistical filters, paginated."""

    case_number = fields.String(validate=validate.Regexp(r"^MGZ-\d{4}-\d{6}$"))
    last_name = fields.String(validate=validate.Length(min=1, max=200))
    birth_date = fields.Date()
    municipality = fields.String(validate=validate.Length(max=12))
    citizenship_group = fields.String(validate=validate.OneOf(CITIZENSHIP_GROUPS))
    residence_status = fields.String(validate=validate.Length(max=40))
    gender = fields.String(validate=validate.OneOf(GENDERS))
    receives_sgb2 = fields.Boolean()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))

    @validates_schema
    def _name_needs_birth_date(self, data: dict[str, Any], **_kwargs: Any) -> None:
        # Searching by name alone would let anyone enumerate a family; the pair is
        # what identifies a person at the counter.
        if ("last_name" in data) != ("birth_date" in data):
            missing = "birth_date" if "last_name" in data else "last_name"
            raise ValidationError("Nachname und Geburtsdatum nur zusammen.", missing)


class AdviserAssignmentSchema(InputSchema):
    """PUT /clients/{id}/advisers: the complete list of responsible advisers."""

    adviser_ids = fields.List(
        Id(),
        required=True,
        validate=validate.Length(min=1, max=10),
    )


class ClientSchema(OutputSchema):
    """A whole client file, for advisers."""

    id = fields.UUID()
    case_number = fields.String()
    version = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date()
    birth_place = fields.String(allow_none=True)
    nationality = fields.List(fields.String())
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    birth_year = fields.Integer()
    gender = fields.String()
    citizenship_group = fields.String()
    residence_status = fields.String(allow_none=True)
    residence_status_group = fields.String(allow_none=True)
    is_protection_seeker = fields.Boolean()
    entered_germany_on = fields.Date(allow_none=True)
    moved_in_on = fields.Date(allow_none=True)
    moved_in_from_abroad = fields.Boolean(allow_none=True)
    municipality = fields.String()
    receives_sgb2 = fields.Boolean(allow_none=True)
    languages = fields.List(fields.String())
    interpreter_needed = fields.Boolean()
    adviser_ids = fields.List(fields.Integer())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ClientListItemSchema(OutputSchema):
    """One search hit: the least an adviser needs to pick the right person."""

    id = fields.UUID()
    case_number = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date()
    municipality = fields.String()


class ClientPageSchema(OutputSchema):
    """A page of search hits."""

    items = fields.List(fields.Nested(ClientListItemSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
