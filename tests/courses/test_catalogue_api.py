"""The course catalogue through the API on both databases."""

import pytest

from tests.conftest import events, last_seq
from tests.courses.conftest import COURSES, counts, new_course
from tests.factories import course_values


def test_create_and_read_a_course(adviser, db):
    since = last_seq(db)
    course = new_course(adviser)
    assert course["county_funded"] is True
    assert course["places_taken"] == 0
    assert course["waiting_list"] == 0
    assert course["version"] == 1
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["course.create"]
    assert logged[0]["object_id"] == course["id"].replace("-", "")
    assert logged[0]["details"]["funding"] == "LANDKREIS"
    read = adviser.get(f"{COURSES}/{course['id']}")
    assert read.status_code == 200
    assert read.get_json()["provider"] == "Testträger Sprachschule"


def test_list_filters_by_type_funding_and_municipality(adviser):
    new_course(adviser, starts_on="2024-05-01")
    new_course(adviser, course_type="ALLG", funding="BAMF_IK", municipality="03459019")
    listed = adviser.get(COURSES).get_json()["items"]
    assert [c["starts_on"] for c in listed] == sorted(c["starts_on"] for c in listed)
    only = adviser.get(COURSES, query_string={"funding": "BAMF_IK"}).get_json()["items"]
    assert {c["course_type"] for c in only} == {"ALLG"}
    here = adviser.get(COURSES, query_string={"municipality": "03459019"}).get_json()["items"]
    assert {c["municipality"] for c in here} == {"03459019"}
    assert adviser.get(COURSES, query_string={"colour": "red"}).status_code == 422


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"course_type": "NO_SUCH"}, "course_type"),
        ({"course_type": "JUGEND"}, "course_type"),  # withdrawn in 12/2024
        ({"funding": "NO_SUCH"}, "funding"),
        ({"schedule": "NIGHTS"}, "schedule"),
        ({"target_level": "Z9"}, "target_level"),
        ({"municipality": "03459999"}, "municipality"),
        ({"municipality": "unknown"}, "municipality"),
        ({"starts_on": "2024-05-01", "ends_on": "2024-04-30"}, "ends_on"),
        ({"capacity": 0}, "capacity"),
        ({"teaching_units": 0}, "teaching_units"),
        ({"provider": ""}, "provider"),
    ],
)
def test_bad_course_is_422_naming_the_field_and_writes_nothing(adviser, db, override, field):
    before = counts(db)
    response = adviser.post(COURSES, json=course_values(**override))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert counts(db) == before


def test_patch_with_version_and_stale_version_is_409(adviser, db):
    course = new_course(adviser)
    url = f"{COURSES}/{course['id']}"
    changed = adviser.patch(url, json={"version": 1, "capacity": 20, "schedule": "EVENING"})
    assert changed.status_code == 200
    assert changed.get_json()["version"] == 2
    assert changed.get_json()["schedule"] == "EVENING"
    stale = adviser.patch(url, json={"version": 1, "capacity": 5})
    assert stale.status_code == 409
    assert stale.get_json()["type"] == "/problems/stale-version"
    assert adviser.get(url).get_json()["capacity"] == 20


def test_patch_end_before_stored_start_is_422(adviser):
    course = new_course(adviser, starts_on="2024-04-01")
    response = adviser.patch(
        f"{COURSES}/{course['id']}", json={"version": 1, "ends_on": "2024-03-01"}
    )
    assert response.status_code == 422
    assert "ends_on" in response.get_json()["errors"]


def test_empty_patch_and_unknown_course(adviser):
    course = new_course(adviser)
    assert adviser.patch(f"{COURSES}/{course['id']}", json={"version": 1}).status_code == 422
    missing = "00000000-0000-4000-8000-000000000000"
    assert adviser.get(f"{COURSES}/{missing}").status_code == 404
    assert (
        adviser.patch(f"{COURSES}/{missing}", json={"version": 1, "capacity": 3}).status_code == 404
    )
