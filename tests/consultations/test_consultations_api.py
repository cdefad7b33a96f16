"""Consultations through the API on both databases."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mgz.consultations.models import Consultation
from tests.clients.conftest import create
from tests.conftest import events, last_seq


def first_talk(**overrides):
    body = {
        "kind": "first",
        "held_on": "2024-03-20",
        "channel": "in_person",
        "duration_minutes": 60,
        "language": "ar",
        "interpreter_used": True,
        "topics": ["language", "work", "housing"],
        "referrals_out": ["mbe", "job_centre"],
        "next_steps": "Anmeldung Integrationskurs.",
        "notes": "Vertrauliche Notiz.",
    }
    body.update(overrides)
    return body


@pytest.fixture
def file(adviser):
    return create(adviser)


def url(file, suffix=""):
    return f"/api/v1/clients/{file['id']}/consultations{suffix}"


def count(db):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Consultation))


def test_record_first_consultation(adviser, file, db):
    since = last_seq(db)
    response = adviser.post(url(file), json=first_talk())
    assert response.status_code == 201
    body = response.get_json()
    assert body["kind"] == "first"
    assert body["adviser_id"] == adviser.user.id
    assert body["topics"] == ["language", "work", "housing"]
    assert body["notes"] == "Vertrauliche Notiz."
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["consultation.create", "consultation.read"]
    assert logged[0]["object_id"] == file["case_number"]
    assert "notes" in logged[0]["fields"]
    assert all("Vertrauliche" not in e["raw"] for e in logged)


def test_second_first_consultation_is_409(adviser, file, db):
    assert adviser.post(url(file), json=first_talk()).status_code == 201
    before = count(db)
    response = adviser.post(url(file), json=first_talk(held_on="2024-04-01"))
    assert response.status_code == 409
    assert "kind" in response.get_json()["errors"]
    assert count(db) == before


def test_follow_ups_are_unlimited_and_listed_oldest_first(adviser, file, db):
    adviser.post(url(file), json=first_talk())
    for day in ("2024-05-02", "2024-04-10"):
        response = adviser.post(url(file), json=first_talk(kind="follow_up", held_on=day))
        assert response.status_code == 201
    since = last_seq(db)
    listing = adviser.get(url(file)).get_json()["items"]
    assert [c["held_on"] for c in listing] == ["2024-03-20", "2024-04-10", "2024-05-02"]
    logged = events(db, since=since)
    assert [(e["action"], e["details"]["count"]) for e in logged] == [("consultation.list", 3)]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"held_on": (date.today() + timedelta(days=1)).isoformat()}, "held_on"),
        ({"held_on": "2023-01-01"}, "held_on"),
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"topics": ["astrology"]}, "topics.0"),
        ({"topics": ["work", "work"]}, "topics"),
        ({"referrals_out": ["nowhere"]}, "referrals_out.0"),
        ({"language": "zz"}, "language"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"kind": "second"}, "kind"),
        ({"mood": "good"}, "_unknown"),
    ],
)
def test_bad_consultation_input_is_422_and_writes_nothing(adviser, file, db, overrides, field):
    before = count(db)
    response = adviser.post(url(file), json=first_talk(**overrides))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert count(db) == before


def test_consultation_within_margin_before_move_in_is_accepted(adviser, file):
    # moved in 2024-03-15, margin 90 days by default
    response = adviser.post(url(file), json=first_talk(held_on="2024-01-05"))
    assert response.status_code == 201


def test_patch_consultation_with_version(adviser, file, db):
    created = adviser.post(url(file), json=first_talk()).get_json()
    path = url(file, f"/{created['id']}")
    changed = adviser.patch(path, json={"version": 1, "notes": "Neu."})
    assert changed.status_code == 200
    assert changed.get_json()["version"] == 2
    stale = adviser.patch(path, json={"version": 1, "notes": "Alt."})
    assert stale.status_code == 409
    assert adviser.get(path).get_json()["notes"] == "Neu."


def test_kind_cannot_be_changed(adviser, file):
    created = adviser.post(url(file), json=first_talk()).get_json()
    response = adviser.patch(
        url(file, f"/{created['id']}"), json={"version": 1, "kind": "follow_up"}
    )
    assert response.status_code == 422
    assert "_unknown" in response.get_json()["errors"]  # kind is not a field of PATCH


def test_consultation_of_another_client_is_404(adviser, file):
    created = adviser.post(url(file), json=first_talk()).get_json()
    other = create(adviser, last_name="Zweitakte")
    response = adviser.get(f"/api/v1/clients/{other['id']}/consultations/{created['id']}")
    assert response.status_code == 404


def test_other_adviser_needs_a_reason_for_consultations(adviser, other_adviser, file):
    adviser.post(url(file), json=first_talk())
    assert other_adviser.get(url(file)).status_code == 403
    response = other_adviser.get(
        url(file),
        headers={"X-Access-Reason-Code": "substitute", "X-Access-Reason": "Vertretung im Urlaub"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["statistician", "auditor", "admin"])
def test_non_advisers_get_no_consultations(adviser, file, login_as, role):
    other = login_as(role)
    assert other.get(url(file)).status_code == 403
    assert other.post(url(file), json=first_talk()).status_code == 403


def test_an_adviser_id_beyond_the_column_is_422(adviser, file):
    response = adviser.post(url(file), json=first_talk(adviser_id=2**40))
    assert response.status_code == 422
    assert "adviser_id" in response.get_json()["errors"]
