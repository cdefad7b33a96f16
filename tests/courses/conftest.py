"""Helpers for KIM tests: courses and referrals over HTTP, row counts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from mgz.courses.models import Course, CourseReferral, ReferralStep
from tests.clients.conftest import create
from tests.factories import course_values

COURSES = "/api/v1/courses"


def referrals_url(file: dict[str, Any], suffix: str = "") -> str:
    """The referrals of a client file (and of one referral with ``suffix``)."""
    return f"/api/v1/clients/{file['id']}/course-referrals{suffix}"


def new_course(http, **overrides: Any) -> dict[str, Any]:
    """POST a course and return it (asserts 201)."""
    response = http.post(COURSES, json=course_values(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def refer(http, file: dict[str, Any], **body: Any) -> dict[str, Any]:
    """POST a referral and return it (asserts 201)."""
    response = http.post(referrals_url(file), json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def step(http, file, referral, status, on, **extra) -> Any:
    """PATCH one step with the referral's current version; returns the response."""
    body = {"version": referral["version"], "status": status, "status_on": on, **extra}
    return http.patch(referrals_url(file, f"/{referral['id']}"), json=body)


def counts(db) -> tuple[int, int, int]:
    """Rows of courses, referrals and steps."""
    db.expire_all()
    return tuple(
        db.scalar(select(func.count()).select_from(model))
        for model in (Course, CourseReferral, ReferralStep)
    )  # type: ignore[return-value]


@pytest.fixture
def file(adviser) -> dict[str, Any]:
    """A client file of the ``adviser`` fixture."""
    return create(adviser)


@pytest.fixture
def course(adviser) -> dict[str, Any]:
    """A county-funded course with 12 places."""
    return new_course(adviser)
