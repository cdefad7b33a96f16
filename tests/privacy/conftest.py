"""A fully populated client file, written over HTTP, with canary values in every free text.

Every record kind the API writes: the file, a first consultation, a profiling, a
qualification, a competence assessment, a course referral (with its steps), a
placement, a benefit period, a measure, a consent, a break glass by a colleague,
and a legal hold (placed as the CLI does). Each free
text carries the file's canary, so a report can be searched for another file's
values.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from mgz.core.actor import Actor
from mgz.privacy.holds import place_hold
from tests import factories
from tests.clients.conftest import intake
from tests.competences.conftest import answers_for, make_checklist
from tests.competences.test_qualifications_api import qualification
from tests.consultations.test_consultations_api import first_talk
from tests.profiling.conftest import profiling_body

API = "/api/v1"
REASON = {"X-Access-Reason-Code": "substitute"}


def report_url(client_id: str, suffix: str = ".json") -> str:
    """The access report of ``client_id`` (``.json``, ``.html`` or ``""``)."""
    return f"{API}/clients/{client_id}/subject-access-report{suffix}"


def _post(http: Any, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    response = http.post(API + path, json=body, headers=headers or {})
    assert response.status_code == 201, (path, response.get_json())
    return response.get_json()


def populate(
    http: Any, colleague: Any, checklist: dict[str, Any], course_id: str, canary: str, **names: Any
) -> dict[str, Any]:
    """A client file of ``http``'s adviser with every record kind; ``canary`` in every text.

    ``colleague`` opens it once by break glass with the canary in the reason text.
    """
    client = _post(
        http,
        "/clients",
        intake(
            first_name=names.get("first_name", f"Vorname{canary}"),
            last_name=f"Nachname{canary}",
            birth_place=f"Ort{canary}",
            address=f"Weg {canary}",
            phone="+49 541 123456",
            email=f"{canary.lower()}@example.org",
            notes=f"Notiz {canary}",
        ),
    )
    base = f"/clients/{client['id']}"
    text = f"Text {canary}"
    profiling = profiling_body(
        german_certificate=f"Zertifikat {canary}",
        health_remarks=f"Gesundheit {canary}",
        next_steps=text,
        notes=text,
    )
    profiling["schooling"]["certificate"] = f"Zeugnis {canary}"
    bodies = [
        ("/consultations", first_talk(next_steps=text, notes=f"Gespräch {canary}")),
        ("/profilings", profiling),
        (
            "/qualifications",
            qualification(title=f"Titel {canary}", competent_body=f"Stelle {canary}", notes=text),
        ),
        (
            "/competence-assessments",
            {
                "checklist_id": checklist["id"],
                "assessed_on": "2024-04-03",
                "answers": answers_for(tools=f"Werkzeug {canary}"),
                "notes": f"Einschätzung {canary}",
            },
        ),
        (
            "/placements",
            {
                "placed_on": "2024-06-03",
                "kind": "SVB",
                "kldb_code": "52122",
                "remarks": f"Stelle {canary}",
            },
        ),
        ("/benefits", {"kind": "SGB_II", "from_on": "2024-04-01", "remarks": f"Bezug {canary}"}),
        (
            "/measures",
            {
                "kind": "WEITERBILDUNG",
                "starts_on": "2024-05-06",
                "provider": f"Träger {canary}",
                "remarks": f"Maßnahme {canary}",
            },
        ),
        (
            "/course-referrals",
            {"course_id": course_id, "referred_on": "2024-04-02", "remarks": f"Kurs {canary}"},
        ),
    ]
    bodies += [
        (
            "/consents",
            {
                "purpose": "data_exchange",
                "legal_basis": "consent",
                "given_on": "2024-04-01",
                "consent_form": "oral_witnessed",
                "units": ["course_provider"],
                "scope": f"Umfang {canary}",
                "witness_name": f"Zeugin {canary}",
            },
        ),
    ]
    for suffix, body in bodies:
        _post(http, base + suffix, body)
    opened = colleague.get(
        API + base,
        headers={**REASON, "X-Access-Reason": f"Vertretung {canary}"},
    )
    assert opened.status_code == 200, opened.get_json()
    return client


def hold(db: Any, client: dict[str, Any]) -> None:
    """A legal hold on ``client``'s file (placed as the CLI does)."""
    place_hold(
        db,
        Actor.system("privacy hold"),
        client["case_number"],
        "legal_proceedings",
        None,
        date.today(),
    )
    db.flush()


@pytest.fixture
def admin(app, db):
    """A client signed in as a new admin."""
    return factories.signed_in_client(app, db, factories.make_user(db, roles=("admin",)))


@pytest.fixture
def populated(app, db, adviser, other_adviser, admin):
    """Two fully populated files: ``adviser``'s (``mine``) and ``other_adviser``'s (``theirs``)."""
    checklist = make_checklist(admin, key=f"sar_{uuid.uuid4().hex[:8]}")
    course = factories.make_course(db)
    mine = f"Kanarie{uuid.uuid4().hex[:10]}"
    theirs = f"Fremdwert{uuid.uuid4().hex[:10]}"
    made = {
        "mine": populate(adviser, other_adviser, checklist, str(course.id), mine),
        "mine_canary": mine,
        "theirs": populate(other_adviser, adviser, checklist, str(course.id), theirs),
        "theirs_canary": theirs,
    }
    with app.app_context():
        hold(db, made["mine"])
        hold(db, made["theirs"])
    return made
