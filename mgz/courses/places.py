"""Course places and waiting lists: no course is ever overbooked.

Who holds a place is :mod:`mgz.courses.workflow`'s rule. Every decision about a
place first locks the course's row (``SELECT ... FOR UPDATE``), so concurrent
referrals to one course on PostgreSQL queue behind each other, and each counts the
places after the previous one committed (READ COMMITTED gives every statement a
fresh snapshot). SQLite takes its write lock at BEGIN (``BEGIN IMMEDIATE``, see
``mgz.core.db``), which serialises the same way. The waiting list is ordered by
referral date (then by when the referral was recorded); a freed place goes to its
first entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients.models import Client
from mgz.core.actor import Actor
from mgz.courses.models import Course, CourseReferral
from mgz.courses.workflow import PLACE_STATUSES

_HOLDING = CourseReferral.status.in_(PLACE_STATUSES)


def lock_course(session: Session, course_id: uuid.UUID) -> Course | None:
    """The course, its row locked until the unit of work ends (None if unknown)."""
    return session.scalars(
        select(Course)
        .where(Course.id == course_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def _taken(session: Session, course_id: uuid.UUID, without: uuid.UUID | None = None) -> int:
    query = select(func.count()).where(
        CourseReferral.course_id == course_id, _HOLDING, CourseReferral.waitlisted.is_(False)
    )
    if without is not None:
        query = query.where(CourseReferral.id != without)
    return session.scalar(query) or 0


def take_place(session: Session, course: Course, referral: CourseReferral) -> None:
    """Give ``referral`` a place of ``course`` (locked by the caller) or a waiting-list entry."""
    referral.waitlisted = _taken(session, course.id, without=referral.id) >= course.capacity


def fill_from_waiting_list(session: Session, course: Course) -> list[CourseReferral]:
    """Move referrals up from the waiting list while ``course`` (locked) has free places.

    The caller flushed the change that freed a place; returns the referrals moved up
    (their clients' files changed: the caller logs that).
    """
    free = course.capacity - _taken(session, course.id)
    if free <= 0:
        return []
    moved = list(
        session.scalars(
            select(CourseReferral)
            .where(
                CourseReferral.course_id == course.id,
                _HOLDING,
                CourseReferral.waitlisted.is_(True),
            )
            .order_by(CourseReferral.referred_on, CourseReferral.created_at, CourseReferral.id)
            .limit(free)
        )
    )
    for referral in moved:
        referral.waitlisted = False
    session.flush()
    return moved


def log_moved_up(session: Session, actor: Actor, moved: Iterable[CourseReferral]) -> None:
    """One ``course_referral.move_up`` event in each file whose referral got a place.

    Another client's referral changed because of this request; its file's log says so
    (no personal field was shown or written, so ``fields`` stays empty).
    """
    for referral in moved:
        case_number = session.scalar(
            select(Client.case_number).where(Client.id == referral.client_id)
        )
        record(
            session,
            actor,
            "course_referral.move_up",
            object_type="course_referral",
            object_id=case_number,
            details={"referral_id": referral.id.hex, "course_id": referral.course_id.hex},
        )


def count_places(session: Session, courses: Iterable[Course]) -> None:
    """Set ``places_taken`` and ``waiting_list`` of each course (one grouped query)."""
    by_id = {course.id: course for course in courses}
    if not by_id:
        return
    rows = session.execute(
        select(CourseReferral.course_id, CourseReferral.waitlisted, func.count())
        .where(CourseReferral.course_id.in_(by_id), _HOLDING)
        .group_by(CourseReferral.course_id, CourseReferral.waitlisted)
    )
    for course in by_id.values():
        course.places_taken = 0
        course.waiting_list = 0
    for course_id, waitlisted, count in rows:
        if waitlisted:
            by_id[course_id].waiting_list = count
        else:
            by_id[course_id].places_taken = count


def waiting_positions(session: Session, referrals: Iterable[CourseReferral]) -> None:
    """Set ``waiting_list_position`` (1 = next to move up) of each waitlisted referral."""
    for referral in referrals:
        referral.waiting_list_position = None
        if not referral.waitlisted or referral.course_id is None:
            continue
        ahead = session.scalar(
            select(func.count()).where(
                CourseReferral.course_id == referral.course_id,
                _HOLDING,
                CourseReferral.waitlisted.is_(True),
                CourseReferral.id != referral.id,
                _before(referral),
            )
        )
        referral.waiting_list_position = (ahead or 0) + 1


def _before(referral: CourseReferral) -> object:
    """Referrals ahead of ``referral`` in the waiting list's order."""
    return (CourseReferral.referred_on < referral.referred_on) | and_(
        CourseReferral.referred_on == referral.referred_on,
        (CourseReferral.created_at < referral.created_at)
        | and_(
            CourseReferral.created_at == referral.created_at,
            CourseReferral.id < referral.id,
        ),
    )
