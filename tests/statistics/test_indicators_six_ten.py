"""Indicators 6 and 10 on hand-built records with known answers, on both databases."""

from __future__ import annotations

from datetime import date

import pytest

from mgz.clients import service as clients_service
from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.clients.schemas import ClientUpdateSchema
from mgz.core.actor import Actor
from mgz.core.db import database, session_scope
from mgz.courses import referrals
from mgz.courses.schemas import ReferralUpdateSchema
from mgz.statistics import indicators, reference_figures
from mgz.statistics.reference_figures import FigureValues
from tests import factories
from tests.conftest import build_app

TODAY = date(2026, 12, 1)
MOVED = {"entered_germany_on": "2023-05-01", "moved_in_on": "2023-06-01"}


def _client(db, actor, **overrides):
    return factories.make_client(db, actor, **{**MOVED, **overrides})


def _started(db, actor, client, course, *, referred, started):
    referral = factories.make_referral(db, actor, client, course, referred_on=referred)
    case = CaseAccess(db, actor, AccessPolicy("team"))
    for status, on in (("registered", referred), ("started", started)):
        data = ReferralUpdateSchema().load(
            {"version": referral.version, "status": status, "status_on": on}
        )
        referral = referrals.update_referral(case, client.id, referral.id, data)
    return referral


@pytest.fixture(scope="module")
def records(backend, tmp_path_factory):
    app = build_app(backend.new_database(), tmp_path_factory.mktemp("indicators-6-10"))
    with app.app_context(), session_scope(app) as db:
        actor = factories.adviser_actor(factories.make_user(db))
        course = {
            name: factories.make_course(
                db, actor, course_type=kind, funding=funding, starts_on=start
            )  # fmt: skip
            for name, kind, funding, start in (
                ("mama", "MAMA_LERNT_DEUTSCH", "LANDKREIS", "2023-12-01"),
                ("treff", "DEUTSCH_TREFF", "LANDKREIS", "2024-01-01"),
                ("lk_a", "LK_SPRACHKURS", "LANDKREIS", "2024-01-01"),
                ("lk_b", "LK_SPRACHKURS", "LANDKREIS", "2024-01-01"),
                ("bamf", "ALLG", "BAMF_IK", "2024-01-01"),
            )
        }
        # Indicator 6. One person in two offers: counted in both, once as a person.
        both = _client(db, actor)
        _started(db, actor, both, course["mama"], referred="2024-04-02", started="2024-05-06")
        _started(db, actor, both, course["treff"], referred="2024-05-02", started="2024-06-03")
        # Two courses of one offer: counted once.
        twice = _client(db, actor)
        _started(db, actor, twice, course["lk_a"], referred="2024-02-01", started="2024-02-05")
        _started(db, actor, twice, course["lk_b"], referred="2024-08-01", started="2024-09-02")
        # Never started; a course not funded by the county; started the year before.
        factories.make_referral(db, actor, _client(db, actor), course["mama"],
                                referred_on="2024-03-01")  # fmt: skip
        _started(db, actor, _client(db, actor), course["bamf"], referred="2024-03-01",
                 started="2024-03-04")  # fmt: skip
        _started(db, actor, _client(db, actor), course["mama"], referred="2023-12-01",
                 started="2023-12-04")  # fmt: skip

        # Indicator 10 (protection seekers on SGB II by the snapshot unless said).
        seeker = _client(db, actor)
        factories.make_placement(db, actor, seeker, placed_on="2024-03-10", kind="SVB")
        # Same person, same month: not counted again; next month: counted.
        factories.make_placement(db, actor, seeker, placed_on="2024-03-20", kind="AUSBILDUNG")
        factories.make_placement(db, actor, seeker, placed_on="2024-04-02", kind="AUSBILDUNG")
        for kind, overrides in (
            ("MINIJOB", {}),
            ("EINSTIEGSQUALIFIZIERUNG", {}),
            ("SVB", {"receives_sgb2": False}),
        ):
            factories.make_placement(db, actor, _client(db, actor), placed_on="2024-05-02",
                                     kind=kind, **overrides)  # fmt: skip
        eu = _client(db, actor, nationality=["PL"], residence_status="EU_FREIZUEGIG")
        factories.make_placement(db, actor, eu, placed_on="2024-05-02", kind="SVB")
        factories.make_placement(db, actor, _client(db, actor), placed_on="2023-11-02", kind="SVB")
        # Counted by the snapshot although the file's status changed afterwards.
        later = _client(db, actor)
        factories.make_placement(db, actor, later, placed_on="2024-06-03", kind="SVB")
        data = ClientUpdateSchema().load(
            {"version": later.version, "residence_status": "AE_16B", "receives_sgb2": False}
        )
        clients_service.update_client(CaseAccess(db, actor, AccessPolicy("team")), later.id, data)
        reference_figures.set_figure(
            db, Actor.system("tests"), "published_indicator_10", 2018,
            FigureValues(272, "Jobcenter, Integrationskonzept", date(2019, 3, 1)), TODAY,
        )  # fmt: skip
        db.commit()
    yield app
    database(app).engine.dispose()


def _years(app, number, first, last):
    with app.app_context(), session_scope(app) as db:
        report = indicators.read_indicator(
            db, Actor.system("tests"), number, first=first, last=last, today=TODAY
        )
        db.commit()
    return {figure.year: figure for figure in report.years}


def test_indicator_six_counts_per_offer_and_person(records):
    figures = _years(records, 6, 2023, 2024)
    year = figures[2024]
    assert year.breakdowns == {
        "mama_lernt_deutsch": 1,
        "deutsch_treff": 1,
        "further_county_courses": 1,
    }
    assert (year.value, year.distinct_persons) == (3.0, 2)
    assert figures[2023].breakdowns["mama_lernt_deutsch"] == 1
    assert figures[2023].value == 1.0


def test_indicator_ten_counts_one_per_person_and_month_by_the_snapshot(records):
    figures = _years(records, 10, 2018, 2024)
    year = figures[2024]
    assert year.value == 3.0
    assert year.breakdowns == {"employment": 2, "vocational_training": 1}
    assert year.distinct_persons == 2
    assert figures[2023].value == 1.0
    assert (figures[2023].cumulative, figures[2024].cumulative) == (1, 4)
    # A published figure of a year before mgz stands beside it, never in it.
    assert figures[2018].published == {"indicator_10": 272}
    assert (figures[2018].value, figures[2018].cumulative) == (0.0, 0)


def test_a_series_starting_after_2017_still_counts_cumulatively_from_2017(records):
    figures = _years(records, 10, 2024, 2024)
    assert figures[2024].cumulative == 4


def test_provisional_until_the_year_has_ended(records):
    with session_scope(records) as db:
        from mgz.statistics import indicator_six, indicator_ten

        for compute in (indicator_six.compute, indicator_ten.compute):
            flags = [
                compute(db, 2025, 2025, day)[0].provisional
                for day in (date(2025, 12, 31), date(2026, 1, 1))
            ]
            assert flags == [True, False]
