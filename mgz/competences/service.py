"""Checklists, competence assessments, qualifications and a client's competence profile.

Checklists: an admin creates a draft, edits it, and publishes it; a published
version never changes (409), a change starts the next version as a draft. Any role
may read published versions; drafts are the admins' own.

Client records follow the client file's access policy. Every response with client
data writes one read event naming the fields, every create or update one event of
its own, in the caller's transaction; the service commits.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from mgz.audit.service import record
from mgz.clients import records
from mgz.clients import service as clients
from mgz.clients.access import AccessPolicy
from mgz.clients.models import Client
from mgz.competences.models import Checklist, CompetenceAssessment, Qualification
from mgz.competences.schemas import ChecklistItemSchema
from mgz.competences.seed import SEED_TEMPLATES
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import ConflictError, InvalidInputError, NotFoundError, flatten_messages
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
MAX_TEXT_ANSWER = 2000
ITEM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class ChecklistPublishedError(ConflictError):
    """A published checklist version cannot be changed."""

    slug = "checklist-published"
    title = "Checkliste veröffentlicht"


class ChecklistDraftExistsError(ConflictError):
    """A template has at most one draft at a time."""

    slug = "checklist-draft-exists"
    title = "Entwurf vorhanden"


# --- checklists --------------------------------------------------------------------------


def _checklist_id(checklist: Checklist) -> str:
    return f"{checklist.key}.v{checklist.version}"


def _checklist_event(
    session: Session, actor: Actor, action: str, checklist: Checklist, **details: Any
) -> None:
    record(
        session,
        actor,
        action,
        object_type="checklist",
        object_id=_checklist_id(checklist),
        details={"items": len(checklist.items), **details},
    )


def _check_items(session: Session, items: list[dict[str, Any]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        if item.get("code_list"):
            try:
                reference.list_info(session, item["code_list"])
            except reference.UnknownListError:
                errors[f"items.{index}.code_list"] = ["Diese Codeliste gibt es nicht."]
    return errors


def _raise_if(errors: Mapping[str, list[str]]) -> None:
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=dict(errors))


def _newest(session: Session, key: str) -> Checklist | None:
    return session.scalars(
        select(Checklist).where(Checklist.key == key).order_by(Checklist.version.desc()).limit(1)
    ).first()


def _add_checklist(session: Session, checklist: Checklist) -> None:
    try:
        with session.begin_nested():
            session.add(checklist)
    except IntegrityError:
        raise ConflictError(
            "Gleichzeitig wurde eine andere Version dieser Checkliste angelegt.",
            errors={"key": ["Version bereits vergeben."]},
        ) from None


def list_checklists(
    session: Session, actor: Actor, *, key: str | None = None, status: str | None = None
) -> list[Checklist]:
    """Checklist versions by key and version; drafts only for admins."""
    query = select(Checklist).order_by(Checklist.key, Checklist.version)
    if key is not None:
        query = query.where(Checklist.key == key)
    if status is not None:
        query = query.where(Checklist.status == status)
    if not actor.has_role("admin"):
        query = query.where(Checklist.status == "published")
    return list(session.scalars(query))


def get_checklist(session: Session, actor: Actor, checklist_id: uuid.UUID) -> Checklist:
    """One checklist version; a draft is 404 for everyone but admins."""
    checklist = session.get(Checklist, checklist_id)
    if checklist is None or (checklist.status != "published" and not actor.has_role("admin")):
        raise NotFoundError("Checkliste nicht gefunden.")
    return checklist


def create_checklist(session: Session, actor: Actor, data: Mapping[str, Any]) -> Checklist:
    """Create version 1 of a new template as a draft; 409 if the key exists; commits."""
    _raise_if(_check_items(session, data["items"]))
    if _newest(session, data["key"]) is not None:
        raise ConflictError(
            "Eine Checkliste mit diesem Schlüssel gibt es schon; legen Sie eine neue Version an.",
            errors={"key": ["Schlüssel bereits vergeben."]},
        )
    checklist = Checklist(
        id=uuid.uuid4(),
        key=data["key"],
        version=1,
        status="draft",
        title=data["title"],
        description=data.get("description"),
        items=list(data["items"]),
        created_by_id=actor.user_id,
    )
    _add_checklist(session, checklist)
    _checklist_event(session, actor, "checklist.create", checklist)
    session.commit()
    return checklist


def _draft(session: Session, actor: Actor, checklist_id: uuid.UUID) -> Checklist:
    checklist = get_checklist(session, actor, checklist_id)
    if checklist.status == "published":
        raise ChecklistPublishedError(
            "Eine veröffentlichte Version ist unveränderlich. Legen Sie mit "
            "POST /checklists/{id}/versions eine neue Version als Entwurf an."
        )
    return checklist


def update_checklist(
    session: Session, actor: Actor, checklist_id: uuid.UUID, data: Mapping[str, Any]
) -> Checklist:
    """Change a draft; a published version gives 409 and stays as it is; commits."""
    checklist = _draft(session, actor, checklist_id)
    if "items" in data:
        _raise_if(_check_items(session, data["items"]))
    for name, value in data.items():
        setattr(checklist, name, list(value) if name == "items" else value)
    session.flush()
    _checklist_event(session, actor, "checklist.update", checklist)
    session.commit()
    return checklist


def _publish(session: Session, actor: Actor, checklist: Checklist, action: str) -> None:
    checklist.status = "published"
    checklist.published_at = utcnow()
    session.flush()
    _checklist_event(session, actor, action, checklist)


def publish_checklist(session: Session, actor: Actor, checklist_id: uuid.UUID) -> Checklist:
    """Publish a draft: from now on it is immutable and may be answered; commits."""
    checklist = _draft(session, actor, checklist_id)
    _publish(session, actor, checklist, "checklist.publish")
    session.commit()
    return checklist


def new_version(session: Session, actor: Actor, checklist_id: uuid.UUID) -> Checklist:
    """Start the next version of a template as a draft copy of this one; commits."""
    source = get_checklist(session, actor, checklist_id)
    newest = _newest(session, source.key)
    assert newest is not None  # noqa: S101 - source itself exists
    if newest.status == "draft":
        raise ChecklistDraftExistsError(
            "Für diese Checkliste gibt es schon einen Entwurf; bearbeiten Sie ihn.",
            extra={"draft_id": str(newest.id)},
        )
    checklist = Checklist(
        id=uuid.uuid4(),
        key=source.key,
        version=newest.version + 1,
        status="draft",
        title=source.title,
        description=source.description,
        items=[dict(item) for item in source.items],
        created_by_id=actor.user_id,
    )
    _add_checklist(session, checklist)
    _checklist_event(session, actor, "checklist.create", checklist, based_on=source.version)
    session.commit()
    return checklist


@dataclass(frozen=True)
class SeedResult:
    """What loading one shipped template did."""

    key: str
    version: int
    outcome: str  # "created", "unchanged" or "skipped_draft"


def _content(source: Mapping[str, Any]) -> tuple[Any, ...]:
    return (source["title"], source.get("description"), list(source["items"]))


def load_seed_templates(
    session: Session, actor: Actor, templates: Iterable[Mapping[str, Any]] = SEED_TEMPLATES
) -> list[SeedResult]:
    """Publish each shipped template whose content is new (idempotent).

    An unchanged template is left alone; a changed one becomes the next published
    version (older assessments keep theirs); a key with an open draft is skipped.
    Items are validated like an admin's input. Flushes; the caller commits.
    """
    results: list[SeedResult] = []
    for template in templates:
        try:
            items = ChecklistItemSchema(many=True).load(template["items"])
        except ValidationError as exc:
            raise InvalidInputError(
                "Mitgelieferte Checkliste ungültig.", errors=flatten_messages(exc.messages)
            ) from None
        _raise_if(_check_items(session, items))
        newest = _newest(session, template["key"])
        content = (template["title"], template.get("description"), items)
        if newest is not None and newest.status == "draft":
            results.append(SeedResult(template["key"], newest.version, "skipped_draft"))
            continue
        if (
            newest is not None
            and _content(
                {"title": newest.title, "description": newest.description, "items": newest.items}
            )
            == content
        ):
            results.append(SeedResult(template["key"], newest.version, "unchanged"))
            continue
        checklist = Checklist(
            id=uuid.uuid4(),
            key=template["key"],
            version=1 if newest is None else newest.version + 1,
            status="draft",
            title=template["title"],
            description=template.get("description"),
            items=items,
            created_by_id=actor.user_id,
        )
        session.add(checklist)
        session.flush()
        _publish(session, actor, checklist, "checklist.load")
        results.append(SeedResult(checklist.key, checklist.version, "created"))
    return results


# --- answers ------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    # math.isfinite(10**400) raises OverflowError: ints are finite, but bounded here.
    return abs(value) <= 2**53 if isinstance(value, int) else math.isfinite(value)


def _answer_error(
    session: Session, item: Mapping[str, Any], value: Any, allow_withdrawn: bool
) -> str | None:
    """The German message for a wrong answer to ``item``, or None."""
    kind = item["answer_type"]
    if kind == "yes_no":
        return None if isinstance(value, bool) else "Antwort muss true oder false sein."
    if kind == "level_0_3":
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
            return None
        return "Antwort muss eine Stufe von 0 bis 3 sein."
    if kind == "number":
        if not _is_number(value):
            return "Antwort muss eine Zahl sein."
        low, high = item.get("min_value"), item.get("max_value")
        if low is not None and value < low:
            return f"Antwort muss mindestens {low:g} sein."
        if high is not None and value > high:
            return f"Antwort darf höchstens {high:g} sein."
        return None
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            return "Antwort muss ein nicht leerer Text sein."
        if len(value) > MAX_TEXT_ANSWER:
            return f"Höchstens {MAX_TEXT_ANSWER} Zeichen."
        return None
    # kind == "code"
    if not isinstance(value, str) or not reference.is_valid(
        session, item["code_list"], value, allow_withdrawn=allow_withdrawn
    ):
        return "Unbekannter Code."
    return None


def validate_answers(
    session: Session,
    checklist: Checklist,
    answers: Mapping[str, Any],
    *,
    allow_withdrawn: bool = False,
) -> dict[str, list[str]]:
    """Errors per ``answers.<item key>``: unknown item, wrong type, out of range, missing.

    ``allow_withdrawn=True`` re-validates a stored assessment, whose codes may have
    been withdrawn from their list since.
    """
    errors: dict[str, list[str]] = {}
    items = {item["key"]: item for item in checklist.items}
    for key in answers:
        if key in items:
            continue
        # Never name an unknown key: it may be a value typed into the wrong place
        # (a name looks like an item key too), and errors never echo submitted text.
        errors.setdefault("answers._unknown", []).append(
            "Diese Frage gibt es in der Checkliste nicht."
        )
    for key, item in items.items():
        value = answers.get(key)
        if value is None:
            if item.get("is_required"):
                errors[f"answers.{key}"] = ["Pflichtfrage nicht beantwortet."]
            continue
        message = _answer_error(session, item, value, allow_withdrawn)
        if message:
            errors[f"answers.{key}"] = [message]
    return errors


def revalidate(session: Session, assessment: CompetenceAssessment) -> dict[str, list[str]]:
    """Check a stored assessment against the version it answered (empty: still valid)."""
    merged = {**(assessment.answers or {}), **(assessment.text_answers or {})}
    return validate_answers(session, assessment.checklist, merged, allow_withdrawn=True)


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
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client_id: uuid.UUID,
    data: Mapping[str, Any],
    reason: str | None = None,
) -> CompetenceAssessment:
    """Record answers to one published checklist version; commits.

    Any wrong answer gives 422 naming ``answers.<item key>`` and writes nothing.
    Writes ``competence_assessment.create`` and ``.read``.
    """
    client = records.open_file(session, actor, policy, client_id, reason)
    checklist = session.get(Checklist, data["checklist_id"])
    if checklist is None or checklist.status != "published":
        raise InvalidInputError(
            "Eingabe ungültig.",
            errors={"checklist_id": ["Keine veröffentlichte Checkliste."]},
        )
    answers = dict(data["answers"])
    _raise_if(validate_answers(session, checklist, answers))
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
        "checklist": _checklist_id(checklist),
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
    session.commit()
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
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client_id: uuid.UUID,
    reason: str | None = None,
) -> list[CompetenceAssessment]:
    """All assessments of a client, oldest first; one list event; commits."""
    return records.list_records(
        session,
        actor,
        policy,
        client_id,
        _assessments_query,
        object_type="competence_assessment",
        fields=ASSESSMENT_FIELDS,
        reason=reason,
    )


def get_assessment(
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client_id: uuid.UUID,
    assessment_id: uuid.UUID,
    reason: str | None = None,
) -> CompetenceAssessment:
    """One assessment of the client (404 otherwise); one read event; commits."""
    client = records.open_file(session, actor, policy, client_id, reason)
    assessment = session.get(CompetenceAssessment, assessment_id)
    if assessment is None or assessment.client_id != client.id:
        session.commit()
        raise NotFoundError("Kompetenzerfassung nicht gefunden.")
    _event(
        session,
        actor,
        "competence_assessment.read",
        client,
        "competence_assessment",
        ASSESSMENT_FIELDS,
        assessment_id=assessment.id.hex,
        checklist=_checklist_id(assessment.checklist),
        shown=(assessment,),
    )
    session.commit()
    return assessment


def _check_qualification(
    session: Session, values: Mapping[str, Any], merged: Mapping[str, Any]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, list_name in (
        ("isced_level", "isced_level"),
        ("country", "country"),
        ("recognition_status", "recognition_status"),
    ):
        value = values.get(field)
        if value is not None and not reference.is_valid(session, list_name, value):
            errors[field] = ["Unbekannter Code."]
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
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client_id: uuid.UUID,
    data: Mapping[str, Any],
    reason: str | None = None,
) -> Qualification:
    """Record a qualification and its recognition state; commits."""
    client = records.open_file(session, actor, policy, client_id, reason)
    values = dict(data)
    _raise_if(_check_qualification(session, values, values))
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
    session.commit()
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
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client_id: uuid.UUID,
    reason: str | None = None,
) -> list[Qualification]:
    """All qualifications of a client; one list event; commits."""
    return records.list_records(
        session,
        actor,
        policy,
        client_id,
        _qualifications_query,
        object_type="qualification",
        fields=QUALIFICATION_FIELDS,
        reason=reason,
    )


def update_qualification(
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client_id: uuid.UUID,
    qualification_id: uuid.UUID,
    data: Mapping[str, Any],
    reason: str | None = None,
) -> Qualification:
    """Change a qualification if ``data["version"]`` is current (409 if stale); commits."""
    client = records.open_file(session, actor, policy, client_id, reason)
    qualification = session.get(Qualification, qualification_id)
    if qualification is None or qualification.client_id != client.id:
        raise NotFoundError("Qualifikation nicht gefunden.")
    values = dict(data)
    expected = values.pop("version")
    if qualification.version != expected:
        raise clients.StaleVersionError(
            "Die Qualifikation wurde inzwischen geändert. Laden Sie sie neu.",
            errors={"version": ["Veraltete Version."]},
            extra={"current_version": qualification.version},
        )
    merged = {
        "applied_on": qualification.applied_on,
        "decided_on": qualification.decided_on,
        **values,
    }
    _raise_if(_check_qualification(session, values, merged))
    for name, value in values.items():
        setattr(qualification, name, value)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise clients.StaleVersionError(
            "Die Qualifikation wurde gleichzeitig geändert. Laden Sie sie neu.",
            errors={"version": ["Veraltete Version."]},
        ) from None
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
    session.commit()
    return qualification


@dataclass
class CompetenceProfile:
    """Everything about a client's competences in one read."""

    client_id: uuid.UUID
    latest_profiling: Profiling | None
    assessments: list[CompetenceAssessment]
    qualifications: list[Qualification]


def competence_profile(
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client_id: uuid.UUID,
    reason: str | None = None,
) -> CompetenceProfile:
    """Latest profiling, all assessments and qualifications; ONE audit event; commits."""
    client = records.open_file(session, actor, policy, client_id, reason)
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
    session.commit()
    return CompetenceProfile(client.id, latest, assessments, qualifications)
