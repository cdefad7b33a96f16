"""The demo's KIM data: every group, every state, places respected, steps in order."""

from collections import Counter

from sqlalchemy import select

from mgz.core.actor import Actor
from mgz.core.unit_of_work import work_scope
from mgz.courses.models import Course, CourseReferral
from mgz.courses.synthetic import demo_kim, seed_kim
from mgz.courses.workflow import PLACE_STATUSES, STATUSES
from mgz.reference import service as reference
from tests.factories import make_caseload


def test_demo_kim_data_is_a_working_board(app, db):
    with app.app_context():
        make_caseload(db, 200, seed=2026)  # the demo's size and seed
        made = seed_kim(db, Actor.system("tests"), seed=2026)
    courses = list(db.scalars(select(Course)))
    referrals = list(db.scalars(select(CourseReferral)))
    assert made.courses == len(courses)
    groups = {reference.group_of(db, "course_type", c.course_type) for c in courses}
    assert groups == {
        "integration_course",
        "job_language_course",
        "county_language_course",
        "land_course",
        "volunteer_offer",
    }
    county = {c.municipality for c in courses if c.funding == "LANDKREIS"}
    assert len(county) >= 5
    statuses = Counter(r.status for r in referrals)
    assert set(statuses) == set(STATUSES), statuses
    common = sum(statuses[s] for s in ("referred", "registered", "started", "completed"))
    assert common > 0.6 * len(referrals)
    assert statuses["dropped"] + statuses["no_show"] < 0.25 * len(referrals)
    assert any(r.waitlisted for r in referrals)
    by_course = Counter(
        r.course_id for r in referrals if r.status in PLACE_STATUSES and not r.waitlisted
    )
    capacity = {c.id: c.capacity for c in courses}
    assert all(n <= capacity[course] for course, n in by_course.items() if course)
    for referral in referrals:
        steps = [(s.status, s.status_on) for s in referral.steps]
        assert steps[-1] == (referral.status, referral.status_on)
        assert [on for _, on in steps] == sorted(on for _, on in steps)
        if referral.started_on:
            assert referral.waiting_days == (referral.started_on - referral.referred_on).days
        if referral.course_type == "MAMA_LERNT_DEUTSCH":
            assert referral.client_id is not None
    assert made.referrals == dict(statuses)


def test_the_demo_step_commits_once_and_then_leaves_the_catalogue_alone(backend, make_app):
    app = make_app(backend.new_database(), MODE="demo")
    with app.app_context(), work_scope(app) as session:
        make_caseload(session, 60, seed=3)
    lines = demo_kim(app)
    assert len(lines) == 1
    assert "Kursvermittlungen" in lines[0]
    with work_scope(app) as session:
        courses = len(list(session.scalars(select(Course.id))))
        referrals = len(list(session.scalars(select(CourseReferral.id))))
    assert courses > 0
    assert referrals > 0
    assert demo_kim(app) == []
    with work_scope(app) as session:
        assert len(list(session.scalars(select(Course.id)))) == courses
