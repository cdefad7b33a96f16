"""Course referrals of a client: the workflow with every step kept, and the places.

Access follows the client file's policy (``CaseAccess``). Every response with the
referral's remarks writes a read event naming them; every change writes its own
event; a referral that moves up from a waiting list writes one in its own file; all
in the caller's unit of work (flush, never commit). A refused step writes nothing
(409 for a transition the workflow does not allow, 422 for a bad date or field),
except a referral refused for want of a legal basis (409 from the consent gate,
``mgz.core.purposes``), whose refusal is logged and kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients import records
from mgz.clients.access import CaseAccess
from mgz.clients.models import Client
from mgz.core.actor import Actor
from mgz.core.classification import DataClass, fields_of
from mgz.core.clock import today
from mgz.core.errors import ConflictError, InvalidInputError, NotFoundError
from mgz.core.purposes import require_purpose
from mgz.core.versions import check_version
from mgz.courses import places
from mgz.courses.models import Course, CourseReferral, ReferralStep
from mgz.courses.schemas import ReferralCreate, ReferralUpdate
from mgz.courses.workflow import (
    COMPLETED,
    DROPPED,
    FREEING_STATUSES,
    PLACE_STATUSES,
    PLANNED,
    REFERRED,
    REGISTERED,
    STARTED,
    allowed_next,
)
from mgz.crypto.types import decrypt_fields
from mgz.reference import service as reference

# Field names for the audit log, from the columns' classification.
PERSONAL_FIELDS = fields_of(CourseReferral, DataClass.IDENTIFYING)
_FLAGS = (
    ("childcare_solved", "childcare_needed", "Nur wenn Kinderbetreuung benötigt wird."),
    ("mobility_solved", "mobility_barrier", "Nur wenn ein Mobilitätshindernis besteht."),
)


class InvalidTransitionError(ConflictError):
    """The workflow does not allow this step from the referral's status."""

    slug = "invalid-transition"
    title = "Schritt nicht erlaubt"


class WaitingListError(ConflictError):
    """A waitlisted referral has no place yet: it cannot be registered."""

    slug = "waiting-list"
    title = "Auf der Warteliste"


def _invalid(errors: Mapping[str, list[str]]) -> InvalidInputError:
    return InvalidInputError("Eingabe ungültig.", errors=errors)


def _check_values(
    session: Session, values: Mapping[str, Any], current: CourseReferral | None
) -> dict[str, list[str]]:
    """Codes and the flags that depend on each other, on the values after the change."""
    codes = reference.CodeErrors(session)
    codes.check("entitlement", "course_entitlement", values.get("entitlement"))
    codes.check("dtz_result", "dtz_result", values.get("dtz_result"))
    codes.check("drop_reason", "drop_reason", values.get("drop_reason"))
    codes.check("course_type", "course_type", values.get("course_type"))
    errors = dict(codes.errors)

    def after(name: str) -> Any:
        if name in values:
            return values[name]
        return getattr(current, name) if current is not None else None

    if after("entitlement_notice_on") is not None and after("entitlement") is None:
        errors["entitlement_notice_on"] = ["Nur mit einer Teilnahmegrundlage (entitlement)."]
    for solved, needed, message in _FLAGS:
        if after(solved) and not after(needed):
            errors[solved] = [message]
    for name in ("childcare_needed", "childcare_solved", "mobility_barrier", "mobility_solved"):
        if name in values and values[name] is None:
            errors[name] = ["Darf nicht leer sein."]
    return errors


def _course(
    session: Session, course_id: uuid.UUID, on: date, errors: dict[str, list[str]]
) -> Course | None:
    """The course a referral names, locked; unknown or ended courses are field errors."""
    course = places.lock_course(session, course_id)
    if course is None:
        errors["course_id"] = ["Kurs nicht gefunden."]
    elif course.ends_on is not None and course.ends_on < on:
        errors["course_id"] = ["Der Kurs ist bereits beendet."]
    return course


def _step(referral: CourseReferral, status: str, on: date, actor: Actor) -> None:
    referral.status = status
    referral.status_on = on
    referral.steps.append(
        ReferralStep(
            client_id=referral.client_id,
            status=status,
            status_on=on,
            course_id=referral.course_id,
            course_type=referral.course_type,
            recorded_by_id=actor.user_id,
        )
    )


def _require_lawful(session: Session, actor: Actor, client: Client, to_provider: bool) -> None:
    """409 unless the referral's purpose has a legal basis now (``mgz.privacy.consents``).

    A referral sent off (``referred``) passes the client's data to the course
    provider: that is a data exchange with the provider, too (a ``planned`` one
    sends nothing yet, see mgz.courses.workflow).
    """
    require_purpose(session, actor, client.id, "course_referral")
    if to_provider:
        require_purpose(session, actor, client.id, "data_exchange", "course_provider")


def _event(
    session: Session,
    actor: Actor,
    action: str,
    client: Client,
    referral: CourseReferral,
    fields: list[str],
    **details: str | int | bool,
) -> None:
    if action.endswith(".read"):
        decrypt_fields(referral)  # a damaged field fails before the read is logged
    record(
        session,
        actor,
        action,
        object_type="course_referral",
        object_id=client.case_number,
        fields=fields,
        details={"referral_id": referral.id.hex, "status": referral.status, **details},
    )


def create_referral(case: CaseAccess, client_id: uuid.UUID, data: ReferralCreate) -> CourseReferral:
    """Refer a client to a course or a course type: ``referred`` with a date, else ``planned``.

    A referral to a full course goes on its waiting list (the course is locked while
    its places are counted, so concurrent referrals cannot overbook it).
    """
    session, actor = case.session, case.actor
    client = case.open(client_id)
    values: dict[str, Any] = dict(data)
    errors = _check_values(session, values, None)
    referred_on = values.get("referred_on")
    course = None
    if values.get("course_id") is not None:
        course = _course(session, values["course_id"], referred_on or today(), errors)
        if course is not None and values.get("course_type") not in (None, course.course_type):
            errors["course_type"] = ["Passt nicht zur Kursart des Kurses."]
    if errors:
        raise _invalid(errors)
    _require_lawful(session, actor, client, referred_on is not None)
    values["course_type"] = course.course_type if course is not None else values["course_type"]
    planned_on = values.pop("planned_on", None)
    referral = CourseReferral(id=uuid.uuid4(), client_id=client.id, adviser_id=actor.user_id)
    for name, value in values.items():
        setattr(referral, name, value)
    if referred_on is None or planned_on is not None:
        _step(referral, PLANNED, planned_on or today(), actor)
    status = PLANNED
    if referred_on is not None:
        status = REFERRED
        _step(referral, REFERRED, referred_on, actor)
    if course is not None and status in PLACE_STATUSES:
        places.take_place(session, course, referral)
    session.add(referral)
    session.flush()
    places.waiting_positions(session, [referral])
    _event(
        session, actor, "course_referral.create", client, referral, sorted(data),
        waitlisted=referral.waitlisted,
    )  # fmt: skip
    _event(session, actor, "course_referral.read", client, referral, list(PERSONAL_FIELDS))
    return referral


def list_referrals(case: CaseAccess, client_id: uuid.UUID) -> list[CourseReferral]:
    """All referrals of a client, oldest first; one list event."""
    items = records.list_records(
        case,
        client_id,
        lambda client: (
            select(CourseReferral)
            .where(CourseReferral.client_id == client.id)
            .order_by(CourseReferral.created_at, CourseReferral.id)
        ),
        object_type="course_referral",
        fields=PERSONAL_FIELDS,
    )
    places.waiting_positions(case.session, items)
    return items


def _load(session: Session, client: Client, referral_id: uuid.UUID) -> CourseReferral:
    referral = session.get(CourseReferral, referral_id)
    if referral is None or referral.client_id != client.id:
        raise NotFoundError("Kursvermittlung nicht gefunden.")
    return referral


def get_referral(case: CaseAccess, client_id: uuid.UUID, referral_id: uuid.UUID) -> CourseReferral:
    """One referral with its history; writes a read event."""
    client = case.open(client_id)
    referral = _load(case.session, client, referral_id)
    places.waiting_positions(case.session, [referral])
    _event(
        case.session, case.actor, "course_referral.read", client, referral, list(PERSONAL_FIELDS)
    )
    return referral


def _check_step(
    referral: CourseReferral, values: dict[str, Any], errors: dict[str, list[str]]
) -> str | None:
    """The step asked for (refused with 409 if the workflow forbids it), and its fields."""
    status = values.get("status")
    target = status or referral.status
    if status is not None:
        if status not in allowed_next(referral.status):
            raise InvalidTransitionError(
                "Dieser Schritt ist im Ablauf der Kursvermittlung nicht erlaubt.",
                errors={"status": [f"Von {referral.status} nach {status} nicht erlaubt."]},
                extra={"allowed": list(allowed_next(referral.status))},
            )
        if status == REGISTERED and referral.waitlisted:
            raise WaitingListError(
                "Die Vermittlung steht auf der Warteliste; es ist noch kein Platz frei.",
                errors={"status": ["Noch kein Platz im Kurs."]},
            )
        if values["status_on"] < referral.status_on:
            errors["status_on"] = ["Liegt vor dem Datum des letzten Schritts."]
    for name in ("dtz_result", "lid_passed"):
        if name in values and target != COMPLETED:
            errors[name] = ["Nur bei abgeschlossenem Kurs (completed)."]
    if "drop_reason" in values and target != DROPPED:
        errors["drop_reason"] = ["Nur bei Abbruch (dropped)."]
    if status == DROPPED and values.get("drop_reason") is None:
        errors["drop_reason"] = ["Pflichtfeld bei Abbruch (dropped)."]
    return status


def update_referral(
    case: CaseAccess, client_id: uuid.UUID, referral_id: uuid.UUID, data: ReferralUpdate
) -> CourseReferral:
    """Take a step (``status``, ``status_on``) and/or change fields, if the version is current.

    A step that gives a place back (dropped, no_show, cancelled) moves the first
    referral of the course's waiting list up.
    """
    session, actor = case.session, case.actor
    client = case.open(client_id)
    referral = _load(session, client, referral_id)
    values: dict[str, Any] = dict(data)
    expected = values.pop("version")
    check_version(
        referral, expected, "Die Vermittlung wurde inzwischen geändert. Laden Sie sie neu."
    )
    errors: dict[str, list[str]] = {}
    status = _check_step(referral, values, errors)
    status_on = values.pop("status_on", None)
    values.pop("status", None)
    errors.update(_check_values(session, values, referral))
    course = None
    course_changes = "course_id" in values and values["course_id"] != referral.course_id
    if course_changes:
        if not (
            referral.status == PLANNED
            or (referral.status == REFERRED and referral.course_id is None)
        ):
            errors["course_id"] = ["Den Kurs nur ändern, solange kein Platz vergeben ist."]
        elif values["course_id"] is None and referral.status != PLANNED:
            errors["course_id"] = ["Eine vermittelte Kursvermittlung braucht ihren Kurs."]
        elif values["course_id"] is not None:
            course = _course(session, values["course_id"], status_on or today(), errors)
    elif referral.course_id is not None and status is not None:
        course = places.lock_course(session, referral.course_id)
        if (
            status == REFERRED
            and course is not None
            and course.ends_on is not None
            and course.ends_on < status_on
        ):
            errors["course_id"] = ["Der Kurs ist bereits beendet."]
    if errors:
        raise _invalid(errors)
    sends = course_changes and values["course_id"] is not None and referral.status == REFERRED
    if status == REFERRED or sends:
        _require_lawful(session, actor, client, True)

    held_place = referral.status in PLACE_STATUSES and referral.course_id is not None
    changed = sorted([*values, *(["status", "status_on"] if status else [])])
    previous = referral.status
    for name, value in values.items():
        setattr(referral, name, value)
    if course_changes:
        referral.course_type = course.course_type if course is not None else referral.course_type
    if status is not None:
        if status == REFERRED:
            referral.referred_on = status_on
        if status == STARTED:
            referral.started_on = status_on
            start = referral.referred_on or status_on
            referral.waiting_days = (status_on - start).days
        if status in FREEING_STATUSES:
            referral.waitlisted = False
        _step(referral, status, status_on, actor)
    moved: list[CourseReferral] = []
    if course is not None and referral.status in PLACE_STATUSES and not held_place:
        places.take_place(session, course, referral)
    session.flush()  # a concurrent change: StaleDataError, answered 409 (mgz.core.versions)
    if course is not None and status in FREEING_STATUSES:
        moved = places.fill_from_waiting_list(session, course)
    places.waiting_positions(session, [referral])
    _event(
        session, actor, "course_referral.update", client, referral, changed,
        previous=previous, waitlisted=referral.waitlisted,
    )  # fmt: skip
    places.log_moved_up(session, actor, moved)
    _event(session, actor, "course_referral.read", client, referral, list(PERSONAL_FIELDS))
    return referral
