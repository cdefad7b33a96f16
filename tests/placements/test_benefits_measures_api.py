"""Benefit periods (no overlap per kind) and measures through the API, on both databases."""

import pytest
from sqlalchemy import func, select

from mgz.placements.models import Benefit, Measure
from tests.clients.conftest import create
from tests.conftest import events, last_seq


@pytest.fixture
def file(adviser):
    return create(adviser)


def benefits(file, suffix=""):
    return f"/api/v1/clients/{file['id']}/benefits{suffix}"


def measures(file, suffix=""):
    return f"/api/v1/clients/{file['id']}/measures{suffix}"


def count(db, model):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_record_an_open_ended_benefit_and_close_it(adviser, file, db):
    since = last_seq(db)
    created = adviser.post(
        benefits(file), json={"kind": "SGB_II", "from_on": "2024-04-01", "remarks": "Geheim."}
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["to_on"] is None
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["benefit.create", "benefit.read"]
    assert logged[1]["fields"] == ["remarks"]
    assert all("Geheim" not in e["raw"] for e in logged)
    closed = adviser.patch(
        benefits(file, f"/{body['id']}"), json={"version": 1, "to_on": "2024-12-31"}
    )
    assert closed.status_code == 200
    assert closed.get_json()["to_on"] == "2024-12-31"


@pytest.mark.parametrize(
    ("new", "overlaps"),
    [
        ({"from_on": "2024-06-01", "to_on": "2024-06-30"}, True),  # inside
        ({"from_on": "2023-01-01", "to_on": "2024-01-01"}, True),  # touches the first day
        ({"from_on": "2023-01-01"}, True),  # open-ended before
        ({"from_on": "2025-01-01"}, True),  # open-ended after
        ({"from_on": "2024-12-31", "to_on": "2025-03-01"}, True),  # last day
        ({"from_on": "2023-01-01", "to_on": "2023-12-31"}, False),  # before
        ({"from_on": "2025-01-01", "to_on": "2025-02-01", "kind": "ASYLBLG"}, False),  # other kind
    ],
)
def test_periods_of_one_kind_never_overlap(adviser, file, db, new, overlaps):
    body = {"kind": "SGB_II", "from_on": "2024-01-01", "to_on": "2024-12-31"}
    assert adviser.post(benefits(file), json=body).status_code == 201
    if "from_on" in new and "to_on" not in new and new["from_on"] == "2025-01-01":
        # open-ended after the first one: overlaps only a still-open first period
        first = adviser.get(benefits(file)).get_json()["items"][0]
        adviser.patch(benefits(file, f"/{first['id']}"), json={"version": 1, "to_on": None})
    before = count(db, Benefit)
    response = adviser.post(benefits(file), json={"kind": "SGB_II", **new})
    if overlaps:
        assert response.status_code == 422
        assert "from_on" in response.get_json()["errors"]
        assert count(db, Benefit) == before
    else:
        assert response.status_code == 201


def test_a_patch_that_makes_periods_overlap_is_422(adviser, file):
    adviser.post(
        benefits(file), json={"kind": "SGB_II", "from_on": "2024-01-01", "to_on": "2024-03-31"}
    )
    second = adviser.post(
        benefits(file), json={"kind": "SGB_II", "from_on": "2024-05-01"}
    ).get_json()
    response = adviser.patch(
        benefits(file, f"/{second['id']}"), json={"version": 1, "from_on": "2024-03-01"}
    )
    assert response.status_code == 422
    assert "from_on" in response.get_json()["errors"]
    assert adviser.get(benefits(file, f"/{second['id']}")).get_json()["from_on"] == "2024-05-01"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "SGB_II", "from_on": "2024-05-01", "to_on": "2024-04-30"}, "to_on"),
        ({"kind": "KINDERGELD", "from_on": "2024-05-01"}, "kind"),
        ({"kind": "SGB_II"}, "from_on"),
        ({"kind": "SGB_II", "from_on": "2024-13-01"}, "from_on"),
    ],
)
def test_bad_benefit_input_is_422_and_writes_nothing(adviser, file, db, body, field):
    before = count(db, Benefit)
    response = adviser.post(benefits(file), json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert count(db, Benefit) == before


def test_record_a_measure_and_its_outcome(adviser, file, db):
    since = last_seq(db)
    created = adviser.post(
        measures(file),
        json={
            "kind": "BERUFSORIENTIERUNG",
            "provider": "Bildungsträger Beispiel",
            "starts_on": "2024-05-06",
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["provider"] == "Bildungsträger Beispiel"
    assert body["outcome"] is None
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["measure.create", "measure.read"]
    assert logged[1]["fields"] == ["provider", "remarks"]
    assert all("Beispiel" not in e["raw"] for e in logged)
    path = measures(file, f"/{body['id']}")
    no_end = adviser.patch(path, json={"version": 1, "outcome": "completed"})
    assert no_end.status_code == 422
    assert "outcome" in no_end.get_json()["errors"]
    done = adviser.patch(path, json={"version": 1, "outcome": "completed", "ends_on": "2024-07-31"})
    assert done.status_code == 200
    assert done.get_json()["outcome"] == "completed"
    early_end = adviser.patch(path, json={"version": 2, "ends_on": "2024-05-01"})
    assert early_end.status_code == 422
    assert "ends_on" in early_end.get_json()["errors"]
    listing = adviser.get(measures(file)).get_json()["items"]
    assert [m["ends_on"] for m in listing] == ["2024-07-31"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "AKTIVIERUNG", "starts_on": "2024-05-06", "ends_on": "2024-05-05"}, "ends_on"),
        ({"kind": "YOGA", "starts_on": "2024-05-06"}, "kind"),
        ({"kind": "AKTIVIERUNG", "starts_on": "2024-05-06", "outcome": "great"}, "outcome"),
        ({"kind": "AKTIVIERUNG", "starts_on": "2024-05-06", "outcome": "dropped"}, "outcome"),
        ({"kind": "AKTIVIERUNG", "starts_on": "2999-01-01"}, "starts_on"),
    ],
)
def test_bad_measure_input_is_422_and_writes_nothing(adviser, file, db, body, field):
    before = count(db, Measure)
    response = adviser.post(measures(file), json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert count(db, Measure) == before


def test_a_refused_overlap_leaves_no_row_and_no_event(adviser, file, db):
    adviser.post(benefits(file), json={"kind": "SGB_II", "from_on": "2024-01-01"})
    since, before = last_seq(db), count(db, Benefit)
    response = adviser.post(benefits(file), json={"kind": "SGB_II", "from_on": "2024-02-01"})
    assert response.status_code == 422
    assert count(db, Benefit) == before
    assert events(db, since=since) == []
