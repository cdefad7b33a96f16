"""Competence assessments, qualifications and a client's competence profile.

Client records follow the client file's access policy. Every response with client
data writes one read event naming the fields, every create or update one event of
its own, in the caller's unit of work (services flush, never commit).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients import records
from mgz.clients.access import CaseAccess
from mgz.clients.models import Client
from mgz.competences import checklists
from mgz.competences.answers import validate_answers
from mgz.competences.models import Checklist, CompetenceAssessment, Qualification
from mgz.competences.schemas import AssessmentCreate, QualificationCreate, QualificationUpdate
from mgz.core.actor import Actor
from mgz.core.errors import InvalidInputError, NotFoundError
from mgz.core.versions import check_version
from mgz.crypto.types import decrypt_fields
from mgz.profiling import service as profiling
from mgz.profiling.models import Profiling
from mgz.reference import service as reference

ASSESSMENT_FIELDS = ("assessed_on", "answers", "notes")
QUALIFICATION_FIELDS = (
    "kind",
    "kldb_code",
    "isced_level",
    "country",
    "year",
    "documents_available",
    "recognition_status",
    "counselling_referred_on",
    "applied_on",
    "decided_on",
    "title",
    "competent_body",
    "notes",
)

# --- client records -----------------------------------------------------------------------


def _event(
    session: Session,
    actor: Actor,
    action: str,
    client: Client,
    object_type: str,
    fields: Iterable[str],
    *,
    shown: Iterable[Any] = (),
    **details: Any,
) -> None:
    """Record an event; ``shown`` objects are decrypted first.

    A damaged field then fails the request before a read is logged.
    """
    decrypt_fields(*shown)
    record(
        session,
        actor,
        action,
        object_type=object_type,
        object_id=client.case_number,
        fields=list(fields),
        details=details or None,
    )


def create_assessment(
    case: CaseAccess,
    client_id: uuid.UUID,
    data: AssessmentCreate,
) -> CompetenceAssessment:
    """Record answers to one published checklist version.

    Any wrong answer gives 422 naming ``answers.<item key>`` and writes nothing.
    Writes ``competence_assessment.create`` and ``.read``.
    """
    session, actor = case.session, case.actor
    client = case.open(client_id)
    checklist = session.get(Checklist, data["checklist_id"])
    if checklist is None or checklist.status != "published":
        raise InvalidInputError(
            "Eingabe ungültig.",
            errors={"checklist_id": ["Keine veröffentlichte Checkliste."]},
        )
    answers = dict(data["answers"])
    checklists.raise_if(validate_answers(session, checklist, answers))
    types = {item["key"]: item["answer_type"] for item in checklist.items}
    given = {key: value for key, value in answers.items() if value is not None}
    texts = {key: value for key, value in given.items() if types[key] == "text"}
    assessment = CompetenceAssessment(
        id=uuid.uuid4(),
        client_id=client.id,
        checklist_id=checklist.id,
        assessed_on=data["assessed_on"],
        adviser_id=actor.user_id,
        answers={key: value for key, value in given.items() if key not in texts},
        text_answers=texts or None,
        notes=data.get("notes"),
    )
    assessment.checklist = checklist
    session.add(assessment)
    session.flush()
    details = {
        "assessment_id": assessment.id.hex,
        "checklist": checklists.checklist_id(checklist),
        "answered": len(given),
    }
    written = ["assessed_on", "answers", *(["notes"] if data.get("notes") else [])]
    _event(
        session,
        actor,
        "competence_assessment.create",
        client,
        "competence_assessment",
        written,
        **details,
    )
    _event(
        session,
        actor,
        "competence_assessment.read",
        client,
        "competence_assessment",
        ASSESSMENT_FIELDS,
        **details,
        shown=(assessment,),
    )
    return assessment


def _assessments_query(client: Client) -> Select[tuple[CompetenceAssessment]]:
    return (
        select(CompetenceAssessment)
        .where(CompetenceAssessment.client_id == client.id)
        .order_by(CompetenceAssessment.assessed_on, CompetenceAssessment.created_at)
    )


def _assessments_of(session: Session, client: Client) -> list[CompetenceAssessment]:
    return list(session.scalars(_assessments_query(client)).unique())


def list_assessments(
    case: CaseAccess,
    client_id: uuid.UUID,
) -> list[CompetenceAssessment]:
    """All assessments of a client, oldest first; one list event."""
    return records.list_records(
        case,
        client_id,
        _assessments_query,
        object_type="competence_assessment",
        fields=ASSESSMENT_FIELDS,
    )


def get_assessment(
    case: CaseAccess,
    client_id: uuid.UUID,
    assessment_id: uuid.UUID,
) -> CompetenceAssessment:
    """One assessment of the client (404 otherwise); one read event."""
    session, actor = case.session, case.actor
    client = case.open(client_id)
    assessment = session.get(CompetenceAssessment, assessment_id)
    if assessment is None or assessment.client_id != client.id:
        raise NotFoundError("Kompetenzerfassung nicht gefunden.")
    _event(
        session,
        actor,
        "competence_assessment.read",
        client,
        "competence_assessment",
        ASSESSMENT_FIELDS,
        assessment_id=assessment.id.hex,
        checklist=checklists.checklist_id(assessment.checklist),
        shown=(assessment,),
    )
    return assessment


def _check_qualification(
    session: Session, values: Mapping[str, Any], merged: Mapping[str, Any]
) -> dict[str, list[str]]:
    codes = reference.CodeErrors(session)
    for field in ("isced_level", "country", "recognition_status"):
        codes.check(field, field, values.get(field))  # each field is named after its list
    errors = codes.errors
    code = values.get("kldb_code")
    if code is not None and not profiling.is_valid_kldb_code(session, code):
        errors["kldb_code"] = ["Unbekannter KldB-2010-Code."]
    applied, decided = merged.get("applied_on"), merged.get("decided_on")
    if applied and decided and decided < applied:
        errors["decided_on"] = ["Bescheid liegt vor dem Antrag."]
    for required in ("kind", "documents_available", "recognition_status"):
        if required in values and values[required] is None:
            errors[required] = ["Darf nicht leer sein."]
    return errors


def create_qualification(
    case: CaseAccess,
    client_id: uuid.UUID,
    data: QualificationCreate,
) -> Qualification:
    """Record a qualification and its recognition state."""
    session, actor = case.session, case.actor
    client = case.open(client_id)
    values = dict(data)
    checklists.raise_if(_check_qualification(session, values, values))
    qualification = Qualification(id=uuid.uuid4(), client_id=client.id, **values)
    session.add(qualification)
    session.flush()
    details = {"qualification_id": qualification.id.hex}
    _event(
        session, actor, "qualification.create", client, "qualification", sorted(values), **details
    )
    _event(
        session,
        actor,
        "qualification.read",
        client,
        "qualification",
        QUALIFICATION_FIELDS,
        **details,
        shown=(qualification,),
    )
    return qualification


def _qualifications_query(client: Client) -> Select[tuple[Qualification]]:
    return (
        select(Qualification)
        .where(Qualification.client_id == client.id)
        .order_by(Qualification.created_at, Qualification.id)
    )


def _qualifications_of(session: Session, client: Client) -> list[Qualification]:
    return list(session.scalars(_qualifications_query(client)))


def list_qualifications(
    case: CaseAccess,
    client_id: uuid.UUID,
) -> list[Qualification]:
    """All qualifications of a client; one list event."""
    return records.list_records(
        case,
        client_id,
        _qualifications_query,
        object_type="qualification",
        fields=QUALIFICATION_FIELDS,
    )


def update_qualification(
    case: CaseAccess,
    client_id: uuid.UUID,
    qualification_id: uuid.UUID,
    data: QualificationUpdate,
) -> Qualification:
    """Change a qualification if ``data["version"]`` is current (409 if stale)."""
    session, actor = case.session, case.actor
    client = case.open(client_id)
    qualification = session.get(Qualification, qualification_id)
    if qualification is None or qualification.client_id != client.id:
        raise NotFoundError("Qualifikation nicht gefunden.")
    values = dict(data)
    expected = values.pop("version")
    check_version(
        qualification, expected, "Die Qualifikation wurde inzwischen geändert. Laden Sie sie neu."
    )
    merged = {
        "applied_on": qualification.applied_on,
        "decided_on": qualification.decided_on,
        **values,
    }
    checklists.raise_if(_check_qualification(session, values, merged))
    for name, value in values.items():
        setattr(qualification, name, value)
    session.flush()  # a concurrent change: StaleDataError, answered 409 (mgz.core.versions)
    details = {"qualification_id": qualification.id.hex}
    _event(
        session, actor, "qualification.update", client, "qualification", sorted(values), **details
    )
    _event(
        session,
        actor,
        "qualification.read",
        client,
        "qualification",
        QUALIFICATION_FIELDS,
        **details,
        shown=(qualification,),
    )
    return qualification


@dataclass
class CompetenceProfile:
    """Everything about a client's competences in one read."""

    client_id: uuid.UUID
    latest_profiling: Profiling | None
    assessments: list[CompetenceAssessment]
    qualifications: list[Qualification]


def competence_profile(
    case: CaseAccess,
    client_id: uuid.UUID,
) -> CompetenceProfile:
    """Latest profiling, all assessments and qualifications; ONE audit event."""
    session, actor = case.session, case.actor
    client = case.open(client_id)
    latest = profiling.latest_of(session, client)
    assessments = _assessments_of(session, client)
    qualifications = _qualifications_of(session, client)
    fields = [
        *(f"profiling.{name}" for name in (profiling.CONTENT_FIELDS if latest else ())),
        *(f"assessments.{name}" for name in (ASSESSMENT_FIELDS if assessments else ())),
        *(f"qualifications.{name}" for name in (QUALIFICATION_FIELDS if qualifications else ())),
    ]
    _event(
        session,
        actor,
        "competence_profile.read",
        client,
        "competence_profile",
        fields,
        has_profiling=latest is not None,
        assessments=len(assessments),
        qualifications=len(qualifications),
        shown=(latest, *assessments, *qualifications),
    )
    return CompetenceProfile(client.id, latest, assessments, qualifications)
