"""Qualifications and their recognition (goal 46) through the API on both databases."""

import pytest
from sqlalchemy import func, select

from mgz.competences.models import Qualification
from tests.clients.conftest import create
from tests.competences.conftest import client_url
from tests.conftest import events, last_seq


def qualification(**overrides):
    body = {
        "kind": "academic",
        "kldb_code": "26314",
        "isced_level": "6",
        "country": "SY",
        "year": 2012,
        "documents_available": "partly",
        "recognition_status": "applied",
        "counselling_referred_on": "2024-04-05",
        "applied_on": "2024-05-10",
        "title": "Bachelor Elektrotechnik",
        "competent_body": "Ingenieurkammer Niedersachsen",
        "notes": "Übersetzung fehlt noch.",
    }
    body.update(overrides)
    return body


def url(file, suffix=""):
    return client_url(file, "qualifications" + suffix)


def count(db):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Qualification))


def test_record_a_qualification(adviser, file, db):
    since = last_seq(db)
    response = adviser.post(url(file), json=qualification())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == 1
    assert body["recognition_status"] == "applied"
    assert body["counselling_referred_on"] == "2024-04-05"
    assert body["competent_body"] == "Ingenieurkammer Niedersachsen"
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["qualification.create", "qualification.read"]
    assert "competent_body" in logged[0]["fields"]
    assert "title" in logged[1]["fields"]
    for value in ("Elektrotechnik", "Ingenieurkammer", "Übersetzung"):
        assert all(value not in e["raw"] for e in logged)


def test_recognition_status_defaults_to_not_applied(adviser, file):
    response = adviser.post(url(file), json={"kind": "school", "documents_available": "no"})
    assert response.status_code == 201
    assert response.get_json()["recognition_status"] == "not_applied"


def test_patch_with_version_and_stale_version(adviser, file, db):
    created = adviser.post(url(file), json=qualification()).get_json()
    path = url(file, f"/{created['id']}")
    since = last_seq(db)
    changed = adviser.patch(
        path,
        json={"version": 1, "recognition_status": "partly_equivalent", "decided_on": "2024-08-01"},
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["version"] == 2
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["qualification.update", "qualification.read"]
    assert logged[0]["fields"] == ["decided_on", "recognition_status"]
    stale = adviser.patch(path, json={"version": 1, "recognition_status": "not_equivalent"})
    assert stale.status_code == 409
    listing = adviser.get(url(file)).get_json()["items"]
    assert [q["recognition_status"] for q in listing] == ["partly_equivalent"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "military"}, "kind"),
        ({"recognition_status": "maybe"}, "recognition_status"),
        ({"kldb_code": "99999"}, "kldb_code"),
        ({"kldb_code": "abc"}, "kldb_code"),
        ({"isced_level": "10"}, "isced_level"),
        ({"country": "QQ"}, "country"),
        ({"documents_available": "lost"}, "documents_available"),
        ({"decided_on": "2024-01-01"}, "decided_on"),
        ({"applied_on": "2999-01-01"}, "applied_on"),
        ({"year": 1800}, "year"),
    ],
)
def test_bad_qualification_input_is_422_and_writes_nothing(adviser, file, db, overrides, field):
    before = count(db)
    response = adviser.post(url(file), json=qualification(**overrides))
    assert response.status_code == 422
    assert field in response.get_json()["errors"], response.get_json()
    assert count(db) == before


def test_patch_refuses_bad_codes_and_empty_required_fields(adviser, file):
    created = adviser.post(url(file), json=qualification()).get_json()
    path = url(file, f"/{created['id']}")
    bad = adviser.patch(path, json={"version": 1, "recognition_status": "maybe"})
    assert bad.status_code == 422
    empty = adviser.patch(path, json={"version": 1, "documents_available": None})
    assert empty.status_code == 422
    assert adviser.get(url(file)).get_json()["items"][0]["version"] == 1


def test_qualification_of_another_client_is_404(adviser, file):
    created = adviser.post(url(file), json=qualification()).get_json()
    other = create(adviser, last_name="Zweitakte")
    path = client_url(other, f"qualifications/{created['id']}")
    assert adviser.patch(path, json={"version": 1, "year": 2013}).status_code == 404


def test_other_adviser_needs_a_reason(adviser, other_adviser, file):
    adviser.post(url(file), json=qualification())
    assert other_adviser.get(url(file)).status_code == 403
    reason = {"X-Access-Reason-Code": "substitute", "X-Access-Reason": "Vertretung im Urlaub"}
    assert other_adviser.get(url(file), headers=reason).status_code == 200


@pytest.mark.parametrize("role", ["statistician", "auditor", "admin"])
def test_non_advisers_get_no_qualifications(adviser, file, login_as, role):
    created = adviser.post(url(file), json=qualification()).get_json()
    other = login_as(role)
    assert other.get(url(file)).status_code == 403
    assert other.post(url(file), json=qualification()).status_code == 403
    path = url(file, f"/{created['id']}")
    assert other.patch(path, json={"version": 1, "year": 2013}).status_code == 403
