"""The KIM report on both databases: exact for advisers, suppressed for statisticians."""

import pytest

from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.courses import referrals
from mgz.courses.schemas import ReferralUpdateSchema
from mgz.statistics.suppression import recomputable
from tests.conftest import events, last_seq
from tests.factories import adviser_actor, make_client, make_course, make_referral

REPORT = "/api/v1/courses/report"
MELLE, BRAMSCHE = "03459024", "03459014"


def advance(db, actor, referral, *steps):
    case = CaseAccess(db, actor, AccessPolicy("team"))
    for status, on, *extra in steps:
        body = {"version": referral.version, "status": status, "status_on": on}
        body.update(*extra)
        referral = referrals.update_referral(
            case, referral.client_id, referral.id, ReferralUpdateSchema().load(body)
        )
    return referral


@pytest.fixture
def caseload(app, db, adviser):
    """Referrals in two municipalities; waiting times 10, 20, 40 (Melle) and 10, 20 (Bramsche)."""
    with app.app_context():
        return _caseload(db, adviser_actor(adviser.user))


def _caseload(db, actor):
    course = make_course(db, actor, capacity=4, municipality=MELLE)
    started = []
    for place, waits in ((MELLE, (10, 20, 40)), (BRAMSCHE, (10, 20))):
        for wait in waits:
            client = make_client(db, actor, municipality=place)
            referral = make_referral(db, actor, client, referred_on="2024-01-01",
                                     course_type="LK_SPRACHKURS")  # fmt: skip
            on = f"2024-01-{1 + wait:02d}" if wait < 31 else f"2024-02-{wait - 30:02d}"
            started.append(
                advance(db, actor, referral, ("registered", "2024-01-01"), ("started", on))
            )
    # Open referrals to the course: four places, the fifth waits.
    for index in range(5):
        client = make_client(db, actor, municipality=MELLE)
        make_referral(db, actor, client, course, childcare_needed=index < 3,
                      mobility_barrier=index == 0)  # fmt: skip
    client = make_client(db, actor, municipality=BRAMSCHE)
    make_referral(db, actor, client, referred_on=None, course_type="ALLG", childcare_needed=True)
    return course


def cell(table, row, column):
    return table["cells"][table["rows"].index(row)][table["columns"].index(column)]


def test_advisers_see_the_exact_figures(adviser, caseload, db):
    since = last_seq(db)
    response = adviser.get(REPORT)
    assert response.status_code == 200
    report = response.get_json()
    assert report["suppressed"] is False
    open_ = report["open_referrals"]
    assert cell(open_, "DEUTSCH_TREFF", MELLE) == 5
    assert cell(open_, "ALLG", BRAMSCHE) == 1
    assert open_["total"] == 6
    waiting = report["waiting_time"]
    assert cell(waiting, "LK_SPRACHKURS", MELLE) == 3
    assert cell(waiting, "LK_SPRACHKURS", BRAMSCHE) == 2
    medians = waiting["median_days"][waiting["rows"].index("LK_SPRACHKURS")]
    by_place = dict(zip(waiting["columns"], medians, strict=True))
    assert by_place == {BRAMSCHE: 15.0, MELLE: 20.0}  # even n: mean of the middle two
    needs = report["unmet_needs"]
    assert cell(needs, MELLE, "childcare") == 3
    assert cell(needs, MELLE, "mobility") == 1
    assert cell(needs, BRAMSCHE, "childcare") == 1
    places = report["courses"]
    row = places["rows"].index(str(caseload.id))
    assert places["cells"][row] == [4, 1]
    assert places["courses"][row]["capacity"] == 4
    logged = events(db, since=since)
    assert [(e["action"], e["details"]["suppressed"]) for e in logged] == [("course.report", False)]


def test_statisticians_see_no_cell_of_one_or_two_and_nothing_recomputable(login_as, caseload, db):
    report = login_as("statistician").get(REPORT).get_json()
    assert report["suppressed"] is True
    assert report["threshold"] == 3
    for name in ("open_referrals", "waiting_time", "unmet_needs", "courses"):
        table = report[name]
        grid = [
            [*row, total] for row, total in zip(table["cells"], table["row_totals"], strict=True)
        ] + [[*table["column_totals"], table["total"]]]
        hidden = {(r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if v == "x"}
        assert all(v == "x" or v == 0 or v >= 3 for row in grid for v in row), name
        assert recomputable(hidden) == [], name
    open_ = report["open_referrals"]
    assert cell(open_, "ALLG", BRAMSCHE) == "x"
    waiting = report["waiting_time"]
    medians = dict(
        zip(
            waiting["columns"],
            waiting["median_days"][waiting["rows"].index("LK_SPRACHKURS")],
            strict=True,
        )
    )
    assert medians[BRAMSCHE] == "x"  # two cases: its median is hidden with its count
    assert cell(report["unmet_needs"], MELLE, "childcare") in (3, "x")


def test_the_threshold_is_a_setting(make_app, database_url, caseload, db):
    app = make_app(database_url, STATISTICS_SUPPRESSION_THRESHOLD=5)
    assert app.config["STATISTICS_SUPPRESSION_THRESHOLD"] == 5


@pytest.mark.parametrize(
    ("role", "status"),
    [("adviser", 200), ("statistician", 200), ("admin", 403), ("auditor", 403), (None, 401)],
)
def test_who_may_read_the_report(app, login_as, role, status):
    http = login_as(role) if role else app.test_client()
    response = http.get(REPORT)
    assert response.status_code == status
