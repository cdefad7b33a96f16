"""Places and waiting lists: a full course waitlists, a freed place moves the first up."""

import pytest

from tests.clients.conftest import create
from tests.conftest import events, last_seq
from tests.courses.conftest import COURSES, new_course, refer, referrals_url, step


def files(adviser, n):
    return [create(adviser, last_name=f"Warteliste{i}") for i in range(n)]


def test_a_full_course_waitlists_in_order_of_referral_date(adviser):
    course = new_course(adviser, capacity=2)
    a, b, c, d = files(adviser, 4)
    assert (
        refer(adviser, a, course_id=course["id"], referred_on="2024-04-02")["waitlisted"] is False
    )
    assert (
        refer(adviser, b, course_id=course["id"], referred_on="2024-04-03")["waitlisted"] is False
    )
    third = refer(adviser, c, course_id=course["id"], referred_on="2024-04-05")
    assert (third["waitlisted"], third["waiting_list_position"]) == (True, 1)
    # Recorded later but referred earlier: ahead of the third on the list.
    fourth = refer(adviser, d, course_id=course["id"], referred_on="2024-04-04")
    assert (fourth["waitlisted"], fourth["waiting_list_position"]) == (True, 1)
    third_now = adviser.get(referrals_url(c, f"/{third['id']}")).get_json()
    assert third_now["waiting_list_position"] == 2
    shown = adviser.get(f"{COURSES}/{course['id']}").get_json()
    assert (shown["places_taken"], shown["waiting_list"]) == (2, 2)


def test_planned_referrals_hold_no_place(adviser):
    course = new_course(adviser, capacity=1)
    a, b = files(adviser, 2)
    refer(adviser, a, course_id=course["id"], planned_on="2024-04-01")
    assert (
        refer(adviser, b, course_id=course["id"], referred_on="2024-04-02")["waitlisted"] is False
    )


def test_a_waitlisted_referral_cannot_register(adviser, db):
    course = new_course(adviser, capacity=1)
    a, b = files(adviser, 2)
    refer(adviser, a, course_id=course["id"], referred_on="2024-04-02")
    waiting = refer(adviser, b, course_id=course["id"], referred_on="2024-04-03")
    since = last_seq(db)
    response = step(adviser, b, waiting, "registered", "2024-04-05")
    assert response.status_code == 409
    assert response.get_json()["type"] == "/problems/waiting-list"
    assert events(db, since=since) == []


@pytest.mark.parametrize(
    ("path", "end"),
    [
        ([("registered", "2024-04-05"), ("started", "2024-04-10")], ("dropped", "2024-05-01")),
        ([("registered", "2024-04-05")], ("no_show", "2024-04-10")),
        ([], ("cancelled", "2024-04-04")),
    ],
)
def test_a_freed_place_moves_the_first_on_the_list_up(adviser, db, path, end):
    course = new_course(adviser, capacity=1)
    a, b, c = files(adviser, 3)
    holder = refer(adviser, a, course_id=course["id"], referred_on="2024-04-02")
    first = refer(adviser, b, course_id=course["id"], referred_on="2024-04-03")
    second = refer(adviser, c, course_id=course["id"], referred_on="2024-04-04")
    for name, on in path:
        holder = step(adviser, a, holder, name, on).get_json()
    since = last_seq(db)
    extra = {"drop_reason": "CHILDCARE"} if end[0] == "dropped" else {}
    assert step(adviser, a, holder, *end, **extra).status_code == 200
    moved = adviser.get(referrals_url(b, f"/{first['id']}")).get_json()
    assert (moved["waitlisted"], moved["waiting_list_position"]) == (False, None)
    assert moved["version"] == first["version"] + 1
    still = adviser.get(referrals_url(c, f"/{second['id']}")).get_json()
    assert (still["waitlisted"], still["waiting_list_position"]) == (True, 1)
    logged = [e for e in events(db, since=since) if e["action"] == "course_referral.move_up"]
    assert [(e["object_id"], e["details"]["referral_id"]) for e in logged] == [
        (b["case_number"], first["id"].replace("-", ""))
    ]
    assert logged[0]["fields"] == []
    # The one moved up may now register.
    assert step(adviser, b, moved, "registered", "2024-05-02").status_code == 200


def test_a_cancelled_waitlisted_referral_leaves_the_list_only(adviser):
    course = new_course(adviser, capacity=1)
    a, b, c = files(adviser, 3)
    refer(adviser, a, course_id=course["id"], referred_on="2024-04-02")
    first = refer(adviser, b, course_id=course["id"], referred_on="2024-04-03")
    second = refer(adviser, c, course_id=course["id"], referred_on="2024-04-04")
    assert step(adviser, b, first, "cancelled", "2024-04-05").status_code == 200
    still = adviser.get(referrals_url(c, f"/{second['id']}")).get_json()
    assert (still["waitlisted"], still["waiting_list_position"]) == (True, 1)
    shown = adviser.get(f"{COURSES}/{course['id']}").get_json()
    assert (shown["places_taken"], shown["waiting_list"]) == (1, 1)


def test_more_capacity_moves_up_and_less_than_taken_is_refused(adviser, db):
    course = new_course(adviser, capacity=1)
    a, b, c = files(adviser, 3)
    for file, day in ((a, "2024-04-02"), (b, "2024-04-03"), (c, "2024-04-04")):
        refer(adviser, file, course_id=course["id"], referred_on=day)
    url = f"{COURSES}/{course['id']}"
    since = last_seq(db)
    bigger = adviser.patch(url, json={"version": 1, "capacity": 2}).get_json()
    assert (bigger["places_taken"], bigger["waiting_list"]) == (2, 1)
    assert [e["object_id"] for e in events(db, "course_referral.move_up", since=since)] == [
        b["case_number"]
    ]
    smaller = adviser.patch(url, json={"version": 2, "capacity": 1})
    assert smaller.status_code == 422
    assert "capacity" in smaller.get_json()["errors"]
