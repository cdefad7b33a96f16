"""Legal bases and consents over HTTP; a withdrawal blocks the dependent purpose at once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mgz.privacy.models import Consent
from tests.clients.conftest import create
from tests.conftest import events, last_seq
from tests.courses.conftest import new_course, referrals_url, step

TODAY = date.today().isoformat()
WRITTEN = {
    "purpose": "data_exchange",
    "legal_basis": "consent",
    "given_on": "2024-04-01",
    "consent_form": "written",
    "units": ["course_provider", "immigration_office"],
    "scope": "Weitergabe an Kursträger und Ausländerbehörde (Testumfang).",
}


def consents_url(file: dict[str, Any], suffix: str = "") -> str:
    return f"/api/v1/clients/{file['id']}/consents{suffix}"


def record(http, file, **body: Any) -> dict[str, Any]:
    response = http.post(consents_url(file), json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def withdraw(http, file, consent, on: str = TODAY) -> Any:
    return http.patch(
        consents_url(file, f"/{consent['id']}"),
        json={"version": consent["version"], "withdrawn_on": on},
    )


@pytest.fixture
def file(adviser) -> dict[str, Any]:
    return create(adviser)


def test_a_consent_is_recorded_encrypted_and_every_access_audited(adviser, db, file):
    since = last_seq(db)
    made = record(adviser, file, **WRITTEN)
    assert made["purpose"] == "data_exchange" and made["withdrawn_on"] is None
    assert made["units"] == ["course_provider", "immigration_office"]
    assert made["scope"] == WRITTEN["scope"] and made["recorded_by_id"] == adviser.user.id
    listed = adviser.get(consents_url(file)).get_json()["items"]
    assert [c["id"] for c in listed] == [made["id"]]
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["consent.create", "consent.read", "consent.list"]
    assert all(e["object_id"] == file["case_number"] for e in logged)
    assert logged[1]["fields"] == ["scope", "witness_name"]
    assert WRITTEN["scope"] not in " ".join(e["raw"] for e in logged)
    raw = db.execute(select(Consent.__table__.c.scope)).scalar_one()
    assert WRITTEN["scope"].encode() not in raw


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**WRITTEN, "consent_form": None}, "consent_form"),
        ({**WRITTEN, "consent_form": "oral_witnessed"}, "witness_name"),
        ({**WRITTEN, "legal_basis": "public_task", "consent_form": "written"}, "consent_form"),
        ({**WRITTEN, "units": []}, "units"),
        ({**WRITTEN, "purpose": "counselling"}, "units"),
        ({**WRITTEN, "given_on": (date.today() + timedelta(days=1)).isoformat()}, "given_on"),
        ({**WRITTEN, "purpose": "nonsense", "units": []}, "purpose"),
        ({**WRITTEN, "units": ["nowhere"]}, "units.0"),
    ],
)
def test_bad_input_is_422_per_field_and_writes_nothing(adviser, db, file, body, field):
    response = adviser.post(consents_url(file), json=body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert db.scalar(select(Consent.id)) is None


def test_an_oral_consent_needs_its_witness(adviser, file):
    made = record(
        adviser,
        file,
        purpose="course_referral",
        legal_basis="consent",
        given_on="2024-04-01",
        consent_form="oral_witnessed",
        witness_name="Zeugin Test",
    )
    assert made["witness_name"] == "Zeugin Test"


def test_withdrawal_blocks_a_new_referral_to_a_provider_until_a_new_consent(adviser, db, file):
    course = new_course(adviser)
    body = {"course_id": course["id"], "referred_on": "2024-05-02"}
    consent = record(adviser, file, **WRITTEN)
    assert adviser.post(referrals_url(file), json=body).status_code == 201

    withdrawn = withdraw(adviser, file, consent)
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert withdrawn.get_json()["withdrawn_on"] == TODAY
    since = last_seq(db)
    refused = adviser.post(referrals_url(file), json=body)
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert "widerrufen" in problem["detail"] and "Kursträger" in problem["detail"]
    assert problem["purpose"] == "data_exchange" and problem["unit"] == "course_provider"
    denied = events(db, "consent.required", since=since)
    assert [(e["outcome"], e["details"]) for e in denied] == [
        ("denied", {"purpose": "data_exchange", "unit": "course_provider"})
    ]
    # A planned referral to a course type sends nothing to a provider: still lawful.
    planned = adviser.post(referrals_url(file), json={"course_type": "ALLG"})
    assert planned.status_code == 201, planned.get_json()
    # ... but sending it off (referred) is a transfer to the provider: refused.
    sent = step(adviser, file, planned.get_json(), "referred", TODAY)
    assert sent.status_code == 409

    record(adviser, file, **{**WRITTEN, "given_on": TODAY})
    assert adviser.post(referrals_url(file), json=body).status_code == 201


def test_withdrawn_course_referral_consent_blocks_every_new_referral(adviser, file):
    consent = record(
        adviser,
        file,
        purpose="course_referral",
        legal_basis="consent",
        given_on="2024-04-01",
        consent_form="written",
    )
    assert withdraw(adviser, file, consent, "2024-06-01").status_code == 200
    refused = adviser.post(referrals_url(file), json={"course_type": "ALLG"})
    assert refused.status_code == 409
    assert "Kursvermittlung" in refused.get_json()["detail"]
    # Another legal basis recorded later takes over.
    record(adviser, file, purpose="course_referral", legal_basis="public_task", given_on=TODAY)
    again = adviser.post(referrals_url(file), json={"course_type": "ALLG"})
    assert again.status_code == 201


def test_without_any_record_referrals_rest_on_the_public_task(adviser, file):
    course = new_course(adviser)
    body = {"course_id": course["id"], "referred_on": "2024-05-02"}
    assert adviser.post(referrals_url(file), json=body).status_code == 201


def test_a_consent_for_other_units_leaves_the_provider_default(adviser, file):
    consent = record(adviser, file, **{**WRITTEN, "units": ["immigration_office"]})
    assert withdraw(adviser, file, consent).status_code == 200
    course = new_course(adviser)
    body = {"course_id": course["id"], "referred_on": "2024-05-02"}
    assert adviser.post(referrals_url(file), json=body).status_code == 201


def test_only_a_consent_can_be_withdrawn_and_only_once(adviser, file):
    task = record(adviser, file, purpose="counselling", legal_basis="public_task", given_on=TODAY)
    assert withdraw(adviser, file, task).status_code == 409
    consent = record(adviser, file, **WRITTEN)
    assert withdraw(adviser, file, consent, "2024-03-01").status_code == 422
    assert withdraw(adviser, file, consent).status_code == 200
    again = withdraw(adviser, file, {**consent, "version": consent["version"] + 1})
    assert again.status_code == 409
    assert "bereits" in again.get_json()["detail"]
    stale = withdraw(adviser, file, consent)
    assert stale.status_code == 409


def test_statistics_stay_lawful_whatever_is_recorded(app, db, adviser, file):
    from mgz.privacy.consents import refusal

    consent = record(
        adviser, file, purpose="statistics", legal_basis="consent", given_on="2024-04-01",
        consent_form="written",
    )  # fmt: skip
    assert withdraw(adviser, file, consent).status_code == 200
    import uuid

    client_id = uuid.UUID(file["id"])
    assert refusal(db, client_id, "statistics", None, date.today()) is None
    assert refusal(db, client_id, "data_exchange", "jobcenter", date.today()) is not None
    assert refusal(db, client_id, "counselling", None, date.today()) is None
