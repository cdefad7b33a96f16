"""The list of six-month follow-ups due: own files only, by due date, on both databases."""

from datetime import date

from mgz.clients.access import AccessPolicy
from mgz.placements import service
from tests import factories
from tests.conftest import events, last_seq

DUE = "/api/v1/placements/follow-ups-due"


def test_six_months_after_keeps_the_day_or_takes_the_month_end():
    assert service.six_months_after(date(2024, 1, 15)) == date(2024, 7, 15)
    assert service.six_months_after(date(2024, 8, 31)) == date(2025, 2, 28)
    assert service.six_months_after(date(2023, 8, 31)) == date(2024, 2, 29)
    assert service.six_months_after(date(2024, 12, 31)) == date(2025, 6, 30)


def test_follow_ups_due_are_the_advisers_own_by_due_date(app, adviser, other_adviser, db):
    me = factories.adviser_actor(adviser.user)
    them = factories.adviser_actor(other_adviser.user)
    with app.app_context():
        mine = factories.make_client(db, me)
        theirs = factories.make_client(db, them)
        late = factories.make_placement(db, me, mine, placed_on="2024-04-02")
        early = factories.make_placement(db, me, mine, placed_on="2024-03-20", kind="AUSBILDUNG")
        done = factories.make_placement(db, me, mine, placed_on="2024-03-25")
        factories.make_placement(db, me, mine, placed_on="2024-11-01")  # due 2025-05-01
        factories.make_placement(db, them, theirs, placed_on="2024-03-20")
        done.still_employed, done.follow_up_checked_on = "yes", date(2024, 10, 1)
        db.flush()

    since = last_seq(db)
    response = adviser.get(DUE, query_string={"until": "2025-01-31"})
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["placement_id"] for i in items] == [str(early.id), str(late.id)]
    assert [i["follow_up_due_on"] for i in items] == ["2024-09-20", "2024-10-02"]
    assert items[0]["case_number"] == mine.case_number
    assert set(items[0]) == {
        "placement_id", "client_id", "case_number", "placed_on", "kind", "follow_up_due_on"
    }  # fmt: skip
    (logged,) = events(db, since=since)
    assert logged["action"] == "placement.follow_ups_due"
    assert logged["details"]["count"] == 2
    assert logged["fields"] == []

    # The other adviser sees only their own file's placement.
    theirs_due = other_adviser.get(DUE, query_string={"until": "2025-01-31"}).get_json()["items"]
    assert [i["client_id"] for i in theirs_due] == [str(theirs.id)]
    # Under the team policy every file counts.
    team = service.follow_ups_due(db, them, AccessPolicy("team"), date(2025, 1, 31))
    assert len(team) == 3


def test_a_bad_until_is_422(adviser):
    response = adviser.get(DUE, query_string={"until": "morgen"})
    assert response.status_code == 422
    assert "until" in response.get_json()["errors"]
