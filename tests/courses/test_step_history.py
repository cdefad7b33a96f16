"""The kept steps answer indicator 6 from statistical columns, and later steps never erase them.

Indicator 6 (year Y): people whose referral to a county-funded course reached
``started`` in Y, once per person per offer. The query below reads only the
statistical tables (as mgz.statistics will), so the history must hold everything.
"""

from sqlalchemy import distinct, extract, func, select

from mgz.core.classification import statistical_table
from mgz.core.db import Base
from tests.courses.conftest import new_course, refer, step


def indicator_6(db, year):
    steps = statistical_table(
        Base.metadata, "course_referral_steps", "statistical", "pseudonymous", "technical"
    )
    courses = statistical_table(Base.metadata, "courses", "statistical", "technical")
    rows = db.execute(
        select(steps.c.course_type, func.count(distinct(steps.c.client_id)))
        .join(courses, courses.c.id == steps.c.course_id)
        .where(
            steps.c.status == "started",
            extract("year", steps.c.status_on) == year,
            courses.c.funding == "LANDKREIS",
        )
        .group_by(steps.c.course_type)
    )
    return dict(rows.all())


def test_started_in_a_year_stays_counted_after_later_steps(adviser, file, db):
    county = new_course(adviser, course_type="MAMA_LERNT_DEUTSCH", starts_on="2024-11-01")
    bamf = new_course(adviser, course_type="ALLG", funding="BAMF_IK", starts_on="2024-11-01")
    referral = refer(adviser, file, course_id=county["id"], referred_on="2024-10-01")
    referral = step(adviser, file, referral, "registered", "2024-10-15").get_json()
    referral = step(adviser, file, referral, "started", "2024-12-02").get_json()
    other = refer(adviser, file, course_id=bamf["id"], referred_on="2024-10-01")
    other = step(adviser, file, other, "registered", "2024-10-15").get_json()
    step(adviser, file, other, "started", "2024-12-02")
    assert indicator_6(db, 2024) == {"MAMA_LERNT_DEUTSCH": 1}
    dropped = step(adviser, file, referral, "dropped", "2025-01-20", drop_reason="CHILDCARE")
    assert dropped.status_code == 200
    assert dropped.get_json()["status"] == "dropped"
    # The referral's status moved on; the step of 2024 is still there.
    assert indicator_6(db, 2024) == {"MAMA_LERNT_DEUTSCH": 1}
    assert indicator_6(db, 2025) == {}
    assert [s["status"] for s in dropped.get_json()["history"]] == [
        "referred",
        "registered",
        "started",
        "dropped",
    ]
