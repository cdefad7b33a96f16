"""Client files through the API on both databases."""

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mgz.clients.models import BreakGlassAccess, Client
from mgz.core.clock import today
from tests.clients.conftest import create, intake
from tests.conftest import events, last_seq

CASE_NUMBER = re.compile(r"^MGZ-\d{4}-\d{6}$")


def count_clients(db):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Client))


# --- intake -----------------------------------------------------------------------------


def test_create_returns_file_with_case_number_and_derived_statistics(adviser, db):
    body = create(adviser)
    assert CASE_NUMBER.match(body["case_number"])
    assert body["case_number"].startswith(f"MGZ-{today().year}-")
    assert body["version"] == 1
    assert body["last_name"] == "Beispielfrau"
    assert body["birth_date"] == "1990-04-12"
    assert body["birth_year"] == 1990
    assert body["citizenship_group"] == "third_country"
    assert body["residence_status_group"] == "protection_recognised"
    assert body["is_protection_seeker"] is True
    assert body["adviser_ids"] == [adviser.user.id]


@pytest.mark.parametrize(
    ("nationality", "group"),
    [
        (["SY"], "third_country"),
        (["PL"], "eu"),
        (["SY", "RO"], "eu"),
        (["NO"], "eu"),
        (["CH"], "eu"),
        (["XX"], "stateless"),
        ([], "unknown"),
        (["ZZ"], "unknown"),
    ],
)
def test_citizenship_group_is_derived_from_nationality(adviser, nationality, group):
    assert create(adviser, nationality=nationality)["citizenship_group"] == group


def test_protection_seeker_flag_follows_residence_status(adviser):
    assert create(adviser, residence_status="GESTATTUNG")["is_protection_seeker"] is True
    body = create(adviser, last_name="Andere", residence_status="BLUE_CARD_18G")
    assert body["is_protection_seeker"] is False
    assert body["residence_status_group"] == "other_third_country"


def test_create_writes_create_and_read_events_with_field_names_only(adviser, db):
    since = last_seq(db)
    body = create(adviser)
    written = events(db, since=since)
    assert [e["action"] for e in written] == ["client.create", "client.read"]
    created, read = written
    assert created["object_id"] == body["case_number"]
    assert {"first_name", "last_name", "birth_date", "notes"} <= set(created["fields"])
    assert "last_name" in read["fields"]
    assert created["actor_user_id"] == adviser.user.id
    for event in written:
        for value in ("Beispielfrau", "Testa", "1990-04-12", "Musterweg", "Erste Notiz"):
            assert value not in event["raw"]


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"birth_date": (date.today() + timedelta(days=2)).isoformat()}, "birth_date"),
        ({"birth_date": "1890-01-01"}, "birth_date"),
        ({"moved_in_on": "2024-01-01"}, "moved_in_on"),
        ({"entered_germany_on": "1980-01-01"}, "entered_germany_on"),
        ({"municipality": "03459999"}, "municipality"),
        ({"nationality": ["QQ"]}, "nationality.0"),
        ({"nationality": ["sy"]}, "nationality.0"),
        ({"residence_status": "NO_SUCH_STATUS"}, "residence_status"),
        ({"languages": ["xx"]}, "languages.0"),
        ({"gender": "robot"}, "gender"),
        ({"favourite_colour": "blue"}, "_unknown"),
        ({"receives_sgb2": "ja"}, "receives_sgb2"),
        # Lone surrogates (JSON "\ud800") were stored; NUL was refused already.
        ({"last_name": "Beispiel\ud800frau"}, "last_name"),
        ({"notes": "Notiz \udfff"}, "notes"),
        ({"address": "Musterweg\u00001"}, "address"),
        (
            {"entered_germany_on": (date.today() + timedelta(days=1)).isoformat()},
            "entered_germany_on",
        ),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(adviser, db, overrides, field):
    before = count_clients(db)
    since = last_seq(db)
    response = adviser.post("/api/v1/clients", json=intake(**overrides))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert "Beispielfrau" not in response.get_data(as_text=True)
    assert count_clients(db) == before
    assert events(db, since=since) == []


def test_missing_required_fields_are_named(adviser):
    response = adviser.post("/api/v1/clients", json={"gender": "male"})
    assert response.status_code == 422
    assert {"first_name", "last_name", "birth_date"} <= set(response.get_json()["errors"])


# --- duplicates -----------------------------------------------------------------------------


def test_duplicate_intake_is_409_naming_the_existing_case(adviser, db):
    first = create(adviser)
    before = count_clients(db)
    response = adviser.post(
        "/api/v1/clients",
        json=intake(first_name="Other", last_name="BEISPIELFRAU ", phone=None),
    )
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["duplicates"] == [first["case_number"]]
    assert "Beispielfrau" not in response.get_data(as_text=True)
    assert count_clients(db) == before


def test_umlaut_spellings_count_as_the_same_name(adviser):
    create(adviser, last_name="Müßig")
    response = adviser.post("/api/v1/clients", json=intake(last_name="MUESSIG"))
    assert response.status_code == 409


def test_confirmed_different_person_is_created(adviser):
    first = create(adviser)
    second = create(adviser, confirmed_different_person=True, first_name="Zweite")
    assert second["case_number"] != first["case_number"]


def test_same_name_other_birth_date_is_no_duplicate(adviser):
    create(adviser)
    create(adviser, birth_date="1991-04-12")


# --- reading, search -----------------------------------------------------------------------


def test_get_returns_file_and_logs_one_read(adviser, db):
    body = create(adviser)
    since = last_seq(db)
    response = adviser.get(f"/api/v1/clients/{body['id']}")
    assert response.status_code == 200
    assert response.get_json()["email"] == "testa@example.org"
    reads = events(db, since=since)
    assert len(reads) == 1
    assert reads[0]["action"] == "client.read"
    assert reads[0]["object_id"] == body["case_number"]
    assert "email" in reads[0]["fields"]


def test_unknown_client_is_404(adviser):
    response = adviser.get("/api/v1/clients/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404


def test_search_by_case_number(adviser):
    wanted = create(adviser)
    page = adviser.get("/api/v1/clients", query_string={"case_number": wanted["case_number"]})
    assert [item["id"] for item in page.get_json()["items"]] == [wanted["id"]]


def test_filters_and_pagination(adviser):
    for index in range(5):
        create(adviser, last_name=f"Filter{index}", municipality="03459014")
    create(adviser, last_name="Elsewhere", municipality="03459024")
    first = adviser.get(
        "/api/v1/clients", query_string={"municipality": "03459014", "per_page": 2}
    ).get_json()
    second = adviser.get(
        "/api/v1/clients", query_string={"municipality": "03459014", "per_page": 2, "page": 2}
    ).get_json()
    assert first["total"] == 5
    assert len(first["items"]) == 2
    assert {i["case_number"] for i in first["items"]}.isdisjoint(
        {i["case_number"] for i in second["items"]}
    )
    assert first["items"][0]["case_number"] < second["items"][0]["case_number"]


# --- optimistic locking ---------------------------------------------------------------------


def test_patch_with_current_version_changes_and_increments(adviser, db):
    body = create(adviser)
    since = last_seq(db)
    response = adviser.patch(
        f"/api/v1/clients/{body['id']}",
        json={"version": 1, "phone": "+49 5401 123", "municipality": "03459014"},
    )
    assert response.status_code == 200
    changed = response.get_json()
    assert changed["version"] == 2
    assert changed["phone"] == "+49 5401 123"
    update = events(db, "client.update", since=since)[0]
    assert update["fields"] == ["municipality", "phone"]


def test_patch_with_stale_version_is_409_and_changes_nothing(adviser, db):
    body = create(adviser)
    adviser.patch(f"/api/v1/clients/{body['id']}", json={"version": 1, "notes": "zwei"})
    response = adviser.patch(f"/api/v1/clients/{body['id']}", json={"version": 1, "notes": "alt"})
    assert response.status_code == 409
    assert response.get_json()["current_version"] == 2
    current = adviser.get(f"/api/v1/clients/{body['id']}").get_json()
    assert current["notes"] == "zwei"
    assert current["version"] == 2


def test_patch_rederives_statistics(adviser):
    body = create(adviser)
    changed = adviser.patch(
        f"/api/v1/clients/{body['id']}",
        json={"version": 1, "nationality": ["FR"], "birth_date": "1991-01-01"},
    ).get_json()
    assert changed["citizenship_group"] == "eu"
    assert changed["birth_year"] == 1991


def test_patch_move_in_before_stored_entry_is_422(adviser, db):
    body = create(adviser)
    response = adviser.patch(
        f"/api/v1/clients/{body['id']}", json={"version": 1, "moved_in_on": "2023-01-01"}
    )
    assert response.status_code == 422
    assert "moved_in_on" in response.get_json()["errors"]
    assert adviser.get(f"/api/v1/clients/{body['id']}").get_json()["version"] == 1


def test_patch_without_version_is_422(adviser):
    body = create(adviser)
    response = adviser.patch(f"/api/v1/clients/{body['id']}", json={"notes": "x"})
    assert response.status_code == 422
    assert "version" in response.get_json()["errors"]


# --- access policies --------------------------------------------------------------------------


def test_assigned_policy_refuses_other_adviser_without_reason(adviser, other_adviser, db):
    body = create(adviser)
    since = last_seq(db)
    response = other_adviser.get(f"/api/v1/clients/{body['id']}")
    assert response.status_code == 403
    assert "X-Access-Reason-Code" in response.get_json()["errors"]
    denied = events(db, since=since)
    assert [(e["action"], e["outcome"]) for e in denied] == [("client.access", "denied")]


def test_assigned_policy_break_glass_with_reason_is_logged(app, adviser, other_adviser, db):
    body = create(adviser)
    since = last_seq(db)
    response = other_adviser.get(
        f"/api/v1/clients/{body['id']}",
        headers={
            "X-Access-Reason-Code": "substitute",
            "X-Access-Reason": "Vertretung während Urlaub",
        },
    )
    assert response.status_code == 200
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["client.break_glass", "client.read"]
    assert "Vertretung" not in logged[0]["raw"]
    access = db.scalars(select(BreakGlassAccess)).one()
    assert access.user_id == other_adviser.user.id
    with app.app_context():
        assert access.reason == "Vertretung während Urlaub"
    # Once: the next opening needs a reason again.
    assert other_adviser.get(f"/api/v1/clients/{body['id']}").status_code == 403


def test_assigned_policy_search_hides_names_of_other_files(adviser, other_adviser):
    body = create(adviser)
    page = other_adviser.get(
        "/api/v1/clients", query_string={"case_number": body["case_number"]}
    ).get_json()
    assert page["items"] == [
        {"id": body["id"], "case_number": body["case_number"], "municipality": "03459024"}
    ]


def test_reassigning_gives_the_new_adviser_access(adviser, other_adviser):
    body = create(adviser)
    response = adviser.put(
        f"/api/v1/clients/{body['id']}/advisers",
        json={"adviser_ids": [other_adviser.user.id]},
    )
    assert response.status_code == 200
    assert other_adviser.get(f"/api/v1/clients/{body['id']}").status_code == 200
    assert adviser.get(f"/api/v1/clients/{body['id']}").status_code == 403


def test_reassigning_to_a_non_adviser_is_422(adviser, app, db):
    from tests import factories

    statistician = factories.make_user(db, roles=("statistician",))
    body = create(adviser)
    response = adviser.put(
        f"/api/v1/clients/{body['id']}/advisers", json={"adviser_ids": [statistician.id]}
    )
    assert response.status_code == 422
    assert "adviser_ids.0" in response.get_json()["errors"]


def test_team_policy_lets_every_adviser_open_every_file(database_url, make_app, db):
    from mgz.core.db import database
    from tests import factories

    app = make_app(database_url, CLIENT_ACCESS_POLICY="team")
    database(app).bind_to(db.get_bind())
    owner = factories.signed_in_client(app, db, factories.make_user(db, roles=("adviser",)))
    colleague = factories.signed_in_client(app, db, factories.make_user(db, roles=("adviser",)))
    body = create(owner)
    assert colleague.get(f"/api/v1/clients/{body['id']}").status_code == 200
    assert events(db, "client.break_glass") == []


@pytest.mark.parametrize("role", ["statistician", "auditor", "admin"])
def test_non_advisers_never_get_client_files(adviser, login_as, role):
    body = create(adviser)
    other = login_as(role)
    assert other.get(f"/api/v1/clients/{body['id']}").status_code == 403
    assert (
        other.get("/api/v1/clients", query_string={"case_number": body["case_number"]}).status_code
        == 403
    )
    assert other.post("/api/v1/clients", json=intake(last_name="X")).status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {"lastname": "Beispielfrau", "birth_date": "1990-04-12"},
        {"municipality": "\x00"},
        {"residence_status": "\x00"},
        {"page": 10**30},
    ],
)
def test_bad_search_parameters_are_422_not_an_unfiltered_listing(adviser, query):
    create(adviser)
    response = adviser.get("/api/v1/clients", query_string=query)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_break_glass_cannot_take_a_file_over(adviser, other_adviser, db):
    """Review finding: a one-time opening must not become responsibility for the file."""
    body = create(adviser)
    since = last_seq(db)
    response = other_adviser.put(
        f"/api/v1/clients/{body['id']}/advisers",
        json={"adviser_ids": [other_adviser.user.id]},
        headers={
            "X-Access-Reason-Code": "substitute",
            "X-Access-Reason": "Vertretung heute am Empfang",
        },
    )
    assert response.status_code == 403
    assert [(e["action"], e["outcome"]) for e in events(db, since=since)] == [
        ("client.set_advisers", "denied")
    ]
    assert adviser.get(f"/api/v1/clients/{body['id']}").get_json()["adviser_ids"] == [
        adviser.user.id
    ]


def test_an_erased_client_is_gone_from_search_and_takes_no_new_records(app, adviser, db):
    """Review finding: a crypto-shredded file broke search (410) and took new records."""
    from mgz.core.actor import Actor
    from mgz.crypto.service import shred

    erased = create(adviser, last_name="Geloescht")
    kept = create(adviser, last_name="Bleibt")
    with app.app_context():
        shred(db, Actor.system("tests"), uuid.UUID(erased["id"]))
        db.commit()
    listing = adviser.get("/api/v1/clients", query_string={"municipality": "03459024"})
    assert listing.status_code == 200
    assert [item["id"] for item in listing.get_json()["items"]] == [kept["id"]]
    assert adviser.get(f"/api/v1/clients/{erased['id']}").status_code == 410
    talk = {"kind": "first", "held_on": "2024-03-20", "channel": "phone"}
    response = adviser.post(f"/api/v1/clients/{erased['id']}/consultations", json=talk)
    assert response.status_code == 410


def test_auditor_sees_who_touched_a_file_by_case_number_without_personal_data(
    adviser, other_adviser, login_as
):
    body = create(adviser)
    other_adviser.get(
        f"/api/v1/clients/{body['id']}",
        headers={"X-Access-Reason-Code": "substitute", "X-Access-Reason": "Vertretung im Urlaub"},
    )
    auditor = login_as("auditor")
    response = auditor.get(f"/api/v1/audit/objects/{body['case_number']}/events")
    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    items = response.get_json()["items"]
    actions = [(item["action"], item["actor_user_id"]) for item in items]
    assert ("client.create", adviser.user.id) in actions
    assert ("client.break_glass", other_adviser.user.id) in actions
    assert ("client.read", other_adviser.user.id) in actions
    for value in ("Beispielfrau", "Testa", "1990-04-12", "Musterweg", "Vertretung"):
        assert value not in raw
