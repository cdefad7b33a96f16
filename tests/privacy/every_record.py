"""One client file with a record of every type, written in-process over the test client."""

from __future__ import annotations

import uuid
from typing import Any

from tests.clients.conftest import intake
from tests.competences.conftest import CHECKLISTS, answers_for, checklist_items
from tests.competences.test_qualifications_api import qualification
from tests.consultations.test_consultations_api import first_talk
from tests.factories import course_values
from tests.profiling.conftest import profiling_body

API = "/api/v1"
REASON = {"X-Access-Reason-Code": "other", "X-Access-Reason": "Vertretung (Testbegründung)"}


def created(http, path: str, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """POST ``body`` and return the created object (asserts 201)."""
    response = http.post(API + path, json=body, headers=headers or {})
    assert response.status_code == 201, (path, response.get_json())
    return response.get_json()


def publish_checklist(admin) -> dict[str, Any]:
    """A published test checklist, written by the admin."""
    draft = created(
        admin,
        CHECKLISTS.removeprefix(API),
        {"key": f"erase_{uuid.uuid4().hex[:8]}", "title": "Testliste", "items": checklist_items()},
    )
    response = admin.post(f"{CHECKLISTS}/{draft['id']}/publish")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def write_every_record(adviser, other_adviser, admin, checklist=None, **overrides: Any) -> dict:
    """A client with every record type that holds encrypted fields, and a break glass.

    Returns the created client body; the benefit period is closed, so no hold applies.
    """
    checklist = checklist or publish_checklist(admin)
    client = created(adviser, "/clients", intake(**overrides))
    base = f"/clients/{client['id']}"
    course = created(adviser, "/courses", course_values())
    for suffix, body in (
        ("/consultations", first_talk()),
        ("/profilings", profiling_body()),
        ("/qualifications", qualification()),
        (
            "/competence-assessments",
            {
                "checklist_id": checklist["id"],
                "assessed_on": "2024-04-03",
                "answers": answers_for(),
            },
        ),
        (
            "/placements",
            {"placed_on": "2024-06-03", "kind": "SVB", "kldb_code": "52122", "remarks": "Test."},
        ),
        (
            "/benefits",
            {"kind": "SGB_II", "from_on": "2024-04-01", "to_on": "2024-09-30", "remarks": "T."},
        ),
        (
            "/measures",
            {"kind": "WEITERBILDUNG", "starts_on": "2024-05-06", "provider": "Lernwerk Test"},
        ),
        (
            "/course-referrals",
            {"course_id": course["id"], "referred_on": "2024-04-02", "remarks": "Vermerk."},
        ),
        (
            "/consents",
            {
                "purpose": "data_exchange",
                "legal_basis": "consent",
                "given_on": "2024-04-01",
                "consent_form": "oral_witnessed",
                "witness_name": "Zeugin Test",
                "units": ["jobcenter"],
                "scope": "Testumfang.",
            },
        ),
    ):
        created(adviser, base + suffix, body)
    # A break glass: another adviser opens the file with a reason (stored encrypted).
    opened = other_adviser.get(API + base, headers=REASON)
    assert opened.status_code == 200, opened.get_json()
    return client
