"""Indicator 1 equals a plain reading of its definition on random populations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgz.core.db import database, session_scope
from mgz.statistics import indicator_one
from tests import factories
from tests.conftest import build_app

TODAY = date(2026, 12, 1)
NATIONALITIES = {"SY": "third_country", "PL": "eu", "XX": "stateless", "ZZ": "unknown"}
STATUSES = {"AE_16B": False, "AE_25_2_GFK": True}

person = st.fixed_dictionaries(
    {
        "moved": st.dates(date(2017, 11, 1), date(2019, 2, 28)),
        # Around the 21st birthday on the move-in day, and far from it.
        "age_days": st.one_of(
            st.integers(21 * 365 - 3, 21 * 365 + 8), st.integers(16 * 365, 60 * 365)
        ),
        "abroad": st.booleans(),
        "nationality": st.sampled_from(sorted(NATIONALITIES)),
        "status": st.sampled_from(sorted(STATUSES)),
        # Days from move-in to the first consultation (None: none yet).
        "first_after": st.one_of(st.none(), st.integers(-60, 520)),
    }
)


def _age(born: date, day: date) -> int:
    """Written independently of the application: count birthdays passed."""
    years = 0
    while True:
        try:
            next_birthday = born.replace(year=born.year + years + 1)
        except ValueError:  # 29 February in a year without it: the year ends on 1 March
            next_birthday = date(born.year + years + 1, 3, 1)
        if next_birthday > day:
            return years
        years += 1


def _expected(people: list[dict], year: int) -> tuple[int, int, int]:
    seekers = others = stateless = 0
    for p in people:
        born = p["moved"] - timedelta(days=p["age_days"])
        first = (
            p["moved"] + timedelta(days=p["first_after"]) if p["first_after"] is not None else None
        )
        if not (p["abroad"] and p["moved"].year == year and _age(born, p["moved"]) >= 21):
            continue
        if first is None or not date(year, 1, 1) <= first <= date(year + 1, 3, 31):
            continue
        group = NATIONALITIES[p["nationality"]]
        if group == "third_country":
            if STATUSES[p["status"]]:
                seekers += 1
            else:
                others += 1
        elif group == "stateless":
            stateless += 1
    return seekers, others, stateless


@pytest.fixture(scope="module")
def empty_app(backend, tmp_path_factory):
    app = build_app(backend.new_database(), tmp_path_factory.mktemp("indicator-one-property"))
    yield app
    database(app).engine.dispose()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=st.lists(person, max_size=12))
def test_indicator_one_matches_the_definition(empty_app, people):
    with empty_app.app_context(), session_scope(empty_app) as db:
        actor = factories.adviser_actor(factories.make_user(db))
        for p in people:
            born = p["moved"] - timedelta(days=p["age_days"])
            client = factories.make_client(
                db, actor, birth_date=born.isoformat(), entered_germany_on=None,
                moved_in_on=p["moved"].isoformat(), moved_in_from_abroad=p["abroad"],
                nationality=[p["nationality"]], residence_status=p["status"],
            )  # fmt: skip
            if p["first_after"] is not None:
                held = p["moved"] + timedelta(days=p["first_after"])
                factories.make_consultation(
                    db, actor, client, kind="first", held_on=held.isoformat()
                )
        db.flush()
        for year in (2018, 2019):
            [figure] = indicator_one.compute(db, year, year, TODAY)
            seekers, others, stateless = _expected(people, year)
            assert figure.breakdowns == {
                "protection_seekers": seekers,
                "other_third_country_nationals": others,
            }
            assert figure.numerator == seekers + others
            assert figure.beside["stateless"] == stateless
        db.rollback()
