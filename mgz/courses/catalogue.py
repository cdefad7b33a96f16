"""The course catalogue: courses of every offer, written by admins and advisers.

A course is no personal data; its changes are logged (``course.create``,
``course.update``) because referrals and the county's figures depend on them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.core.actor import Actor
from mgz.core.errors import InvalidInputError, NotFoundError
from mgz.core.versions import check_version
from mgz.courses import places
from mgz.courses.models import Course
from mgz.courses.schemas import CourseUpdate, CourseValues
from mgz.reference import service as reference

_REQUIRED = ("course_type", "funding", "provider", "municipality", "starts_on", "schedule")


def _check(session: Session, values: Mapping[str, Any]) -> dict[str, list[str]]:
    codes = reference.CodeErrors(session)
    codes.check("course_type", "course_type", values.get("course_type"))
    codes.check("funding", "funding", values.get("funding"))
    codes.check("schedule", "course_schedule", values.get("schedule"))
    codes.check("target_level", "cefr_level", values.get("target_level"))
    municipality = values.get("municipality")
    if municipality == "unknown":
        codes.errors["municipality"] = ["Ein Kurs findet in einer Gemeinde des Landkreises statt."]
    else:
        codes.check("municipality", "municipality", municipality)
    errors = dict(codes.errors)
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = ["Liegt vor dem Kursbeginn."]
    for name in _REQUIRED:
        if name in values and values[name] is None:
            errors[name] = ["Darf nicht leer sein."]
    return errors


def _details(course: Course) -> dict[str, str | int | bool]:
    return {
        "course_type": course.course_type,
        "funding": course.funding,
        "municipality": course.municipality,
        "capacity": course.capacity,
    }


def create_course(session: Session, actor: Actor, data: CourseValues) -> Course:
    """Add a course to the catalogue; writes ``course.create``."""
    values: dict[str, Any] = dict(data)
    errors = _check(session, values)
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
    course = Course(id=uuid.uuid4(), **values)
    session.add(course)
    session.flush()
    record(
        session,
        actor,
        "course.create",
        object_type="course",
        object_id=course.id.hex,
        fields=sorted(values),
        details=_details(course),
    )
    places.count_places(session, [course])
    return course


def list_courses(session: Session, filters: Mapping[str, str]) -> list[Course]:
    """Courses by start date, filtered by type, funding and municipality if given."""
    query = select(Course).order_by(Course.starts_on, Course.provider, Course.id)
    for name in ("course_type", "funding", "municipality"):
        if filters.get(name):
            query = query.where(getattr(Course, name) == filters[name])
    courses = list(session.scalars(query))
    places.count_places(session, courses)
    return courses


def load_course(session: Session, course_id: uuid.UUID) -> Course:
    """The course or 404."""
    course = session.get(Course, course_id)
    if course is None:
        raise NotFoundError("Kurs nicht gefunden.")
    return course


def get_course(session: Session, course_id: uuid.UUID) -> Course:
    """One course with its places taken and waiting list."""
    course = load_course(session, course_id)
    places.count_places(session, [course])
    return course


def update_course(
    session: Session, actor: Actor, course_id: uuid.UUID, data: CourseUpdate
) -> Course:
    """Change a course if ``data["version"]`` is current; writes ``course.update``.

    A larger capacity moves referrals up from the waiting list (each logged in its
    client's file); a capacity below the places taken is refused.
    """
    values: dict[str, Any] = dict(data)
    expected = values.pop("version")
    course = places.lock_course(session, course_id)
    if course is None:
        raise NotFoundError("Kurs nicht gefunden.")
    check_version(course, expected, "Der Kurs wurde inzwischen geändert. Laden Sie ihn neu.")
    merged = {
        "starts_on": course.starts_on,
        "ends_on": course.ends_on,
        **values,
    }
    errors = _check(session, {**values, **{k: merged[k] for k in ("starts_on", "ends_on")}})
    if "capacity" in values and values["capacity"] is not None:
        places.count_places(session, [course])
        if values["capacity"] < course.places_taken:
            errors["capacity"] = ["Kleiner als die schon vergebenen Plätze."]
    if "capacity" in values and values["capacity"] is None:
        errors["capacity"] = ["Darf nicht leer sein."]
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
    for name, value in values.items():
        setattr(course, name, value)
    session.flush()  # a concurrent change: StaleDataError, answered 409 (mgz.core.versions)
    moved = places.fill_from_waiting_list(session, course)
    record(
        session,
        actor,
        "course.update",
        object_type="course",
        object_id=course.id.hex,
        fields=sorted(values),
        details={**_details(course), "moved_up": len(moved)},
    )
    places.log_moved_up(session, actor, moved)
    places.count_places(session, [course])
    return course
