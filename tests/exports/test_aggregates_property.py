"""The aggregate export over random populations, on both databases (hypothesis).

For every random population: no published cell lies in 1..threshold-1; no hidden
cell can be recomputed from all published equations of its linked set (the
independent solver of tests/exports/solving.py, reading the tables as released);
zeros are shown as 0; every published number is the true one, and the totals
(threshold 1, nothing hidden) equal a plain count over the records made.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgz.core.actor import Actor
from mgz.core.db import database, session_scope
from mgz.crypto import service as crypto_service
from mgz.exports.aggregates import build_aggregates
from tests import factories
from tests.conftest import build_app
from tests.exports.solving import MARK, recomputable

YEARS = (2023, 2024)
MOVED = {"entered_germany_on": "2022-05-01", "moved_in_on": "2022-06-01"}
days = st.integers(0, 729).map(lambda n: date(2023, 1, 1) + timedelta(days=n))
person = st.fixed_dictionaries(
    {
        "gender": st.sampled_from(["female", "male"]),
        "eu": st.booleans(),
        "municipality": st.sampled_from(["03459024", "03459014", "03459003"]),
        "born": st.sampled_from(["1960-03-01", "1990-04-12", "2008-05-05"]),
        "first": st.one_of(st.none(), days),
        "follow_ups": st.lists(days, max_size=2),
        "placements": st.lists(st.tuples(days, st.sampled_from(["SVB", "MINIJOB"])), max_size=2),
        "benefit": st.one_of(st.none(), st.tuples(days, st.one_of(st.none(), st.integers(0, 400)))),
        "erased": st.booleans(),
    }
)


@pytest.fixture(scope="module")
def empty_app(backend, tmp_path_factory):
    app = build_app(backend.new_database(), tmp_path_factory.mktemp("aggregates-property"))
    yield app
    database(app).engine.dispose()


def _populate(db, people):
    actor = factories.adviser_actor(factories.make_user(db))
    for p in people:
        nation = {"nationality": ["PL"], "residence_status": "EU_FREIZUEGIG"} if p["eu"] else {}
        client = factories.make_client(
            db, actor, **MOVED, **nation, gender=p["gender"], municipality=p["municipality"],
            birth_date=p["born"],
        )  # fmt: skip
        if p["first"] is not None:
            factories.make_consultation(
                db, actor, client, kind="first", held_on=p["first"].isoformat()
            )
        for on in p["follow_ups"]:
            factories.make_consultation(db, actor, client, held_on=on.isoformat())
        for on, kind in p["placements"]:
            factories.make_placement(db, actor, client, placed_on=on.isoformat(), kind=kind)
        if p["benefit"] is not None:
            start, length = p["benefit"]
            end = None if length is None else (start + timedelta(days=length)).isoformat()
            factories.make_benefit(db, actor, client, from_on=start.isoformat(), to_on=end)
        if p["erased"]:
            crypto_service.shred(db, Actor.system("tests"), client.id)
    db.flush()


def _expected_totals(people):
    """Year totals of four measures, counted plainly from the records made."""

    def per_year(dates_of):
        return [sum(1 for p in people for on in dates_of(p) if on.year == y) for y in YEARS]

    def persons(dates_of):
        return [sum(1 for p in people if any(on.year == y for on in dates_of(p))) for y in YEARS]

    def benefit_years(p):
        if p["benefit"] is None:
            return []
        start, length = p["benefit"]
        last = YEARS[-1] if length is None else (start + timedelta(days=length)).year
        return [date(y, 6, 1) for y in range(start.year, last + 1)]

    return {
        "beratene_personen": persons(
            lambda p: [*([p["first"]] if p["first"] else []), *p["follow_ups"]]
        ),  # fmt: skip
        "erstberatungen": per_year(lambda p: [p["first"]] if p["first"] else []),
        "vermittlungen": per_year(lambda p: [on for on, _kind in p["placements"]]),
        "leistungsbezug": persons(benefit_years),
    }


def _numbers(table):
    """The published numbers (margins included) of a table, without its key columns."""
    keys = len(table.columns) - len(YEARS) - 1
    return [list(row[keys:]) for row in table.rows()]


def _linked_sets(release):
    sets = {}
    for table in release.tables:
        sets.setdefault(release.manifest["tables"][table.name]["linked_set"], []).append(table)
    return sets


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(people=st.lists(person, max_size=8), threshold=st.integers(2, 4))
def test_released_tables_protect_every_small_cell(empty_app, people, threshold):
    with empty_app.app_context(), session_scope(empty_app) as db:
        _populate(db, people)
        true = build_aggregates(db, first_year=YEARS[0], last_year=YEARS[-1], threshold=1)
        shown = build_aggregates(db, first_year=YEARS[0], last_year=YEARS[-1], threshold=threshold)
        db.rollback()
    truth = {table.name: _numbers(table) for table in true.tables}
    for name, totals in _expected_totals(people).items():
        assert truth[f"{name}__geschlecht"][-1] == [*totals, sum(totals)]
    for table in true.tables:  # threshold 1 hides nothing
        assert not any(v == MARK for row in truth[table.name] for v in row)
    for name, tables in _linked_sets(shown).items():
        published = [_numbers(table) for table in tables]
        for table, numbers in zip(tables, published, strict=True):
            for row, true_row in zip(numbers, truth[table.name], strict=True):
                for value, real in zip(row, true_row, strict=True):
                    assert value in (MARK, real)  # a number shown is the true one
                    assert value != MARK or real > 0  # zeros are shown as zeros
                    assert value == MARK or not 0 < value < threshold
        assert recomputable(published) == [], name
        assert len({tuple(numbers[-1]) for numbers in published}) == 1, name
