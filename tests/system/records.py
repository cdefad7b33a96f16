"""One client file with a record of every kind, written over HTTP (synthetic values)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.clients.conftest import intake
from tests.competences.conftest import CHECKLISTS, answers_for, checklist_items
from tests.competences.test_qualifications_api import qualification
from tests.consultations.test_consultations_api import first_talk
from tests.factories import course_values
from tests.profiling.conftest import profiling_body
from tests.system.server import MgzServer

API = "/api/v1"


def created(server: MgzServer, path: str, token: str, body: Any) -> dict[str, Any]:
    """POST ``body`` and return the created object (asserts 201)."""
    reply = server.request("POST", API + path, body=body, token=token)
    assert reply.status == 201, (path, reply.status, reply.body[:300])
    return reply.json()


def publish_checklist(server: MgzServer, admin_token: str) -> dict[str, Any]:
    """A published test checklist (the admin writes it over the API)."""
    draft = created(
        server,
        CHECKLISTS.removeprefix(API),
        admin_token,
        {"key": f"system_{uuid.uuid4().hex[:8]}", "title": "Testliste", "items": checklist_items()},
    )
    reply = server.request("POST", f"{CHECKLISTS}/{draft['id']}/publish", token=admin_token)
    assert reply.status == 200, reply.body[:300]
    return reply.json()


def write_file(server: MgzServer, tokens: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A client with a consultation, profiling, qualification, assessment, course referral,
    placement, benefit period, measure and consent.

    Returns what the server answered for each, keyed by record kind, with the path
    that reads it back.
    """
    adviser = tokens["adviser"]
    checklist = publish_checklist(server, tokens["admin"])
    client = created(server, "/clients", adviser, intake())
    base = f"/clients/{client['id']}"
    records = {"client": (base, client)}
    course = created(server, "/courses", adviser, course_values())
    for kind, suffix, body in (
        ("consultation", "/consultations", first_talk()),
        ("profiling", "/profilings", profiling_body()),
        ("qualification", "/qualifications", qualification()),
        (
            "assessment",
            "/competence-assessments",
            {
                "checklist_id": checklist["id"],
                "assessed_on": "2024-04-03",
                "answers": answers_for(),
            },
        ),
        (
            "placement",
            "/placements",
            {"placed_on": "2024-06-03", "kind": "SVB", "kldb_code": "52122", "remarks": "Test."},
        ),
        ("benefit", "/benefits", {"kind": "SGB_II", "from_on": "2024-04-01", "remarks": "Test."}),
        (
            "measure",
            "/measures",
            {"kind": "WEITERBILDUNG", "starts_on": "2024-05-06", "provider": "Lernwerk Test"},
        ),
        (
            "course_referral",
            "/course-referrals",
            {"course_id": course["id"], "referred_on": "2024-04-02", "remarks": "Vermerk."},
        ),
        (
            "consent",
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
        record = created(server, base + suffix, adviser, body)
        # Qualifications and consents are read in their list only.
        listed = kind in ("qualification", "consent")
        path = base + suffix if listed else f"{base}{suffix}/{record['id']}"
        records[kind] = (path, record)
    return {kind: {"path": API + path, "body": body} for kind, (path, body) in records.items()}


def read_back(server: MgzServer, record: dict[str, Any], token: str) -> tuple[int, Any]:
    """GET a record written by :func:`write_file`: status and the record's body."""
    reply = server.request("GET", record["path"], token=token)
    if reply.status != 200:
        return reply.status, reply.body[:200]
    body = reply.json()
    if "items" in body:
        body = next(item for item in body["items"] if item["id"] == record["body"]["id"])
    return 200, body
