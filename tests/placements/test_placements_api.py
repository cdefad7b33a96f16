"""Placements through the API on both databases: snapshots, move-in margin, follow-up."""

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mgz.placements import service
from mgz.placements.models import Placement
from tests.clients.conftest import create
from tests.conftest import events, last_seq


def placement(**overrides):
    body = {
        "placed_on": "2024-06-03",
        "kind": "SVB",
        "kldb_code": "52122",
        "weekly_hours": 38.5,
        "employer_sector": "H",
        "remarks": "Vertrauliche Bemerkung.",
    }
    body.update(overrides)
    return body


@pytest.fixture
def file(adviser):
    return create(adviser)  # AE_25_2_GFK (protection recognised), SGB II, moved in 2024-03-15


def url(file, suffix=""):
    return f"/api/v1/clients/{file['id']}/placements{suffix}"


def count(db):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Placement))


def test_record_a_placement_takes_the_snapshot_from_the_file(adviser, file, db):
    since = last_seq(db)
    response = adviser.post(url(file), json=placement())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["residence_status"] == "AE_25_2_GFK"
    assert body["residence_status_group"] == "protection_recognised"
    assert body["receives_sgb2"] is True
    assert body["follow_up_due_on"] == "2024-12-03"
    assert body["still_employed"] is None
    assert body["remarks"] == "Vertrauliche Bemerkung."
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["placement.create", "placement.read"]
    assert logged[0]["object_id"] == file["case_number"]
    assert logged[1]["fields"] == ["remarks"]
    assert all("Vertrauliche" not in e["raw"] for e in logged)
    stored = db.get(Placement, uuid.UUID(body["id"]))
    assert service.counts_for_indicator_10(db, stored)


def test_given_snapshot_wins_over_the_file(adviser, file):
    body = adviser.post(
        url(file), json=placement(residence_status="GESTATTUNG", receives_sgb2=False)
    ).get_json()
    assert body["residence_status"] == "GESTATTUNG"
    assert body["residence_status_group"] == "protection_open"
    assert body["receives_sgb2"] is False


def test_a_later_change_of_the_file_never_changes_the_snapshot_or_the_figure(adviser, file, db):
    created = adviser.post(url(file), json=placement()).get_json()
    assert service.indicator_10(db, 2024) == 1
    path = f"/api/v1/clients/{file['id']}"
    version = adviser.get(path).get_json()["version"]
    changed = adviser.patch(
        path,
        json={"version": version, "residence_status": "EU_FREIZUEGIG", "receives_sgb2": False},
    )
    assert changed.status_code == 200, changed.get_json()
    after = adviser.get(url(file, f"/{created['id']}")).get_json()
    assert after["residence_status"] == "AE_25_2_GFK"
    assert after["residence_status_group"] == "protection_recognised"
    assert after["receives_sgb2"] is True
    assert service.indicator_10(db, 2024) == 1
    # A placement made now takes the new status and does not count.
    later = adviser.post(url(file), json=placement(placed_on="2024-09-02")).get_json()
    assert later["residence_status_group"] == "eu"
    assert service.indicator_10(db, 2024) == 1


@pytest.mark.parametrize(
    ("kind", "counted"),
    [
        ("SVB", True),
        ("AUSBILDUNG", True),
        ("EINSTIEGSQUALIFIZIERUNG", True),
        ("MINIJOB", False),
        ("SELBSTAENDIG", False),
        ("OEFFENTLICH_GEFOERDERT", False),
        ("PRAKTIKUM", False),
    ],
)
def test_indicator_10_counts_kinds_subject_to_social_insurance(adviser, file, db, kind, counted):
    adviser.post(url(file), json=placement(kind=kind))
    assert service.indicator_10(db, 2024) == int(counted)


def test_indicator_10_counts_one_per_person_and_month_and_needs_both_snapshots(adviser, file, db):
    adviser.post(url(file), json=placement(placed_on="2024-06-03"))
    adviser.post(url(file), json=placement(placed_on="2024-06-20", kind="AUSBILDUNG"))
    adviser.post(url(file), json=placement(placed_on="2024-07-01"))
    adviser.post(url(file), json=placement(placed_on="2024-08-01", receives_sgb2=False))
    adviser.post(url(file), json=placement(placed_on="2024-09-01", residence_status="AE_18A"))
    assert service.indicator_10(db, 2024) == 2
    assert service.indicator_10(db, 2023) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"placed_on": (date.today() + timedelta(days=1)).isoformat()}, "placed_on"),
        ({"placed_on": "2023-12-01"}, "placed_on"),  # > 90 days before moving in
        ({"kind": "WUNSCHJOB"}, "kind"),
        ({"kldb_code": "5212"}, "kldb_code"),
        ({"kldb_code": "52125"}, "kldb_code"),  # requirement level 5 does not exist
        ({"weekly_hours": 0}, "weekly_hours"),
        ({"weekly_hours": 61}, "weekly_hours"),
        ({"employer_sector": "Z"}, "employer_sector"),
        ({"residence_status": "ERFUNDEN"}, "residence_status"),
        ({"still_employed": "yes"}, "_unknown"),
    ],
)
def test_bad_placement_input_is_422_and_writes_nothing(adviser, file, db, overrides, field):
    before = count(db)
    response = adviser.post(url(file), json=placement(**overrides))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert count(db) == before


def test_placement_within_the_margin_before_move_in_is_accepted(adviser, file):
    response = adviser.post(url(file), json=placement(placed_on="2024-01-05"))
    assert response.status_code == 201


def test_follow_up_from_six_months_on(adviser, file, db):
    created = adviser.post(url(file), json=placement(placed_on="2024-08-31")).get_json()
    assert created["follow_up_due_on"] == "2025-02-28"
    path = url(file, f"/{created['id']}")
    early = adviser.patch(
        path, json={"version": 1, "still_employed": "yes", "follow_up_checked_on": "2025-02-27"}
    )
    assert early.status_code == 422
    assert "follow_up_checked_on" in early.get_json()["errors"]
    half = adviser.patch(path, json={"version": 1, "still_employed": "yes"})
    assert half.status_code == 422
    assert "follow_up_checked_on" in half.get_json()["errors"]
    since = last_seq(db)
    done = adviser.patch(
        path, json={"version": 1, "still_employed": "no", "follow_up_checked_on": "2025-02-28"}
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["still_employed"] == "no"
    assert done.get_json()["version"] == 2
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["placement.update", "placement.read"]
    assert logged[0]["fields"] == ["follow_up_checked_on", "still_employed"]
    # Moving placed_on later would put the recorded check before its due date.
    moved = adviser.patch(path, json={"version": 2, "placed_on": "2024-09-15"})
    assert moved.status_code == 422
    assert "placed_on" in moved.get_json()["errors"]


def test_patch_needs_the_current_version(adviser, file):
    created = adviser.post(url(file), json=placement()).get_json()
    path = url(file, f"/{created['id']}")
    assert adviser.patch(path, json={"version": 1, "weekly_hours": 20}).status_code == 200
    stale = adviser.patch(path, json={"version": 1, "weekly_hours": 30})
    assert stale.status_code == 409
    assert adviser.get(path).get_json()["weekly_hours"] == 20


def test_list_is_oldest_first_with_one_event(adviser, file, db):
    for day in ("2024-07-01", "2024-05-01"):
        adviser.post(url(file), json=placement(placed_on=day))
    since = last_seq(db)
    items = adviser.get(url(file)).get_json()["items"]
    assert [p["placed_on"] for p in items] == ["2024-05-01", "2024-07-01"]
    logged = events(db, since=since)
    assert [(e["action"], e["details"]["count"], e["fields"]) for e in logged] == [
        ("placement.list", 2, ["remarks"])
    ]


def test_placement_of_another_client_is_404(adviser, file):
    created = adviser.post(url(file), json=placement()).get_json()
    other = create(adviser, last_name="Zweitakte")
    response = adviser.get(f"/api/v1/clients/{other['id']}/placements/{created['id']}")
    assert response.status_code == 404
