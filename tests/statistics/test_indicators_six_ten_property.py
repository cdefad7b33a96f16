"""Indicators 6 and 10 equal plain readings of their definitions on random records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgz.core.db import database, session_scope
from mgz.statistics import indicator_six, indicator_ten
from tests import factories
from tests.conftest import build_app
from tests.statistics.test_indicators_six_ten import MOVED, _started

TODAY = date(2026, 12, 1)
KINDS = ["SVB", "AUSBILDUNG", "MINIJOB", "SELBSTAENDIG", "OEFFENTLICH_GEFOERDERT",
         "EINSTIEGSQUALIFIZIERUNG", "PRAKTIKUM"]  # fmt: skip
SEEKER = {"AE_25_2_GFK": True, "GESTATTUNG": True, "AE_16B": False}
COURSES = {  # name: (course type, funding, offer counted by indicator 6 or None)
    "mama": ("MAMA_LERNT_DEUTSCH", "LANDKREIS", "mama_lernt_deutsch"),
    "treff": ("DEUTSCH_TREFF", "LANDKREIS", "deutsch_treff"),
    "lk_a": ("LK_SPRACHKURS", "LANDKREIS", "further_county_courses"),
    "lk_b": ("LK_SPRACHKURS", "LANDKREIS", "further_county_courses"),
    "bamf": ("ALLG", "BAMF_IK", None),
}
days = st.integers(0, 540).map(lambda n: date(2023, 6, 1) + timedelta(days=n))
placement = st.fixed_dictionaries(
    {
        "on": days,
        "kind": st.sampled_from(KINDS),
        "status": st.sampled_from(sorted(SEEKER)),
        "sgb2": st.booleans(),
    }
)
referral = st.fixed_dictionaries(
    {
        "course": st.sampled_from(sorted(COURSES)),
        # None: referred but never started.
        "started": st.one_of(st.none(), st.integers(7, 540)),
    }
)


@pytest.fixture(scope="module")
def empty_app(backend, tmp_path_factory):
    app = build_app(backend.new_database(), tmp_path_factory.mktemp("indicators-6-10-property"))
    yield app
    database(app).engine.dispose()


def _expected_ten(people, year):
    counted = {}
    for person, placements in enumerate(people):
        for p in sorted(placements, key=lambda p: (p["on"], p["kind"])):
            if (p["on"].year == year and p["kind"] in {"SVB", "AUSBILDUNG"}
                    and SEEKER[p["status"]] and p["sgb2"]):  # fmt: skip
                counted.setdefault((person, p["on"].month), p["kind"])
    return len(counted), {
        kind: list(counted.values()).count(kind) for kind in ("SVB", "AUSBILDUNG")
    }


def _expected_six(people, year):
    offers = {}
    for person, referrals in enumerate(people):
        for r in referrals:
            offer = COURSES[r["course"]][2]
            started = r["started"]
            if (
                offer
                and started is not None
                and ((date(2023, 12, 1) + timedelta(days=started)).year == year)
            ):
                offers.setdefault(offer, set()).add(person)
    return {offer: len(persons) for offer, persons in offers.items()}


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(people=st.lists(st.lists(placement, max_size=4), max_size=4))
def test_indicator_ten_matches_the_definition(empty_app, people):
    with empty_app.app_context(), session_scope(empty_app) as db:
        actor = factories.adviser_actor(factories.make_user(db))
        for placements in people:
            client = factories.make_client(db, actor, **MOVED)
            for p in placements:
                factories.make_placement(
                    db, actor, client, placed_on=p["on"].isoformat(), kind=p["kind"],
                    residence_status=p["status"], receives_sgb2=p["sgb2"],
                )  # fmt: skip
        db.flush()
        for figure in indicator_ten.compute(db, 2023, 2024, TODAY):
            total, kinds = _expected_ten(people, figure.year)
            assert figure.value == total
            assert figure.breakdowns == {
                "employment": kinds["SVB"],
                "vocational_training": kinds["AUSBILDUNG"],
            }
        db.rollback()


@SETTINGS
@given(people=st.lists(st.lists(referral, max_size=3), max_size=4))
def test_indicator_six_matches_the_definition(empty_app, people):
    with empty_app.app_context(), session_scope(empty_app) as db:
        actor = factories.adviser_actor(factories.make_user(db))
        courses = {
            name: factories.make_course(
                db, actor, course_type=kind, funding=funding, starts_on="2023-12-01"
            )  # fmt: skip
            for name, (kind, funding, _offer) in COURSES.items()
        }
        for referrals in people:
            client = factories.make_client(db, actor, **MOVED)
            for r in referrals:
                course = courses[r["course"]]
                if r["started"] is None:
                    factories.make_referral(db, actor, client, course, referred_on="2023-12-01")
                    continue
                started = date(2023, 12, 1) + timedelta(days=r["started"])
                referred = started - timedelta(days=7)
                _started(db, actor, client, course, referred=referred.isoformat(),
                         started=started.isoformat())  # fmt: skip
        db.flush()
        for figure in indicator_six.compute(db, 2023, 2025, TODAY):
            expected = _expected_six(people, figure.year)
            assert {k: v for k, v in figure.breakdowns.items() if v} == expected
            assert figure.value == sum(expected.values())
        db.rollback()
