"""Competence assessments: validation against the checklist version, versioning, audit."""

import uuid

import pytest
from sqlalchemy import func, select

from mgz.competences import answers
from mgz.competences.models import CompetenceAssessment
from tests.clients.conftest import create
from tests.competences.conftest import (
    CHECKLISTS,
    answers_for,
    checklist_items,
    client_url,
    make_checklist,
)
from tests.conftest import events, last_seq


def count(db):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(CompetenceAssessment))


def url(file, suffix=""):
    return client_url(file, "competence-assessments" + suffix)


def post(http, file, checklist, answers, **extra):
    body = {"checklist_id": checklist["id"], "assessed_on": "2024-04-03", "answers": answers}
    return http.post(url(file), json={**body, **extra})


def test_record_an_assessment(adviser, file, checklist, db):
    since = last_seq(db)
    response = post(adviser, file, checklist, answers_for(), notes="Gesprächsnotiz.")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["checklist"] == {
        "id": checklist["id"],
        "key": "test_list",
        "version": 1,
        "title": "Testliste",
    }
    assert body["answers"] == answers_for()
    assert body["notes"] == "Gesprächsnotiz."
    assert body["adviser_id"] == adviser.user.id
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == [
        "competence_assessment.create",
        "competence_assessment.read",
    ]
    assert logged[0]["fields"] == ["assessed_on", "answers", "notes"]
    assert logged[0]["details"]["checklist"] == "test_list.v1"
    assert logged[0]["details"]["answered"] == 6
    assert all(e["object_id"] == file["case_number"] for e in logged)
    assert all(
        "Winkelschleifer" not in e["raw"] and "Gesprächsnotiz" not in e["raw"] for e in logged
    )


def test_text_answers_are_stored_apart_from_the_plaintext_answers(
    app,
    adviser,
    file,
    checklist,
    db,
):
    created = post(adviser, file, checklist, answers_for()).get_json()
    db.expire_all()
    with app.app_context():
        stored = db.get(CompetenceAssessment, uuid.UUID(created["id"]))
        assert "tools" not in stored.answers
        assert stored.answers["welding"] == 2
        assert stored.text_answers == {"tools": "Winkelschleifer"}
        assert b"Winkelschleifer" not in stored.text_answers_ciphertext


def test_optional_items_may_be_left_out(adviser, file, checklist):
    answers = {"forklift": False, "welding": 0, "area": "0", "commute": None}
    response = post(adviser, file, checklist, answers)
    assert response.status_code == 201
    assert response.get_json()["answers"] == {"forklift": False, "welding": 0, "area": "0"}


@pytest.mark.parametrize(
    ("answers", "item"),
    [
        # yes_no
        (answers_for(forklift="ja"), "forklift"),
        (answers_for(forklift=1), "forklift"),
        # level_0_3
        (answers_for(welding=4), "welding"),
        (answers_for(welding=-1), "welding"),
        (answers_for(welding=1.5), "welding"),
        (answers_for(welding="2"), "welding"),
        (answers_for(welding=True), "welding"),
        # number with min/max
        (answers_for(commute=121), "commute"),
        (answers_for(commute=-0.5), "commute"),
        (answers_for(commute="45"), "commute"),
        (answers_for(weight=False), "weight"),
        # text
        (answers_for(tools=5), "tools"),
        (answers_for(tools="   "), "tools"),
        (answers_for(tools="x" * 2001), "tools"),
        # code from a code list
        (answers_for(area="X"), "area"),
        (answers_for(area=2), "area"),
        # required item missing or null
        ({k: v for k, v in answers_for().items() if k != "welding"}, "welding"),
        (answers_for(area=None), "area"),
        # item that the checklist does not have
        (answers_for(juggling=3), "_unknown"),
    ],
)
def test_bad_answer_is_422_naming_the_item_and_writes_nothing(
    adviser,
    file,
    checklist,
    db,
    answers,
    item,
):
    before, since = count(db), last_seq(db)
    response = post(adviser, file, checklist, answers)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == [f"answers.{item}"], errors
    assert count(db) == before
    assert events(db, since=since) == []
    assert "Winkelschleifer" not in response.get_data(as_text=True)


def test_every_error_is_reported_at_once(adviser, file, checklist):
    response = post(adviser, file, checklist, {"forklift": "ja", "welding": 7})
    assert set(response.get_json()["errors"]) == {
        "answers.forklift",
        "answers.welding",
        "answers.area",
    }


def test_assessment_against_a_draft_is_422(adviser, admin, file, db):
    draft = make_checklist(admin, key="draft_list", publish=False)
    before = count(db)
    response = post(adviser, file, draft, answers_for())
    assert response.status_code == 422
    assert "checklist_id" in response.get_json()["errors"]
    unknown = post(adviser, file, {"id": "00000000-0000-4000-8000-000000000000"}, answers_for())
    assert unknown.status_code == 422
    assert "checklist_id" in unknown.get_json()["errors"]
    assert count(db) == before


def test_old_assessment_stays_valid_after_a_new_version(
    app,
    adviser,
    admin,
    file,
    checklist,
    db,
):
    old = post(adviser, file, checklist, answers_for()).get_json()
    # v2 drops the text item, makes commute required and narrows its range
    v2 = admin.post(f"{CHECKLISTS}/{checklist['id']}/versions").get_json()
    items = checklist_items()[:5]
    items[3] = {**items[3], "is_required": True, "max_value": 30}
    assert admin.patch(f"{CHECKLISTS}/{v2['id']}", json={"items": items}).status_code == 200
    assert admin.post(f"{CHECKLISTS}/{v2['id']}/publish").status_code == 200

    # the old assessment reads unchanged, tied to version 1, and still validates
    read = adviser.get(url(file, f"/{old['id']}")).get_json()
    assert read == old
    assert read["checklist"]["version"] == 1
    db.expire_all()
    with app.app_context():
        stored = db.get(CompetenceAssessment, uuid.UUID(old["id"]))
        assert answers.revalidate(db, stored) == {}

    # the same answers do not fit version 2 ...
    refused = post(adviser, file, v2, answers_for())
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"answers.commute", "answers._unknown"}
    # ... while version 1 may still be answered
    assert post(adviser, file, checklist, answers_for()).status_code == 201
    listing = adviser.get(url(file)).get_json()["items"]
    assert [a["checklist"]["version"] for a in listing] == [1, 1]


def test_list_and_read_write_one_event_each(adviser, file, checklist, db):
    created = post(adviser, file, checklist, answers_for()).get_json()
    post(adviser, file, checklist, answers_for(welding=3))
    since = last_seq(db)
    listing = adviser.get(url(file))
    assert len(listing.get_json()["items"]) == 2
    logged = events(db, since=since)
    assert [(e["action"], e["details"]["count"]) for e in logged] == [
        ("competence_assessment.list", 2)
    ]
    assert logged[0]["fields"] == ["assessed_on", "answers", "notes"]
    since = last_seq(db)
    assert adviser.get(url(file, f"/{created['id']}")).status_code == 200
    assert [e["action"] for e in events(db, since=since)] == ["competence_assessment.read"]


def test_assessment_of_another_client_is_404(adviser, file, checklist):
    created = post(adviser, file, checklist, answers_for()).get_json()
    other = create(adviser, last_name="Zweitakte")
    path = client_url(other, f"competence-assessments/{created['id']}")
    assert adviser.get(path).status_code == 404


def test_other_adviser_needs_a_reason(adviser, other_adviser, file, checklist):
    post(adviser, file, checklist, answers_for())
    assert other_adviser.get(url(file)).status_code == 403
    assert post(other_adviser, file, checklist, answers_for()).status_code == 403
    reason = {"X-Access-Reason-Code": "substitute", "X-Access-Reason": "Vertretung im Urlaub"}
    assert other_adviser.get(url(file), headers=reason).status_code == 200


@pytest.mark.parametrize("role", ["statistician", "auditor", "admin"])
def test_non_advisers_get_no_assessments(adviser, file, checklist, login_as, role):
    created = post(adviser, file, checklist, answers_for()).get_json()
    other = login_as(role)
    assert other.get(url(file)).status_code == 403
    assert other.get(url(file, f"/{created['id']}")).status_code == 403
    assert post(other, file, checklist, answers_for()).status_code == 403


@pytest.mark.parametrize("key", ["Frau Beispiel", "beispiel_frau"])
def test_an_unknown_answer_key_is_never_echoed(adviser, file, checklist, key):
    response = post(adviser, file, checklist, answers_for(**{key: 1}))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["answers._unknown"]
    assert "eispiel" not in response.get_data(as_text=True)
