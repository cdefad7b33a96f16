"""Request and response shapes of client files.

Shape and format only; rules that need the database or the stored record (codes,
move-in after entry on PATCH, duplicates) live in the service.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, TypedDict

from marshmallow import ValidationError, fields, pre_dump, validate, validates, validates_schema

from mgz.core.clock import age_on, today
from mgz.core.schemas import (
    Id,
    InputSchema,
    OutputSchema,
    Version,
    YearUpToNow,
    code_of,
    not_future,
)

GENDERS = ("female", "male", "diverse", "unspecified")
CITIZENSHIP_GROUPS = ("eu", "third_country", "stateless", "unknown")
MATCHES = ("exact", "similar")
COUNTRY_PATTERN = r"^[A-Z]{2}$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}$"
# An AGS (8 digits) or "unknown".
MUNICIPALITY_PATTERN = r"^([0-9]{8}|unknown)$"


def _country(**kwargs: Any) -> fields.String:
    return code_of(
        "country", COUNTRY_PATTERN, error="ISO-3166-1-Code aus zwei Großbuchstaben.", **kwargs
    )


def _language(**kwargs: Any) -> fields.String:
    return code_of("language", LANGUAGE_PATTERN, error="ISO-639-Code in Kleinbuchstaben.", **kwargs)


def _municipality(**kwargs: Any) -> fields.String:
    return code_of(
        "municipality",
        MUNICIPALITY_PATTERN,
        error="Amtlicher Gemeindeschlüssel (8 Ziffern) oder unknown.",
        **kwargs,
    )


_AGE = {"description": "Alter heute zwischen 0 und 120 Jahren"}


class _ClientFields(InputSchema):
    """Fields shared by create and update; all optional here."""

    first_name = fields.String(validate=validate.Length(min=1, max=200))
    last_name = fields.String(validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(validate=not_future, metadata=_AGE)
    birth_place = fields.String(allow_none=True, validate=validate.Length(max=200))
    nationality = fields.List(_country(), validate=validate.Length(max=5))
    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    phone = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^[0-9 +()/-]{3,40}$", error="Keine gültige Telefonnummer."),
    )
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    notes = fields.String(allow_none=True, validate=validate.Length(max=10000))

    gender = code_of("gender", choices=GENDERS)
    residence_status = code_of("residence_status", allow_none=True)
    entered_germany_on = fields.Date(allow_none=True, validate=not_future)
    moved_in_on = fields.Date(allow_none=True, validate=not_future)
    moved_in_from_abroad = fields.Boolean(allow_none=True)
    municipality = _municipality()
    receives_sgb2 = fields.Boolean(allow_none=True)
    languages = fields.List(_language(), validate=validate.Length(max=10))
    interpreter_needed = fields.Boolean()

    @validates("birth_date")
    def _plausible_age(self, value: Any, **_kwargs: Any) -> None:
        if value is not None and not 0 <= age_on(value, today()) <= 120:
            raise ValidationError("Alter muss zwischen 0 und 120 Jahren liegen.")


class _ClientValues(TypedDict, total=False):
    """The fields of a client file as the load schemas return them."""

    first_name: str
    last_name: str
    birth_date: date
    birth_place: str | None
    nationality: list[str]
    address: str | None
    phone: str | None
    email: str | None
    notes: str | None
    gender: str
    residence_status: str | None
    entered_germany_on: date | None
    moved_in_on: date | None
    moved_in_from_abroad: bool | None
    municipality: str
    receives_sgb2: bool | None
    languages: list[str]
    interpreter_needed: bool


class ClientCreate(_ClientValues, total=False):
    """What ``ClientCreateSchema`` loads (the required fields are always there)."""

    confirmed_different_person: bool


class ClientUpdate(_ClientValues, total=False):
    """What ``ClientUpdateSchema`` loads: ``version`` and the fields sent, nothing else."""

    version: int


class ClientSearch(TypedDict, total=False):
    """What ``ClientSearchSchema`` loads (GET: nothing personal)."""

    case_number: str
    municipality: str
    citizenship_group: str
    residence_status: str
    gender: str
    receives_sgb2: bool
    page: int
    per_page: int


class IdentitySearch(TypedDict, total=False):
    """What ``IdentitySearchSchema`` loads (POST /clients/search)."""

    last_name: str
    first_name: str
    birth_date: date
    birth_year: int
    similar: bool
    page: int
    per_page: int


class ClientCreateSchema(_ClientFields):
    """POST /clients."""

    first_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(required=True, validate=not_future, metadata=_AGE)
    gender = code_of("gender", choices=GENDERS, required=True)
    municipality = _municipality(load_default="unknown")
    nationality = fields.List(_country(), load_default=list, validate=validate.Length(max=5))
    languages = fields.List(_language(), load_default=list, validate=validate.Length(max=10))
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

    # The document's form of _something_to_change: version and one field at least.
    openapi_extra: ClassVar[dict[str, Any]] = {"minProperties": 2}

    version = Version(required=True)

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if set(data) == {"version"}:
            raise ValidationError("Keine Änderung angegeben.", "_schema")


class ClientSearchSchema(InputSchema):
    """GET /clients query: case number or statistical filters, paginated.

    Nothing personal goes into a URL (proxies and browsers log them): names and
    birth dates are searched with POST /clients/search, and mgz.core.query_guard
    refuses them here with a 422 that says so.
    """

    case_number = fields.String(validate=validate.Regexp(r"^MGZ-\d{4}-\d{6}$"))
    municipality = _municipality()
    citizenship_group = code_of("citizenship_group", choices=CITIZENSHIP_GROUPS)
    residence_status = code_of("residence_status")
    gender = code_of("gender", choices=GENDERS)
    receives_sgb2 = fields.Boolean()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


_NAME = validate.Length(min=1, max=200)


class IdentitySearchSchema(InputSchema):
    """POST /clients/search body: a person by name and birth date or birth year.

    Either last name + birth date (first name optional), or first name + last name +
    birth year: never a name alone, which would let anyone list a family. With
    ``similar`` the names match tolerantly (other transliterations, missing
    diacritics, the same Cologne phonetics); exact matches come first.
    """

    # The document's form of _enough_to_identify.
    openapi_extra: ClassVar[dict[str, Any]] = {
        "anyOf": [{"required": ["birth_date"]}, {"required": ["first_name", "birth_year"]}],
        "not": {"required": ["birth_date", "birth_year"]},
    }

    last_name = fields.String(required=True, validate=_NAME)
    first_name = fields.String(
        validate=_NAME, metadata={"description": "Pflicht zusammen mit birth_year."}
    )
    birth_date = fields.Date(
        metadata={"description": "Geburtsdatum; oder stattdessen birth_year mit first_name."}
    )
    birth_year = fields.Integer(
        validate=YearUpToNow(1900),
        metadata={"description": "Geburtsjahr; nur zusammen mit first_name, nicht mit birth_date."},
    )
    similar = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Auch ähnlich geschriebene Namen finden (Umschrift, fehlende "
            "Akzente, gleiche Kölner Phonetik); exakte Treffer zuerst."
        },
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))

    @validates_schema
    def _enough_to_identify(self, data: dict[str, Any], **_kwargs: Any) -> None:
        # A name alone (or with a year but no first name) would list whole families;
        # last name + birth date, or both names + birth year, is what the counter has.
        errors: dict[str, list[str]] = {}
        if "birth_date" in data and "birth_year" in data:
            errors["birth_year"] = ["Geburtsdatum oder Geburtsjahr, nicht beides."]
        elif "birth_year" in data and "first_name" not in data:
            errors["first_name"] = ["Mit Geburtsjahr ist der Vorname Pflicht."]
        elif "birth_date" not in data and "birth_year" not in data:
            errors["birth_date"] = ["Geburtsdatum (oder Vorname und Geburtsjahr) angeben."]
        if errors:
            raise ValidationError(errors)


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
    nationality = fields.List(_country())
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    birth_year = fields.Integer()
    gender = code_of("gender")
    citizenship_group = code_of("citizenship_group")
    residence_status = code_of("residence_status", allow_none=True)
    residence_status_group = code_of("residence_status_group", allow_none=True)
    is_protection_seeker = fields.Boolean()
    entered_germany_on = fields.Date(allow_none=True)
    moved_in_on = fields.Date(allow_none=True)
    moved_in_from_abroad = fields.Boolean(allow_none=True)
    municipality = _municipality()
    receives_sgb2 = fields.Boolean(allow_none=True)
    languages = fields.List(_language())
    interpreter_needed = fields.Boolean()
    adviser_ids = fields.List(fields.Integer())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    @pre_dump
    def _from_opened_file(self, opened: Any, **_kwargs: Any) -> dict[str, Any]:
        # An OpenedFile (mgz.clients.access): the file, and the advisers its check read.
        names = (name for name in self.fields if name != "adviser_ids")
        return {
            **{name: getattr(opened.client, name) for name in names},
            "adviser_ids": opened.adviser_ids,
        }


class ClientListItemSchema(OutputSchema):
    """One search hit: the least an adviser needs to pick the right person."""

    id = fields.UUID()
    case_number = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date()
    municipality = _municipality()
    match = fields.String(
        metadata={
            "description": "Nur bei POST /clients/search: exact (gleiche Schreibweise) "
            "oder similar (ähnlich geschrieben)",
            "enum": list(MATCHES),
        }
    )

    @pre_dump
    def _names_if_shown(self, hit: Any, **_kwargs: Any) -> dict[str, Any]:
        # A SearchHit (mgz.clients.service): names only where the search shows them.
        client = hit.client
        item = {"id": client.id, "case_number": client.case_number}
        item["municipality"] = client.municipality
        if hit.match is not None:
            item["match"] = hit.match
        if hit.names_shown:
            item.update(
                first_name=client.first_name,
                last_name=client.last_name,
                birth_date=client.birth_date,
            )
        return item


class ClientPageSchema(OutputSchema):
    """A page of search hits."""

    items = fields.List(fields.Nested(ClientListItemSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class BreakGlassAccessSchema(OutputSchema):
    """One break-glass opening of a file: who, when, the reason code and its free text."""

    id = fields.UUID(required=True)
    accessed_at = fields.AwareDateTime(required=True)
    user_id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)
    reason_code = code_of("break_glass_reason", required=True)
    reason_label = fields.String(allow_none=True)
    reason = fields.String(
        allow_none=True, metadata={"description": "Freitext (verschlüsselt gespeichert)"}
    )
