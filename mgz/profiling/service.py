"""Profilings of a client: append-only history, codes checked, profile type suggested.

A new profiling never changes an earlier one; ``latest`` is the newest by date (then
by the order recorded). Access follows the client file's policy. Every response with
profiling content writes one read event naming the fields; a create writes its own
event too; all in the caller's unit of work (services flush, never commit).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients import records
from mgz.clients.access import CaseAccess
from mgz.clients.models import Client
from mgz.core.actor import Actor
from mgz.core.errors import ConflictError, InvalidInputError, NotFoundError
from mgz.crypto.types import decrypt_fields
from mgz.profiling.models import Profiling
from mgz.profiling.rules import KEY_FACTORS, MAIN_NEED_TYPES, RATINGS, suggest_profile_type
from mgz.profiling.schemas import ProfilingCreate
from mgz.reference import service as reference

# Every content field a profiling response carries (the audit events name these).
CONTENT_FIELDS = (
    "profiled_on",
    "schooling",
    "education",
    "work_experience",
    "german_skills",
    "german_certificate",
    "other_languages",
    "is_literate_latin",
    "driving_licences",
    "strengths",
    "needs",
    "framework_needs",
    "main_need",
    "health_remarks",
    "suggested_profile_type",
    "profile_type",
    "override_reason",
    "integration_goal",
    "next_steps",
    "notes",
)
MIN_REASON_LENGTH = 10
MAIN_NEED_OF = {kind: factor for factor, kind in MAIN_NEED_TYPES.items()}


class ConcurrentProfilingError(ConflictError):
    """Another profiling of the same client was recorded at the same moment."""

    slug = "concurrent-profiling"
    title = "Gleichzeitige Erfassung"


def is_valid_kldb_code(session: Session, code: str) -> bool:
    """Whether a 1- to 5-digit KldB 2010 code fits the shipped levels.

    Only level 1 (Berufsbereich) and the requirement level (5th digit) are shipped
    as code lists, so deeper levels are checked for form, not for existence.
    """
    if not code.isdigit() or not 1 <= len(code) <= 5:
        return False
    if not reference.is_valid(session, "kldb_area", code[0]):
        return False
    return len(code) < 5 or reference.is_valid(session, "kldb_requirement_level", code[4])


def _check(session: Session, values: Mapping[str, Any]) -> dict[str, list[str]]:
    codes = reference.CodeErrors(session)
    errors = codes.errors
    code = codes.check

    def kldb(path: str, value: str | None) -> None:
        if value is not None and not is_valid_kldb_code(session, value):
            errors.setdefault(path, []).append("Unbekannter KldB-2010-Code.")

    schooling = values.get("schooling") or {}
    code("schooling.isced_level", "isced_level", schooling.get("isced_level"))
    code("schooling.country", "country", schooling.get("country"))
    for index, item in enumerate(values.get("education") or []):
        code(f"education.{index}.isced_level", "isced_level", item.get("isced_level"))
        code(f"education.{index}.country", "country", item.get("country"))
        kldb(f"education.{index}.kldb_code", item.get("kldb_code"))
    for index, item in enumerate(values.get("work_experience") or []):
        kldb(f"work_experience.{index}.kldb_code", item.get("kldb_code"))
    for skill, item in (values.get("german_skills") or {}).items():
        if item is not None:
            code(f"german_skills.{skill}.level", "cefr_level", item.get("level"))
    for index, item in enumerate(values.get("other_languages") or []):
        code(f"other_languages.{index}.language", "language", item.get("language"))
        code(f"other_languages.{index}.level", "cefr_level", item.get("level"))
    codes.check_each("strengths", "competence_class", values.get("strengths"))
    code("profile_type", "profile_type", values.get("profile_type"))
    code("integration_goal", "integration_goal", values.get("integration_goal"))

    needs = values["needs"]
    details = [r for r in (values.get("framework_needs") or {}).values() if r is not None]
    if details and RATINGS.index(needs["framework_conditions"]) < max(map(RATINGS.index, details)):
        errors.setdefault("needs.framework_conditions", []).append(
            "Niedriger bewertet als eine einzelne Rahmenbedingung."
        )
    main_need = values.get("main_need")
    if main_need is not None and needs.get(main_need) != "strong":
        errors.setdefault("main_need", []).append(
            "Als Haupthandlungsbedarf nur eine stark bewertete Schlüsselgröße."
        )
    return errors


def _event(
    session: Session, actor: Actor, action: str, client: Client, profiling: Profiling
) -> None:
    if action.endswith(".read"):
        decrypt_fields(profiling)  # a damaged field fails before the read is logged
    record(
        session,
        actor,
        action,
        object_type="profiling",
        object_id=client.case_number,
        fields=list(CONTENT_FIELDS),
        details={"profiling_id": profiling.id.hex, "sequence": profiling.sequence},
    )


def create_profiling(case: CaseAccess, client_id: uuid.UUID, data: ProfilingCreate) -> Profiling:
    """Record a new profiling; earlier ones stay untouched.

    The profile type is suggested from the needs; a confirmed type that differs
    needs ``override_reason`` (422 otherwise, nothing written). Writes
    ``profiling.create`` and ``profiling.read`` (the response shows the profiling).
    """
    session, actor = case.session, case.actor
    client = case.open(client_id)
    values = dict(data)
    errors = _check(session, values)
    needs = values["needs"]
    suggested = suggest_profile_type(needs, values.get("main_need"))
    override_reason = (values.get("override_reason") or "").strip() or None
    if values["profile_type"] != suggested and (
        override_reason is None or len(override_reason) < MIN_REASON_LENGTH
    ):
        errors.setdefault("override_reason", []).append(
            f"Die Profillage weicht vom Vorschlag ab: Begründung erforderlich "
            f"(mindestens {MIN_REASON_LENGTH} Zeichen)."
        )
    if errors:
        raise InvalidInputError(
            "Eingabe ungültig.", errors=errors, extra={"suggested_profile_type": suggested}
        )
    if values["profile_type"] == suggested:
        # A confirmed suggestion needs no reason; a stray one is not kept.
        override_reason = None
    values["override_reason"] = override_reason

    schooling = values.get("schooling") or {}
    sequence = (
        session.scalar(select(func.max(Profiling.sequence)).where(Profiling.client_id == client.id))
        or 0
    ) + 1
    profiling = Profiling(
        id=uuid.uuid4(),
        client_id=client.id,
        sequence=sequence,
        profiled_on=values["profiled_on"],
        adviser_id=actor.user_id,
        schooling_years=schooling.get("years"),
        schooling_isced_level=schooling.get("isced_level"),
        schooling_country=schooling.get("country"),
        schooling_certificate=schooling.get("certificate"),
        education=values.get("education") or [],
        work_experience=values.get("work_experience") or [],
        german_skills={k: v for k, v in (values.get("german_skills") or {}).items() if v},
        german_certificate=values.get("german_certificate"),
        other_languages=values.get("other_languages") or [],
        is_literate_latin=values.get("is_literate_latin"),
        driving_licences=values.get("driving_licences") or [],
        strengths=values.get("strengths") or [],
        framework_needs=values.get("framework_needs") or {},
        # The main need actually used for a complex suggestion, else what was named.
        main_need=MAIN_NEED_OF.get(suggested, values.get("main_need")),
        health_remarks=values.get("health_remarks"),
        suggested_profile_type=suggested,
        profile_type=values["profile_type"],
        profile_type_group=reference.group_of(session, "profile_type", values["profile_type"]),
        override_reason=override_reason,
        integration_goal=values["integration_goal"],
        next_steps=values.get("next_steps"),
        notes=values.get("notes"),
        **{f"need_{factor}": needs[factor] for factor in KEY_FACTORS},
    )
    try:
        with session.begin_nested():
            session.add(profiling)
    except IntegrityError:
        raise ConcurrentProfilingError(
            "Gleichzeitig wurde ein anderes Profiling erfasst. Bitte erneut senden."
        ) from None
    record(
        session,
        actor,
        "profiling.create",
        object_type="profiling",
        object_id=client.case_number,
        fields=sorted(name for name in CONTENT_FIELDS if values.get(name) not in (None, [], {})),
        details={
            "profiling_id": profiling.id.hex,
            "sequence": sequence,
            "is_override": profiling.profile_type != suggested,
        },
    )
    _event(session, actor, "profiling.read", client, profiling)
    return profiling


def _ordered(client: Client) -> Any:
    return (
        select(Profiling)
        .where(Profiling.client_id == client.id)
        .order_by(Profiling.profiled_on, Profiling.sequence)
    )


def list_profilings(case: CaseAccess, client_id: uuid.UUID) -> list[Profiling]:
    """Every profiling of a client, oldest first; one ``profiling.list`` event."""
    return records.list_records(
        case, client_id, _ordered, object_type="profiling", fields=CONTENT_FIELDS
    )


def latest_of(session: Session, client: Client) -> Profiling | None:
    """The newest profiling of a client (by date, then as recorded), without audit.

    For callers that write their own read event (the competence profile).
    """
    return session.scalars(
        select(Profiling)
        .where(Profiling.client_id == client.id)
        .order_by(Profiling.profiled_on.desc(), Profiling.sequence.desc())
        .limit(1)
    ).first()


def latest_profiling(case: CaseAccess, client_id: uuid.UUID) -> Profiling:
    """The newest profiling (404 if none); writes ``profiling.read``.

    A break-glass opening stays recorded with the 404 (``CaseAccess.open`` keeps it).
    """
    client = case.open(client_id)
    profiling = latest_of(case.session, client)
    if profiling is None:
        raise NotFoundError("Für diese Akte gibt es noch kein Profiling.")
    _event(case.session, case.actor, "profiling.read", client, profiling)
    return profiling


def get_profiling(case: CaseAccess, client_id: uuid.UUID, profiling_id: uuid.UUID) -> Profiling:
    """One profiling of the client (404 otherwise); writes ``profiling.read``."""
    client = case.open(client_id)
    profiling = case.session.get(Profiling, profiling_id)
    if profiling is None or profiling.client_id != client.id:
        raise NotFoundError("Profiling nicht gefunden.")
    _event(case.session, case.actor, "profiling.read", client, profiling)
    return profiling
