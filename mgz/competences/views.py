"""``/api/v1/checklists`` (templates) and the competence records of a client.

Thin views over mgz.competences.service.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from mgz.clients.case_access import case_access
from mgz.competences import checklists, service
from mgz.competences.schemas import (
    AssessmentCreateSchema,
    AssessmentListSchema,
    AssessmentSchema,
    ChecklistCreateSchema,
    ChecklistListSchema,
    ChecklistQuerySchema,
    ChecklistSchema,
    ChecklistUpdateSchema,
    CompetenceProfileSchema,
    QualificationCreateSchema,
    QualificationListSchema,
    QualificationSchema,
    QualificationUpdateSchema,
)
from mgz.core.access import ROLES, roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.db import get_session

checklists_blp = Blueprint(
    "checklists",
    __name__,
    url_prefix="/api/v1/checklists",
    description="Checklisten der Kompetenzerfassung (versionierte Vorlagen)",
)
blp = Blueprint(
    "competences",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>",
    description="Kompetenzerfassung, Qualifikationen und Anerkennung",
)


# --- checklists ---------------------------------------------------------------------------


@checklists_blp.route("")
class Checklists(MethodView):
    """Checklist templates."""

    @roles_required(*ROLES)
    @checklists_blp.arguments(ChecklistQuerySchema, location="query")
    @checklists_blp.response(200, ChecklistListSchema)
    def get(self, params: dict[str, Any]) -> dict[str, Any]:
        """Checklisten (veröffentlichte Versionen; Entwürfe nur für Admins)."""
        items = checklists.list_checklists(get_session(), current_actor(), **params)
        return {"items": items}

    @roles_required("admin")
    @checklists_blp.arguments(ChecklistCreateSchema)
    @checklists_blp.response(201, ChecklistSchema)
    @checklists_blp.alt_response(409, description="Schlüssel bereits vergeben")
    def post(self, data: dict[str, Any]) -> Any:
        """Neue Checkliste als Entwurf (Version 1) anlegen."""
        return checklists.create_checklist(get_session(), current_actor(), data)


@checklists_blp.route("/<uuid:checklist_id>")
class ChecklistDetail(MethodView):
    """One checklist version."""

    @roles_required(*ROLES)
    @checklists_blp.response(200, ChecklistSchema)
    def get(self, checklist_id: uuid.UUID) -> Any:
        """Eine Version einer Checkliste."""
        return checklists.get_checklist(get_session(), current_actor(), checklist_id)

    @roles_required("admin")
    @checklists_blp.arguments(ChecklistUpdateSchema)
    @checklists_blp.response(200, ChecklistSchema)
    @checklists_blp.alt_response(409, description="Veröffentlichte Version ist unveränderlich")
    def patch(self, data: dict[str, Any], checklist_id: uuid.UUID) -> Any:
        """Entwurf ändern (veröffentlichte Versionen: 409)."""
        return checklists.update_checklist(get_session(), current_actor(), checklist_id, data)


@checklists_blp.route("/<uuid:checklist_id>/publish")
class ChecklistPublish(MethodView):
    """Publishing a draft."""

    @roles_required("admin")
    @checklists_blp.response(200, ChecklistSchema)
    @checklists_blp.alt_response(409, description="Bereits veröffentlicht")
    def post(self, checklist_id: uuid.UUID) -> Any:
        """Entwurf veröffentlichen (danach unveränderlich)."""
        return checklists.publish_checklist(get_session(), current_actor(), checklist_id)


@checklists_blp.route("/<uuid:checklist_id>/versions")
class ChecklistVersions(MethodView):
    """Starting the next version."""

    @roles_required("admin")
    @checklists_blp.response(201, ChecklistSchema)
    @checklists_blp.alt_response(409, description="Entwurf bereits vorhanden")
    def post(self, checklist_id: uuid.UUID) -> Any:
        """Nächste Version als Entwurf (Kopie dieser Version) anlegen."""
        return checklists.new_version(get_session(), current_actor(), checklist_id)


# --- client records -----------------------------------------------------------------------


@blp.route("/competence-assessments")
class Assessments(MethodView):
    """Competence assessments of one client."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, AssessmentListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Kompetenzerfassungen einer Akte (älteste zuerst)."""
        items = service.list_assessments(case_access(), client_id)
        return {"items": items}

    @roles_required("adviser", personal_data=True)
    @blp.arguments(AssessmentCreateSchema)
    @blp.response(201, AssessmentSchema)
    def post(self, data: dict[str, Any], client_id: uuid.UUID) -> Any:
        """Kompetenzerfassung zu einer veröffentlichten Checklistenversion erfassen."""
        return service.create_assessment(case_access(), client_id, data)


@blp.route("/competence-assessments/<uuid:assessment_id>")
class AssessmentDetail(MethodView):
    """One competence assessment."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, AssessmentSchema)
    def get(self, client_id: uuid.UUID, assessment_id: uuid.UUID) -> Any:
        """Eine Kompetenzerfassung lesen."""
        return service.get_assessment(case_access(), client_id, assessment_id)


@blp.route("/qualifications")
class Qualifications(MethodView):
    """Qualifications of one client."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, QualificationListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Qualifikationen einer Akte."""
        items = service.list_qualifications(case_access(), client_id)
        return {"items": items}

    @roles_required("adviser", personal_data=True)
    @blp.arguments(QualificationCreateSchema)
    @blp.response(201, QualificationSchema)
    def post(self, data: dict[str, Any], client_id: uuid.UUID) -> Any:
        """Qualifikation mit Stand der Anerkennung erfassen."""
        return service.create_qualification(case_access(), client_id, data)


@blp.route("/qualifications/<uuid:qualification_id>")
class QualificationDetail(MethodView):
    """One qualification."""

    @roles_required("adviser", personal_data=True)
    @blp.arguments(QualificationUpdateSchema)
    @blp.response(200, QualificationSchema)
    @blp.alt_response(409, description="Veraltete Version")
    def patch(self, data: dict[str, Any], client_id: uuid.UUID, qualification_id: uuid.UUID) -> Any:
        """Qualifikation ändern (optimistische Sperre über version)."""
        return service.update_qualification(case_access(), client_id, qualification_id, data)


@blp.route("/competence-profile")
class CompetenceProfile(MethodView):
    """Everything about a client's competences in one read."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, CompetenceProfileSchema)
    def get(self, client_id: uuid.UUID) -> Any:
        """Neuestes Profiling, alle Kompetenzerfassungen und Qualifikationen."""
        return service.competence_profile(case_access(), client_id)
