"""Profilings through the API on both databases: history, suggestion, validation, audit."""

import pytest
from sqlalchemy import func, select

from mgz.profiling.models import Profiling
from tests.clients.conftest import create
from tests.conftest import events, last_seq
from tests.profiling.conftest import profiling_body, url

COMPLEX_NEEDS = {
    "qualification": "strong",
    "capability": "some",
    "motivation": "some",
    "framework_conditions": "none",
}


def count(db):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Profiling))


def test_create_profiling_returns_content_and_suggestion(adviser, file):
    response = adviser.post(url(file), json=profiling_body())
    assert response.status_code == 201
    body = response.get_json()
    assert body["sequence"] == 1
    assert body["suggested_profile_type"] == "FP"
    assert body["profile_type"] == "FP"
    assert body["profile_type_group"] == "close_to_integration"
    assert body["is_override"] is False
    assert body["override_reason"] is None
    assert body["schooling"] == {
        "years": 9,
        "isced_level": "2",
        "country": "SY",
        "certificate": "Zeugnis",
    }
    assert body["needs"]["qualification"] == "some"
    assert body["german_skills"]["reading"] == {"level": "A1", "is_certified": True}
    assert body["german_skills"]["speaking"] == {"level": "A2", "is_certified": False}
    assert "writing" not in body["german_skills"]
    assert body["work_experience"][1] == {"kldb_code": "5", "years": 1.5}
    assert body["health_remarks"] == "Keine Angaben."
    assert body["adviser_id"] == adviser.user.id


def test_new_profiling_never_overwrites_the_old_one(adviser, file, db):
    first = adviser.post(url(file), json=profiling_body()).get_json()
    second = adviser.post(
        url(file),
        json=profiling_body(
            profiled_on="2024-09-10",
            needs={**COMPLEX_NEEDS},
            profile_type="EP",
            notes="Zweites Profiling.",
        ),
    ).get_json()
    assert second["id"] != first["id"]
    assert second["sequence"] == 2
    assert count(db) == 2
    again = adviser.get(url(file, f"/{first['id']}")).get_json()
    assert again == first
    history = adviser.get(url(file)).get_json()["items"]
    assert [p["id"] for p in history] == [first["id"], second["id"]]
    latest = adviser.get(url(file, "/latest")).get_json()
    assert latest["id"] == second["id"]
    assert latest["profile_type"] == "EP"


def test_latest_is_by_profiling_date(adviser, file):
    newer = adviser.post(url(file), json=profiling_body(profiled_on="2024-08-01")).get_json()
    adviser.post(url(file), json=profiling_body(profiled_on="2024-05-01"))  # entered later
    assert adviser.get(url(file, "/latest")).get_json()["id"] == newer["id"]


def test_latest_without_profiling_is_404(adviser, file):
    assert adviser.get(url(file, "/latest")).status_code == 404


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_profilings_cannot_be_changed_or_deleted(adviser, file, db, method):
    created = adviser.post(url(file), json=profiling_body()).get_json()
    response = getattr(adviser, method)(url(file, f"/{created['id']}"), json={"notes": "x"})
    assert response.status_code == 405
    assert adviser.get(url(file, f"/{created['id']}")).get_json() == created


@pytest.mark.parametrize(
    ("needs", "suggested"),
    [
        ({"qualification": "none", "capability": "none", "motivation": "none",
          "framework_conditions": "none"}, "MP"),
        ({"qualification": "none", "capability": "none", "motivation": "some",
          "framework_conditions": "none"}, "AP"),
        ({"qualification": "none", "capability": "some", "motivation": "none",
          "framework_conditions": "some"}, "FP"),
        (COMPLEX_NEEDS, "EP"),
        ({"qualification": "some", "capability": "strong", "motivation": "none",
          "framework_conditions": "some"}, "SP"),
        ({"qualification": "some", "capability": "none", "motivation": "some",
          "framework_conditions": "strong"}, "UP"),
    ],
)  # fmt: skip
def test_server_suggests_each_profile_type(adviser, file, needs, suggested):
    body = profiling_body(needs=needs, profile_type=suggested)
    response = adviser.post(url(file), json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["suggested_profile_type"] == suggested
    group = "complex" if suggested in ("EP", "SP", "UP") else "close_to_integration"
    assert created["profile_type_group"] == group


def test_override_without_reason_is_422_and_writes_nothing(adviser, file, db):
    before, since = count(db), last_seq(db)
    response = adviser.post(url(file), json=profiling_body(profile_type="SP"))
    assert response.status_code == 422
    body = response.get_json()
    assert "override_reason" in body["errors"]
    assert body["suggested_profile_type"] == "FP"
    short = adviser.post(url(file), json=profiling_body(profile_type="SP", override_reason="zu"))
    assert short.status_code == 422
    assert count(db) == before
    assert events(db, since=since) == []


def test_override_with_reason_keeps_both_types(adviser, file, db):
    since = last_seq(db)
    response = adviser.post(
        url(file),
        json=profiling_body(profile_type="SP", override_reason="Gesundheit wiegt schwerer."),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["suggested_profile_type"], body["profile_type"]) == ("FP", "SP")
    assert body["profile_type_group"] == "complex"
    assert body["is_override"] is True
    assert body["override_reason"] == "Gesundheit wiegt schwerer."
    created = events(db, "profiling.create", since=since)
    assert created[0]["details"]["is_override"] is True
    assert "Gesundheit" not in created[0]["raw"]


def test_named_main_need_steers_the_suggestion(adviser, file):
    needs = {"qualification": "strong", "capability": "strong", "motivation": "some",
             "framework_conditions": "none"}  # fmt: skip
    default = adviser.post(url(file), json=profiling_body(needs=needs, profile_type="SP"))
    assert default.status_code == 201
    assert default.get_json()["main_need"] == "capability"
    named = adviser.post(
        url(file),
        json=profiling_body(needs=needs, main_need="qualification", profile_type="EP"),
    )
    assert named.status_code == 201
    assert named.get_json()["suggested_profile_type"] == "EP"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"schooling": {"isced_level": "9"}}, "schooling.isced_level"),
        ({"schooling": {"country": "QQ"}}, "schooling.country"),
        ({"schooling": {"years": 31}}, "schooling.years"),
        ({"education": [{"kind": "higher", "isced_level": "6"}]}, "education.0.is_completed"),
        (
            {"education": [{"kind": "higher", "isced_level": "6", "is_completed": True,
                            "kldb_code": "26119"}]},
            "education.0.kldb_code",
        ),
        ({"work_experience": [{"kldb_code": "2611x", "years": 1}]}, "work_experience.0.kldb_code"),
        ({"work_experience": [{"kldb_code": "2", "years": -1}]}, "work_experience.0.years"),
        ({"german_skills": {"writing": {"level": "D1"}}}, "german_skills.writing.level"),
        ({"other_languages": [{"language": "xx"}]}, "other_languages.0.language"),
        ({"other_languages": [{"language": "ar"}, {"language": "ar"}]}, "other_languages"),
        ({"driving_licences": ["Z"]}, "driving_licences.0"),
        ({"strengths": ["charm"]}, "strengths.0"),
        ({"needs": {"qualification": "some"}}, "needs.capability"),
        (
            {"needs": {"qualification": "much", "capability": "none", "motivation": "none",
                       "framework_conditions": "none"}},
            "needs.qualification",
        ),
        ({"framework_needs": {"housing": "strong"}}, "needs.framework_conditions"),
        ({"main_need": "qualification"}, "main_need"),
        ({"profile_type": "XP"}, "profile_type"),
        ({"integration_goal": "lottery"}, "integration_goal"),
        ({"profiled_on": "2999-01-01"}, "profiled_on"),
        ({"shoe_size": 42}, "_unknown"),
    ],
)  # fmt: skip
def test_bad_profiling_input_is_422_naming_the_field(adviser, file, db, overrides, field):
    before, since = count(db), last_seq(db)
    response = adviser.post(url(file), json=profiling_body(**overrides))
    assert response.status_code == 422
    assert field in response.get_json()["errors"], response.get_json()
    assert count(db) == before
    assert events(db, since=since) == []


def test_framework_details_are_kept(adviser, file):
    details = {"childcare": "strong", "housing": "some", "mobility": "none"}
    needs = {"qualification": "some", "capability": "none", "motivation": "none",
             "framework_conditions": "strong"}  # fmt: skip
    response = adviser.post(
        url(file), json=profiling_body(needs=needs, framework_needs=details, profile_type="FP")
    )
    assert response.status_code == 201
    assert response.get_json()["framework_needs"] == details


def test_audit_events_name_fields_never_values(adviser, file, db):
    since = last_seq(db)
    created = adviser.post(url(file), json=profiling_body()).get_json()
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["profiling.create", "profiling.read"]
    assert all(e["object_id"] == file["case_number"] for e in logged)
    assert all(e["object_type"] == "profiling" for e in logged)
    assert {"health_remarks", "notes", "needs", "profile_type"} <= set(logged[0]["fields"])
    assert "health_remarks" in logged[1]["fields"]
    assert logged[1]["details"]["profiling_id"] == created["id"].replace("-", "")
    for value in (
        "Keine Angaben",
        "Notiz zum Profiling",
        "Zeugnis",
        "Kurstest",
        "Integrationskurs",
    ):
        assert all(value not in e["raw"] for e in logged)

    for path, action in (
        (url(file), "profiling.list"),
        (url(file, "/latest"), "profiling.read"),
        (url(file, f"/{created['id']}"), "profiling.read"),
    ):
        since = last_seq(db)
        assert adviser.get(path).status_code == 200
        logged = events(db, since=since)
        assert [e["action"] for e in logged] == [action]
        assert "health_remarks" in logged[0]["fields"]


def test_profiling_of_another_client_is_404(adviser, file):
    created = adviser.post(url(file), json=profiling_body()).get_json()
    other = create(adviser, last_name="Zweitakte")
    response = adviser.get(f"/api/v1/clients/{other['id']}/profilings/{created['id']}")
    assert response.status_code == 404


def test_unknown_client_is_404(adviser):
    path = "/api/v1/clients/00000000-0000-4000-8000-000000000000/profilings"
    assert adviser.get(path).status_code == 404


def test_other_adviser_needs_a_reason(adviser, other_adviser, file, db):
    adviser.post(url(file), json=profiling_body())
    assert other_adviser.get(url(file, "/latest")).status_code == 403
    since = last_seq(db)
    response = other_adviser.get(
        url(file, "/latest"),
        headers={"X-Access-Reason-Code": "substitute", "X-Access-Reason": "Vertretung im Urlaub"},
    )
    assert response.status_code == 200
    actions = [e["action"] for e in events(db, since=since)]
    assert actions == ["client.break_glass", "profiling.read"]


@pytest.mark.parametrize("role", ["statistician", "auditor", "admin"])
def test_non_advisers_get_no_profilings(adviser, file, login_as, role):
    created = adviser.post(url(file), json=profiling_body()).get_json()
    other = login_as(role)
    assert other.get(url(file)).status_code == 403
    assert other.get(url(file, "/latest")).status_code == 403
    assert other.get(url(file, f"/{created['id']}")).status_code == 403
    assert other.post(url(file), json=profiling_body()).status_code == 403


def test_anonymous_gets_401(app, file):
    assert app.test_client().get(url(file)).status_code == 401


def test_a_reason_for_a_confirmed_suggestion_is_not_kept(adviser, file, db):
    since = last_seq(db)
    response = adviser.post(url(file), json=profiling_body(override_reason="Nicht nötig hier."))
    assert response.status_code == 201
    assert response.get_json()["override_reason"] is None
    assert "override_reason" not in events(db, "profiling.create", since=since)[0]["fields"]
