"""Request and response shapes of profilings.

Shapes and formats only; whether a code is in its code list is checked by the
service against the loaded reference data.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from marshmallow import ValidationError, fields, validate, validates_schema

from mgz.core.clock import today
from mgz.core.schemas import InputSchema, OutputSchema, YearUpToNow, code_of, not_future
from mgz.profiling.models import Profiling
from mgz.profiling.rules import KEY_FACTORS, MAIN_NEED_TYPES, RATINGS

GERMAN_SKILLS = ("listening", "reading", "speaking", "writing")
FRAMEWORK_NEEDS = ("childcare", "housing", "finances", "mobility", "residence_work_permit")
EDUCATION_KINDS = ("vocational", "higher")
# Fahrerlaubnisklassen nach § 6 FeV.
DRIVING_LICENCE_CLASSES = (
    "AM", "A1", "A2", "A", "B", "BE", "B96", "C1", "C1E", "C", "CE",
    "D1", "D1E", "D", "DE", "L", "T",
)  # fmt: skip

KLDB_CODE = validate.Regexp(r"^[0-9]{1,5}$", error="KldB-2010-Code: 1 bis 5 Ziffern.")


def _country(**kwargs: Any) -> fields.String:
    return code_of(
        "country", r"^[A-Z]{2}$", error="ISO-3166-Code aus zwei Großbuchstaben.", **kwargs
    )


def _rating(**kwargs: Any) -> fields.String:
    return code_of("need_rating", choices=RATINGS, **kwargs)


def _unique(values: list[Any]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Einträge doppelt angegeben.")


class SchoolingSchema(InputSchema):
    """Schulbildung."""

    years = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=30))
    isced_level = code_of("isced_level", allow_none=True)
    country = _country(allow_none=True)
    certificate = fields.String(allow_none=True, validate=validate.Length(max=300))


class EducationSchema(InputSchema):
    """One vocational training or higher education."""

    kind = fields.String(required=True, validate=validate.OneOf(EDUCATION_KINDS))
    isced_level = code_of("isced_level", required=True)
    kldb_code = fields.String(allow_none=True, validate=KLDB_CODE)
    is_completed = fields.Boolean(required=True)
    country = _country(allow_none=True)
    year = fields.Integer(allow_none=True, validate=YearUpToNow(1940))


class WorkExperienceSchema(InputSchema):
    """Work in one occupation (KldB 2010 code) for some years."""

    kldb_code = fields.String(required=True, validate=KLDB_CODE)
    years = fields.Float(required=True, validate=validate.Range(min=0, max=60))


class GermanSkillSchema(InputSchema):
    """German in one skill: CEFR level, self-assessed or certified."""

    level = code_of("cefr_level", required=True)
    is_certified = fields.Boolean(load_default=False)


class GermanSkillsSchema(InputSchema):
    """German by skill (Hören, Lesen, Sprechen, Schreiben)."""

    listening = fields.Nested(GermanSkillSchema, allow_none=True)
    reading = fields.Nested(GermanSkillSchema, allow_none=True)
    speaking = fields.Nested(GermanSkillSchema, allow_none=True)
    writing = fields.Nested(GermanSkillSchema, allow_none=True)


class OtherLanguageSchema(InputSchema):
    """Another language and, if known, its level."""

    language = code_of("language", required=True)
    level = code_of("cefr_level", allow_none=True)


class NeedsSchema(InputSchema):
    """Handlungsbedarf per key factor (Schlüsselgröße), each rated."""

    qualification = _rating(required=True)
    capability = _rating(required=True)
    motivation = _rating(required=True)
    framework_conditions = _rating(required=True)


class FrameworkNeedsSchema(InputSchema):
    """Rahmenbedingungen in detail, each rated."""

    childcare = _rating()
    housing = _rating()
    finances = _rating()
    mobility = _rating()
    residence_work_permit = _rating()


class ProfilingCreateSchema(InputSchema):
    """POST /clients/{id}/profilings: a new profiling (the old ones stay unchanged)."""

    profiled_on = fields.Date(load_default=today, validate=not_future)
    schooling = fields.Nested(SchoolingSchema, load_default=dict)
    education = fields.List(
        fields.Nested(EducationSchema), load_default=list, validate=validate.Length(max=20)
    )
    work_experience = fields.List(
        fields.Nested(WorkExperienceSchema), load_default=list, validate=validate.Length(max=30)
    )
    german_skills = fields.Nested(GermanSkillsSchema, load_default=dict)
    german_certificate = fields.String(allow_none=True, validate=validate.Length(max=300))
    other_languages = fields.List(
        fields.Nested(OtherLanguageSchema), load_default=list, validate=validate.Length(max=20)
    )
    is_literate_latin = fields.Boolean(allow_none=True, load_default=None)
    driving_licences = fields.List(
        fields.String(validate=validate.OneOf(DRIVING_LICENCE_CLASSES)),
        load_default=list,
        validate=_unique,
    )
    strengths = fields.List(
        code_of("competence_class"), load_default=list, validate=[validate.Length(max=4), _unique]
    )
    needs = fields.Nested(NeedsSchema, required=True)
    framework_needs = fields.Nested(FrameworkNeedsSchema, load_default=dict)
    main_need = code_of("key_factor", choices=tuple(MAIN_NEED_TYPES), allow_none=True)
    health_remarks = fields.String(allow_none=True, validate=validate.Length(max=5000))
    profile_type = code_of("profile_type", required=True)
    override_reason = fields.String(allow_none=True, validate=validate.Length(max=2000))
    integration_goal = code_of("integration_goal", required=True)
    next_steps = fields.String(allow_none=True, validate=validate.Length(max=5000))
    notes = fields.String(allow_none=True, validate=validate.Length(max=10000))

    @validates_schema
    def _languages_unique(self, data: dict[str, Any], **_kwargs: Any) -> None:
        codes = [item["language"] for item in data.get("other_languages") or []]
        if len(set(codes)) != len(codes):
            raise ValidationError("Sprache doppelt angegeben.", "other_languages")


def _schooling(profiling: Profiling) -> dict[str, Any]:
    return {
        "years": profiling.schooling_years,
        "isced_level": profiling.schooling_isced_level,
        "country": profiling.schooling_country,
        "certificate": profiling.schooling_certificate,
    }


def _needs(profiling: Profiling) -> dict[str, str]:
    return {factor: getattr(profiling, f"need_{factor}") for factor in KEY_FACTORS}


class ProfilingSchema(OutputSchema):
    """A profiling as the adviser sees it."""

    id = fields.UUID()
    client_id = fields.UUID()
    sequence = fields.Integer()
    profiled_on = fields.Date()
    adviser_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    schooling = fields.Function(_schooling)
    education = fields.List(fields.Dict())
    work_experience = fields.List(fields.Dict())
    german_skills = fields.Dict()
    german_certificate = fields.String(allow_none=True)
    other_languages = fields.List(fields.Dict())
    is_literate_latin = fields.Boolean(allow_none=True)
    driving_licences = fields.List(fields.String())
    strengths = fields.List(code_of("competence_class"))
    needs = fields.Function(_needs)
    framework_needs = fields.Dict()
    main_need = code_of("key_factor", allow_none=True)
    health_remarks = fields.String(allow_none=True)
    suggested_profile_type = code_of("profile_type")
    profile_type = code_of("profile_type")
    profile_type_group = code_of("profile_type_group")
    is_override = fields.Function(lambda p: p.profile_type != p.suggested_profile_type)
    override_reason = fields.String(allow_none=True)
    integration_goal = code_of("integration_goal")
    next_steps = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)


class ProfilingListSchema(OutputSchema):
    """All profilings of a client, oldest first."""

    items = fields.List(fields.Nested(ProfilingSchema))


class ProfilingCreate(TypedDict, total=False):
    """What ``ProfilingCreateSchema`` loads (nested parts as plain mappings)."""

    profiled_on: date
    schooling: dict[str, Any]
    education: list[dict[str, Any]]
    work_experience: list[dict[str, Any]]
    german_skills: dict[str, dict[str, Any] | None]
    german_certificate: str | None
    other_languages: list[dict[str, Any]]
    is_literate_latin: bool | None
    driving_licences: list[str]
    strengths: list[str]
    needs: dict[str, str]
    framework_needs: dict[str, str]
    main_need: str | None
    health_remarks: str | None
    profile_type: str
    override_reason: str | None
    integration_goal: str
    next_steps: str | None
    notes: str | None
