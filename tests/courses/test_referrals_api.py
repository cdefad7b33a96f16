"""Course referrals: input rules, encryption and the audit log, on both databases."""

import pytest
from sqlalchemy import text

from tests.clients.conftest import create
from tests.conftest import events, last_seq
from tests.courses.conftest import counts, new_course, refer, referrals_url

REMARK = "Vertraulicher Vermerk zur Kursvermittlung."


def test_referral_to_a_course_type_without_a_course(adviser, file):
    referral = refer(adviser, file, course_type="ALPHA", entitlement="VERPFLICHTUNG_JOBCENTER",
                     entitlement_notice_on="2024-03-01", childcare_needed=True,
                     mobility_barrier=True, mobility_solved=True)  # fmt: skip
    assert referral["course_id"] is None
    assert referral["course_type"] == "ALPHA"
    assert referral["status"] == "planned"
    assert referral["waitlisted"] is False
    assert referral["waiting_list_position"] is None
    assert referral["entitlement"] == "VERPFLICHTUNG_JOBCENTER"
    assert (referral["childcare_needed"], referral["childcare_solved"]) == (True, False)
    assert (referral["mobility_barrier"], referral["mobility_solved"]) == (True, True)


def test_a_course_is_fixed_later_and_gives_its_type(adviser, file, course):
    referral = refer(adviser, file, course_type="ALLG", planned_on="2024-03-20")
    url = referrals_url(file, f"/{referral['id']}")
    fixed = adviser.patch(url, json={"version": referral["version"], "course_id": course["id"]})
    assert fixed.status_code == 200, fixed.get_json()
    assert fixed.get_json()["course_id"] == course["id"]
    assert fixed.get_json()["course_type"] == "DEUTSCH_TREFF"
    referred = adviser.patch(
        url, json={"version": 2, "status": "referred", "status_on": "2024-04-02"}
    )
    assert referred.get_json()["history"][-1]["course_id"] == course["id"]
    # Once it holds a place the course no longer changes.
    other = new_course(adviser)
    moved = adviser.patch(url, json={"version": 3, "course_id": other["id"]})
    assert moved.status_code == 422
    assert "course_id" in moved.get_json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"course_id": "00000000-0000-4000-8000-000000000000"}, "course_id"),
        ({"course_id": "ENDED"}, "course_id"),
        ({"course_id": "COURSE", "course_type": "ALLG"}, "course_type"),
        ({"course_type": "NO_SUCH"}, "course_type"),
        ({"course_type": "FRAUEN"}, "course_type"),  # withdrawn
        ({"course_type": "ALLG", "entitlement": "NO_SUCH"}, "entitlement"),
        ({"course_type": "ALLG", "entitlement_notice_on": "2024-03-01"}, "entitlement_notice_on"),
        ({"course_type": "ALLG", "childcare_solved": True}, "childcare_solved"),
        ({"course_type": "ALLG", "mobility_solved": True}, "mobility_solved"),
        ({"course_type": "ALLG", "referred_on": "2999-01-01"}, "referred_on"),
        ({}, "course_type"),
        ({"course_type": "ALLG", "status": "started"}, "_unknown"),
    ],
)
def test_bad_referral_is_422_naming_the_field_and_writes_nothing(
    adviser, file, course, db, body, field
):
    ended = new_course(adviser, starts_on="2023-01-01", ends_on="2023-06-30")
    body = dict(body)
    if body.get("course_id") == "ENDED":
        body["course_id"] = ended["id"]
    if body.get("course_id") == "COURSE":
        body["course_id"] = course["id"]
    before, since = counts(db), last_seq(db)
    response = adviser.post(referrals_url(file), json={"referred_on": "2024-04-02", **body})
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert counts(db) == before
    assert [e for e in events(db, since=since) if e["outcome"] == "success"] == []


def test_remarks_are_encrypted_and_never_logged(adviser, file, course, db):
    referral = refer(adviser, file, course_id=course["id"], referred_on="2024-04-02",
                     remarks=REMARK)  # fmt: skip
    assert referral["remarks"] == REMARK
    raw = db.execute(
        text("SELECT remarks FROM course_referrals WHERE id = :id"),
        {
            "id": referral["id"].replace("-", "")
            if db.bind.dialect.name == "sqlite"
            else referral["id"]
        },
    ).scalar_one()
    assert REMARK.encode() not in bytes(raw)
    assert all(REMARK not in e["raw"] for e in events(db))


def test_every_read_and_change_writes_one_event_naming_the_fields(adviser, file, course, db):
    since = last_seq(db)
    referral = refer(adviser, file, course_id=course["id"], referred_on="2024-04-02",
                     remarks=REMARK)  # fmt: skip
    created = events(db, since=since)
    assert [e["action"] for e in created] == ["course_referral.create", "course_referral.read"]
    assert {e["object_id"] for e in created} == {file["case_number"]}
    assert "remarks" in created[0]["fields"]
    assert created[1]["fields"] == ["remarks"]
    since = last_seq(db)
    adviser.get(referrals_url(file, f"/{referral['id']}"))
    listed = adviser.get(referrals_url(file)).get_json()["items"]
    assert [item["id"] for item in listed] == [referral["id"]]
    reads = events(db, since=since)
    assert [(e["action"], e["fields"]) for e in reads] == [
        ("course_referral.read", ["remarks"]),
        ("course_referral.list", ["remarks"]),
    ]
    since = last_seq(db)
    url = referrals_url(file, f"/{referral['id']}")
    adviser.patch(url, json={"version": 1, "childcare_needed": True, "remarks": "Neu."})
    changed = events(db, since=since)
    assert [e["action"] for e in changed] == ["course_referral.update", "course_referral.read"]
    assert changed[0]["fields"] == ["childcare_needed", "remarks"]


def test_a_referral_of_another_file_is_404(adviser, file, course):
    referral = refer(adviser, file, course_id=course["id"], referred_on="2024-04-02")
    other = create(adviser, last_name="Andersfrau")
    assert adviser.get(referrals_url(other, f"/{referral['id']}")).status_code == 404
    response = adviser.patch(
        referrals_url(other, f"/{referral['id']}"), json={"version": 1, "remarks": "x"}
    )
    assert response.status_code == 404


def test_stale_version_is_409_and_empty_patch_422(adviser, file, course):
    referral = refer(adviser, file, course_id=course["id"], referred_on="2024-04-02")
    url = referrals_url(file, f"/{referral['id']}")
    assert adviser.patch(url, json={"version": 1, "mobility_barrier": True}).status_code == 200
    stale = adviser.patch(url, json={"version": 1, "mobility_barrier": False})
    assert stale.status_code == 409
    assert stale.get_json()["type"] == "/problems/stale-version"
    assert adviser.patch(url, json={"version": 2}).status_code == 422
