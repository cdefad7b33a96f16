"""The referral workflow on both databases: every allowed and every forbidden step.

Each step is kept in the history; a refused step (409 transition, 422 date or field)
writes nothing: no step row, no version change, no audit event.
"""

from itertools import pairwise

import pytest

from mgz.courses.workflow import STATUSES, TRANSITIONS
from tests.conftest import events, last_seq
from tests.courses.conftest import counts, refer, referrals_url, step

# The path of steps (with dates) that brings a new planned referral to each status.
PATHS = {
    "planned": [],
    "referred": [("referred", "2024-04-02")],
    "registered": [("referred", "2024-04-02"), ("registered", "2024-04-05")],
    "started": [
        ("referred", "2024-04-02"),
        ("registered", "2024-04-05"),
        ("started", "2024-04-15"),
    ],
}
PATHS["completed"] = [*PATHS["started"], ("completed", "2024-09-30")]
PATHS["dropped"] = [*PATHS["started"], ("dropped", "2024-06-01")]
PATHS["no_show"] = [*PATHS["registered"], ("no_show", "2024-04-15")]
PATHS["cancelled"] = [("cancelled", "2024-04-01")]
EXTRA = {"dropped": {"drop_reason": "WORK"}, "completed": {"dtz_result": "B1", "lid_passed": True}}
LATER = "2024-10-15"


def reach(http, file, course, status):
    referral = refer(http, file, course_id=course["id"], planned_on="2024-03-25")
    assert referral["status"] == "planned"
    for name, on in PATHS[status]:
        response = step(http, file, referral, name, on, **EXTRA.get(name, {}))
        assert response.status_code == 200, (name, response.get_json())
        referral = response.get_json()
    return referral


ALLOWED = [(a, b) for a in STATUSES for b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a in STATUSES for b in STATUSES if b not in TRANSITIONS[a]]


def test_the_workflow_is_the_issues():
    assert TRANSITIONS["planned"] == ("referred", "cancelled")
    assert TRANSITIONS["referred"] == ("registered", "cancelled")
    assert TRANSITIONS["registered"] == ("started", "no_show", "cancelled")
    assert TRANSITIONS["started"] == ("completed", "dropped", "cancelled")
    assert all(TRANSITIONS[end] == () for end in ("completed", "dropped", "no_show", "cancelled"))
    assert len(ALLOWED) + len(FORBIDDEN) == len(STATUSES) ** 2


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_step_is_kept_in_the_history(adviser, file, course, db, source, target):
    referral = reach(adviser, file, course, source)
    since = last_seq(db)
    response = step(adviser, file, referral, target, LATER, **EXTRA.get(target, {}))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == target
    assert body["status_on"] == LATER
    assert body["version"] == referral["version"] + 1
    expected = [("planned", "2024-03-25"), *PATHS[source], (target, LATER)]
    assert [s["status"] for s in body["history"]] == [name for name, _ in expected]
    assert [s["status_on"] for s in body["history"]] == [on for _, on in expected]
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["course_referral.update", "course_referral.read"]
    assert logged[0]["details"]["previous"] == source
    assert logged[0]["details"]["status"] == target


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_every_forbidden_step_is_409_and_writes_nothing(adviser, file, course, db, source, target):
    referral = reach(adviser, file, course, source)
    before, since = counts(db), last_seq(db)
    response = step(adviser, file, referral, target, LATER, **EXTRA.get(target, {}))
    assert response.status_code == 409, response.get_json()
    problem = response.get_json()
    assert problem["type"] == "/problems/invalid-transition"
    assert "status" in problem["errors"]
    assert counts(db) == before
    assert events(db, since=since) == []
    again = adviser.get(referrals_url(file, f"/{referral['id']}")).get_json()
    assert again["version"] == referral["version"]
    assert again["status"] == source


def test_a_step_dated_before_the_last_one_is_422_and_writes_nothing(adviser, file, course, db):
    referral = reach(adviser, file, course, "registered")
    before = counts(db)
    response = step(adviser, file, referral, "started", "2024-04-04")  # registered 04-05
    assert response.status_code == 422
    assert "status_on" in response.get_json()["errors"]
    assert counts(db) == before
    same_day = step(adviser, file, referral, "started", "2024-04-05")
    assert same_day.status_code == 200


def test_a_step_in_the_future_or_without_date_is_422(adviser, file, course):
    referral = reach(adviser, file, course, "referred")
    assert step(adviser, file, referral, "registered", "2999-01-01").status_code == 422
    url = referrals_url(file, f"/{referral['id']}")
    response = adviser.patch(url, json={"version": referral["version"], "status": "registered"})
    assert response.status_code == 422
    assert "status_on" in response.get_json()["errors"]


def test_waiting_time_is_referred_to_started(adviser, file, course):
    started = reach(adviser, file, course, "started")
    assert started["referred_on"] == "2024-04-02"
    assert started["started_on"] == "2024-04-15"
    assert started["waiting_days"] == 13
    assert reach(adviser, file, course, "registered")["waiting_days"] is None


def test_completed_keeps_the_exam_results(adviser, file, course):
    done = reach(adviser, file, course, "completed")
    assert (done["dtz_result"], done["lid_passed"]) == ("B1", True)


@pytest.mark.parametrize(
    ("status", "extra", "field"),
    [
        ("completed", {"dtz_result": "C2"}, "dtz_result"),
        ("dropped", {}, "drop_reason"),
        ("dropped", {"drop_reason": "NO_SUCH"}, "drop_reason"),
        ("cancelled", {"drop_reason": "WORK"}, "drop_reason"),
        ("cancelled", {"dtz_result": "B1"}, "dtz_result"),
    ],
)
def test_exam_results_and_drop_reasons_belong_to_their_step(
    adviser, file, course, db, status, extra, field
):
    referral = reach(adviser, file, course, "started")
    before = counts(db)
    response = step(adviser, file, referral, status, LATER, **extra)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert counts(db) == before


def test_a_new_referral_with_a_date_is_referred(adviser, file, course):
    referral = refer(adviser, file, course_id=course["id"], referred_on="2024-04-02")
    assert referral["status"] == "referred"
    assert [(s["status"], s["status_on"]) for s in referral["history"]] == [
        ("referred", "2024-04-02")
    ]


def test_history_steps_keep_their_course(adviser, file, course):
    done = reach(adviser, file, course, "completed")
    assert {s["course_id"] for s in done["history"]} == {course["id"]}
    assert {s["course_type"] for s in done["history"]} == {"DEUTSCH_TREFF"}
    assert list(pairwise(s["status"] for s in done["history"]))[0] == ("planned", "referred")


def test_a_new_referral_with_both_dates_keeps_both_steps(adviser, file, course):
    referral = refer(
        adviser, file, course_id=course["id"], planned_on="2024-03-01", referred_on="2024-03-10"
    )
    assert [(s["status"], s["status_on"]) for s in referral["history"]] == [
        ("planned", "2024-03-01"),
        ("referred", "2024-03-10"),
    ]
    refused = adviser.post(
        referrals_url(file),
        json={"course_id": course["id"], "planned_on": "2024-03-10", "referred_on": "2024-03-01"},
    )
    assert refused.status_code == 422
    assert "referred_on" in refused.get_json()["errors"]
