"""``/api/v1/courses`` and ``/api/v1/clients/{id}/course-referrals``: thin views."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from mgz.clients.case_access import case_access
from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.db import get_session
from mgz.courses import catalogue, referrals
from mgz.courses.schemas import (
    CourseCreateSchema,
    CourseListSchema,
    CourseQuerySchema,
    CourseSchema,
    CourseUpdate,
    CourseUpdateSchema,
    CourseValues,
    ReferralCreate,
    ReferralCreateSchema,
    ReferralListSchema,
    ReferralSchema,
    ReferralUpdate,
    ReferralUpdateSchema,
)

blp = Blueprint(
    "courses",
    __name__,
    url_prefix="/api/v1/courses",
    description="Kurskatalog (KIM)",
)
referrals_blp = Blueprint(
    "course_referrals",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>/course-referrals",
    description="Kursvermittlungen einer Akte (KIM)",
)


@blp.route("")
class Courses(MethodView):
    """The course catalogue."""

    @roles_required("admin", "adviser", "statistician")
    @blp.arguments(CourseQuerySchema, location="query")
    @blp.response(200, CourseListSchema)
    def get(self, filters: dict[str, str]) -> dict[str, Any]:
        """Kurse nach Beginn, mit belegten Plätzen und Warteliste."""
        return {"items": catalogue.list_courses(get_session(), filters)}

    @roles_required("admin", "adviser")
    @blp.arguments(CourseCreateSchema)
    @blp.response(201, CourseSchema)
    def post(self, data: CourseValues) -> Any:
        """Kurs anlegen."""
        return catalogue.create_course(get_session(), current_actor(), data)


@blp.route("/<uuid:course_id>")
class CourseDetail(MethodView):
    """One course."""

    @roles_required("admin", "adviser", "statistician")
    @blp.response(200, CourseSchema)
    def get(self, course_id: uuid.UUID) -> Any:
        """Kurs lesen."""
        return catalogue.get_course(get_session(), course_id)

    @roles_required("admin", "adviser")
    @blp.arguments(CourseUpdateSchema)
    @blp.response(200, CourseSchema)
    @blp.alt_response(409, description="Veraltete Version")
    def patch(self, data: CourseUpdate, course_id: uuid.UUID) -> Any:
        """Kurs ändern (optimistische Sperre über version; mehr Plätze rücken Wartende nach)."""
        return catalogue.update_course(get_session(), current_actor(), course_id, data)


@referrals_blp.route("")
class Referrals(MethodView):
    """Course referrals of one client."""

    @roles_required("adviser", personal_data=True)
    @referrals_blp.response(200, ReferralListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Kursvermittlungen einer Akte (älteste zuerst), mit ihren Schritten."""
        return {"items": referrals.list_referrals(case_access(), client_id)}

    @roles_required("adviser", personal_data=True)
    @referrals_blp.arguments(ReferralCreateSchema)
    @referrals_blp.response(201, ReferralSchema)
    def post(self, data: ReferralCreate, client_id: uuid.UUID) -> Any:
        """In einen Kurs oder eine Kursart vermitteln (voller Kurs: Warteliste)."""
        return referrals.create_referral(case_access(), client_id, data)


@referrals_blp.route("/<uuid:referral_id>")
class ReferralDetail(MethodView):
    """One course referral."""

    @roles_required("adviser", personal_data=True)
    @referrals_blp.response(200, ReferralSchema)
    def get(self, client_id: uuid.UUID, referral_id: uuid.UUID) -> Any:
        """Kursvermittlung lesen, mit allen Schritten."""
        return referrals.get_referral(case_access(), client_id, referral_id)

    @roles_required("adviser", personal_data=True)
    @referrals_blp.arguments(ReferralUpdateSchema)
    @referrals_blp.response(200, ReferralSchema)
    @referrals_blp.alt_response(
        409, description="Veraltete Version, unerlaubter Schritt oder Warteliste"
    )
    def patch(self, data: ReferralUpdate, client_id: uuid.UUID, referral_id: uuid.UUID) -> Any:
        """Schritt (status, status_on) oder Angaben ändern (optimistische Sperre über version)."""
        return referrals.update_referral(case_access(), client_id, referral_id, data)
