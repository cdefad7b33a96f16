"""Indicator 1 on hand-built files with known answers at every boundary, both databases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mgz.clients import service as clients_service
from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.clients.schemas import ClientUpdateSchema
from mgz.core.actor import Actor
from mgz.core.db import database, session_scope
from mgz.statistics import indicators, reference_figures
from mgz.statistics.reference_figures import FigureValues
from tests import factories
from tests.conftest import build_app, events

TODAY = date(2026, 12, 1)


def _file(db, actor, *, born="1990-01-01", moved="2018-05-01", first=None, **overrides):
    values: dict[str, Any] = {
        "birth_date": born,
        "entered_germany_on": "2018-01-02" if moved >= "2018-01-02" else moved,
        "moved_in_on": moved,
        "moved_in_from_abroad": True,
        "nationality": ["SY"],
        "residence_status": "AE_16B",
        **overrides,
    }
    client = factories.make_client(db, actor, **values)
    if first is not None:
        factories.make_consultation(db, actor, client, kind="first", held_on=first)
    return client


@pytest.fixture(scope="module")
def population(backend, tmp_path_factory):
    """A fresh database with one file per boundary (nothing else in it)."""
    app = build_app(backend.new_database(), tmp_path_factory.mktemp("indicator-one"))
    with app.app_context(), session_scope(app) as db:
        actor = factories.adviser_actor(factories.make_user(db))
        # Counted: 21 exactly on the move-in day, first talk on the last day of the window.
        _file(db, actor, born="1997-05-01", moved="2018-05-01", first="2019-03-31")
        # Counted: other third-country national, early in the window.
        _file(db, actor, moved="2018-02-01", first="2018-02-10")
        # Counted as a protection seeker although the status changed afterwards.
        seeker = _file(
            db, actor, moved="2018-03-01", first="2018-03-05", residence_status="AE_25_2_GFK"
        )
        data = ClientUpdateSchema().load({"version": seeker.version, "residence_status": "AE_16B"})
        clients_service.update_client(CaseAccess(db, actor, AccessPolicy("team")), seeker.id, data)
        # Not counted: one day short of 21 on the move-in day.
        _file(db, actor, born="1997-05-02", moved="2018-05-01", first="2018-06-01")
        # Not counted: first talk one day after the window.
        _file(db, actor, moved="2018-05-01", first="2019-04-01")
        # Not counted: first talk on 31 December of the year before.
        _file(db, actor, moved="2018-01-10", first="2017-12-31")
        # Not counted: EU citizen; moved from elsewhere in Germany; no first talk.
        _file(db, actor, first="2018-06-01", nationality=["PL"], residence_status="EU_FREIZUEGIG")
        _file(db, actor, first="2018-06-01", moved_in_from_abroad=False)
        _file(db, actor)
        # Beside the indicator: stateless.
        _file(db, actor, first="2018-06-01", nationality=["XX"])
        # Another year: moved in 2019.
        _file(db, actor, moved="2019-01-05", first="2019-01-20")
        db.commit()
    yield app
    database(app).engine.dispose()


def _read(app, year=None, first=None, last=None):
    with app.app_context(), session_scope(app) as db:
        report = indicators.read_indicator(
            db, Actor.system("tests"), 1, year=year, first=first, last=last, today=TODAY
        )
        db.commit()
        return report


def test_numerator_breakdowns_and_those_beside(population):
    [figure] = _read(population, year=2018).years
    assert figure.numerator == 3
    assert figure.breakdowns == {"protection_seekers": 1, "other_third_country_nationals": 2}
    assert figure.beside == {"stateless": 1, "unknown": 0}
    assert figure.provisional is False


def test_without_denominator_there_is_no_value_and_a_reason(population):
    [figure] = _read(population, year=2019).years
    assert figure.numerator == 1
    assert (figure.denominator, figure.value) == (None, None)
    assert "new_third_country_nationals_21plus" in figure.reason


def test_the_newest_reference_figure_is_the_denominator(population):
    with population.app_context(), session_scope(population) as db:
        actor = Actor.system("tests")
        for value in (10, 12):
            values = FigureValues(value=value, source="Fachdienst Ordnung", as_of=date(2019, 2, 1))
            reference_figures.set_figure(
                db, actor, "new_third_country_nationals_21plus", 2018, values, TODAY
            )
        db.commit()
        versions = reference_figures.history(db, "new_third_country_nationals_21plus")
        assert [(f.year, f.version, f.value) for f in versions] == [(2018, 1, 10), (2018, 2, 12)]
        assert [e["details"]["version"] for e in events(db, "statistics.reference_figure.set")][
            -2:
        ] == [1, 2]
    report = _read(population, first=2018, last=2019)
    by_year = {f.year: f for f in report.years}
    assert (by_year[2018].denominator, by_year[2018].value) == (12, 25.0)
    assert by_year[2018].denominator_source["version"] == 2
    assert by_year[2019].value is None


def test_provisional_until_the_window_has_closed(population):
    from mgz.statistics import indicator_one

    with session_scope(population) as db:
        on_last_day = indicator_one.compute(db, 2025, 2025, date(2026, 3, 31))
        day_after = indicator_one.compute(db, 2025, 2025, date(2026, 4, 1))
    assert [f.provisional for f in on_last_day + day_after] == [True, False]


def test_every_read_is_audited_with_the_years(population):
    _read(population, first=2016, last=2018)
    with session_scope(population) as db:
        event = events(db, "statistics.indicator.read")[-1]
    assert event["details"] == {"indicator": 1, "from": 2016, "to": 2018}
    assert event["fields"] == []
