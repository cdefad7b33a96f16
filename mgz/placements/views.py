"""``/api/v1/clients/{id}/placements|benefits|measures`` and the follow-ups due: thin views."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask.views import MethodView

from mgz.clients.access import access_policy
from mgz.clients.case_access import case_access
from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.db import get_session
from mgz.placements import service
from mgz.placements.schemas import (
    BenefitCreate,
    BenefitCreateSchema,
    BenefitListSchema,
    BenefitSchema,
    BenefitUpdate,
    BenefitUpdateSchema,
    FollowUpsDueQuery,
    FollowUpsDueQuerySchema,
    FollowUpsDueSchema,
    MeasureCreate,
    MeasureCreateSchema,
    MeasureListSchema,
    MeasureSchema,
    MeasureUpdate,
    MeasureUpdateSchema,
    PlacementCreate,
    PlacementCreateSchema,
    PlacementListSchema,
    PlacementSchema,
    PlacementUpdate,
    PlacementUpdateSchema,
)

blp = Blueprint(
    "placements",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>/placements",
    description="Vermittlungen in Arbeit und Ausbildung mit Nachfrage nach sechs Monaten",
)
follow_ups_blp = Blueprint(
    "follow_ups",
    __name__,
    url_prefix="/api/v1/placements",
    description="Fällige Nachfragen zu Vermittlungen",
)
benefits_blp = Blueprint(
    "benefits",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>/benefits",
    description="Bezogene Leistungen (Zeiträume)",
)
measures_blp = Blueprint(
    "measures",
    __name__,
    url_prefix="/api/v1/clients/<uuid:client_id>/measures",
    description="Begonnene Maßnahmen",
)


def _margin_days() -> int:
    # The same margin as for consultations: people are placed shortly before they register.
    return current_app.config["CONSULTATION_MOVE_IN_MARGIN_DAYS"]


@blp.route("")
class Placements(MethodView):
    """Placements of one client."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, PlacementListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Vermittlungen einer Akte (älteste zuerst)."""
        return {"items": service.list_placements(case_access(), client_id)}

    @roles_required("adviser", personal_data=True)
    @blp.arguments(PlacementCreateSchema)
    @blp.response(201, PlacementSchema)
    def post(self, data: PlacementCreate, client_id: uuid.UUID) -> Any:
        """Vermittlung erfassen (Status und SGB-II-Bezug: Stand der Akte, falls nicht angegeben)."""
        return service.create_placement(case_access(), client_id, data, margin_days=_margin_days())


@blp.route("/<uuid:placement_id>")
class PlacementDetail(MethodView):
    """One placement."""

    @roles_required("adviser", personal_data=True)
    @blp.response(200, PlacementSchema)
    def get(self, client_id: uuid.UUID, placement_id: uuid.UUID) -> Any:
        """Vermittlung lesen."""
        return service.get_placement(case_access(), client_id, placement_id)

    @roles_required("adviser", personal_data=True)
    @blp.arguments(PlacementUpdateSchema)
    @blp.response(200, PlacementSchema)
    @blp.alt_response(409, description="Veraltete Version")
    def patch(self, data: PlacementUpdate, client_id: uuid.UUID, placement_id: uuid.UUID) -> Any:
        """Vermittlung ändern oder die Nachfrage nach sechs Monaten erfassen."""
        return service.update_placement(
            case_access(), client_id, placement_id, data, margin_days=_margin_days()
        )


@follow_ups_blp.route("/follow-ups-due")
class FollowUpsDue(MethodView):
    """Follow-ups due in the adviser's files."""

    @roles_required("adviser")
    @follow_ups_blp.arguments(FollowUpsDueQuerySchema, location="query")
    @follow_ups_blp.response(200, FollowUpsDueSchema)
    def get(self, query: FollowUpsDueQuery) -> dict[str, Any]:
        """Fällige Nachfragen nach sechs Monaten, nach Fälligkeit (eigene Akten; bei Team alle)."""
        items = service.follow_ups_due(
            get_session(), current_actor(), access_policy(current_app.config), query.get("until")
        )
        return {"items": items}


@benefits_blp.route("")
class Benefits(MethodView):
    """Benefit periods of one client."""

    @roles_required("adviser", personal_data=True)
    @benefits_blp.response(200, BenefitListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Leistungszeiträume einer Akte (älteste zuerst)."""
        return {"items": service.list_benefits(case_access(), client_id)}

    @roles_required("adviser", personal_data=True)
    @benefits_blp.arguments(BenefitCreateSchema)
    @benefits_blp.response(201, BenefitSchema)
    def post(self, data: BenefitCreate, client_id: uuid.UUID) -> Any:
        """Leistungszeitraum erfassen (Zeiträume derselben Leistung überschneiden sich nicht)."""
        return service.create_benefit(case_access(), client_id, data)


@benefits_blp.route("/<uuid:benefit_id>")
class BenefitDetail(MethodView):
    """One benefit period."""

    @roles_required("adviser", personal_data=True)
    @benefits_blp.response(200, BenefitSchema)
    def get(self, client_id: uuid.UUID, benefit_id: uuid.UUID) -> Any:
        """Leistungszeitraum lesen."""
        return service.get_benefit(case_access(), client_id, benefit_id)

    @roles_required("adviser", personal_data=True)
    @benefits_blp.arguments(BenefitUpdateSchema)
    @benefits_blp.response(200, BenefitSchema)
    @benefits_blp.alt_response(409, description="Veraltete Version")
    def patch(self, data: BenefitUpdate, client_id: uuid.UUID, benefit_id: uuid.UUID) -> Any:
        """Leistungszeitraum ändern (z. B. beenden)."""
        return service.update_benefit(case_access(), client_id, benefit_id, data)


@measures_blp.route("")
class Measures(MethodView):
    """Measures of one client."""

    @roles_required("adviser", personal_data=True)
    @measures_blp.response(200, MeasureListSchema)
    def get(self, client_id: uuid.UUID) -> dict[str, Any]:
        """Maßnahmen einer Akte (älteste zuerst)."""
        return {"items": service.list_measures(case_access(), client_id)}

    @roles_required("adviser", personal_data=True)
    @measures_blp.arguments(MeasureCreateSchema)
    @measures_blp.response(201, MeasureSchema)
    def post(self, data: MeasureCreate, client_id: uuid.UUID) -> Any:
        """Maßnahme erfassen."""
        return service.create_measure(case_access(), client_id, data)


@measures_blp.route("/<uuid:measure_id>")
class MeasureDetail(MethodView):
    """One measure."""

    @roles_required("adviser", personal_data=True)
    @measures_blp.response(200, MeasureSchema)
    def get(self, client_id: uuid.UUID, measure_id: uuid.UUID) -> Any:
        """Maßnahme lesen."""
        return service.get_measure(case_access(), client_id, measure_id)

    @roles_required("adviser", personal_data=True)
    @measures_blp.arguments(MeasureUpdateSchema)
    @measures_blp.response(200, MeasureSchema)
    @measures_blp.alt_response(409, description="Veraltete Version")
    def patch(self, data: MeasureUpdate, client_id: uuid.UUID, measure_id: uuid.UUID) -> Any:
        """Maßnahme ändern (Ende, Ergebnis)."""
        return service.update_measure(case_access(), client_id, measure_id, data)
