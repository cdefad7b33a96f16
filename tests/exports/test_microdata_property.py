"""Every microdata export of a random population is k-anonymous and leaks no personal value.

Populations come from the synthetic generator (``make_caseload``: clients with
consultations, placements, benefits and measures, reproducible from a seed), each in
a transaction rolled back after the example. The checks are plain recounts written
here: who is in the period is counted from the records, each person's finest
quasi-identifiers are read from the client file and generalised to the levels the
manifest names, and the released rows are compared with that count class by class.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from mgz.clients.models import Client
from mgz.consultations.models import Consultation
from mgz.core.db import database
from mgz.exports.anonymity import NotAnonymisableError
from mgz.exports.microdata import ExportChangedError, build_microdata, hierarchies
from mgz.exports.microdata_query import QI_COLUMNS, VALUE_COLUMNS, shuffled_rows
from mgz.placements.models import Measure
from tests import factories
from tests.conftest import build_app

QI = slice(1, 7)
BENEFITS = 14


@pytest.fixture(scope="module")
def empty_app(backend, tmp_path_factory):
    app = build_app(backend.new_database(), tmp_path_factory.mktemp("microdata-property"))
    yield app
    database(app).engine.dispose()


@contextmanager
def rolled_back(app) -> Iterator[Session]:
    """A session whose commits are savepoints of one transaction rolled back at the end."""
    with app.app_context():
        connection = database(app).engine.connect()
        outer = connection.begin()
        session = Session(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield session
        finally:
            session.close()
            outer.rollback()
            connection.close()


def _population(db: Session, first_year: int, last_year: int) -> list[Client]:
    """Clients with a consultation in the period, read plainly (ORM, decrypted)."""
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    firsts: dict[uuid.UUID, date] = {}
    for client_id, held_on in db.execute(
        select(Consultation.client_id, Consultation.held_on).where(
            Consultation.held_on.between(start, end)
        )
    ):
        firsts[client_id] = min(held_on, firsts.get(client_id, held_on))
    clients = db.scalars(select(Client).where(Client.id.in_(firsts))).all()
    for client in clients:
        client.first_year_in_period = firsts[client.id].year  # type: ignore[attr-defined]
    return list(clients)


def _finest(client: Client) -> tuple:
    age = client.first_year_in_period - client.birth_year  # type: ignore[attr-defined]
    return (
        age if age >= 0 else None,
        client.gender,
        client.citizenship_group,
        client.residence_status_group,
        client.municipality,
        client.moved_in_on.year if client.moved_in_on else None,
    )


def _canaries(db: Session, clients: list[Client]) -> tuple[set[str], set[str]]:
    """(values no cell may equal, values no cell may contain), all made up by the generator."""
    whole = {v for c in clients for v in (c.first_name, c.last_name, c.birth_place) if v}
    inside = {
        value
        for c in clients
        for value in (
            str(c.id),
            c.id.hex,
            c.case_number,
            c.birth_date.isoformat() if c.birth_date else None,
            c.address,
            c.phone,
        )
        if value
    }
    inside |= {m.provider for m in db.scalars(select(Measure)) if m.provider}
    return {v.lower() for v in whole}, {v.lower() for v in inside}


SETTINGS = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(
    persons=st.integers(0, 150),
    seed=st.integers(0, 2**16),
    k=st.integers(2, 6),
    share=st.sampled_from([0.0, 0.05, 0.2]),
    l_required=st.integers(2, 3),
    first_year=st.integers(2015, 2026),
    span=st.integers(0, 3),
)
def test_every_export_is_k_anonymous_and_leaks_nothing(
    empty_app, persons, seed, k, share, l_required, first_year, span
):
    last_year = min(first_year + span, 2026)
    with rolled_back(empty_app) as db:
        factories.make_caseload(db, persons, seed)
        population = _population(db, first_year, last_year)
        parameters = {"k": k, "max_suppression": share, "l_required": l_required}
        if 0 < len(population) < k:
            with pytest.raises(NotAnonymisableError):
                build_microdata(db, first_year=first_year, last_year=last_year, **parameters)
            return
        release = build_microdata(db, first_year=first_year, last_year=last_year, **parameters)
        rows = [tuple(row) for row in release.tables[0].rows()]
        again = build_microdata(db, first_year=first_year, last_year=last_year, **parameters)
        second = [tuple(row) for row in again.tables[0].rows()]
        manifest = release.manifest

        # k-anonymity, by a plain count over the released rows.
        released = Counter(row[QI] for row in rows)
        assert all(n >= k for n in released.values())
        # Exactly the persons of the period, generalised to the levels the manifest
        # names: whole classes released, only classes below k dropped, within the share.
        levels = manifest["quasi_identifiers"]
        chosen = hierarchies(db)
        vector = [h.level_names.index(levels[name]) for name, h in zip(levels, chosen, strict=True)]
        expected = Counter(
            tuple(h.generalise(v, lv) for h, v, lv in zip(chosen, _finest(c), vector, strict=True))
            for c in population
        )
        assert manifest["rows_in"] == len(population)
        for cls, n in expected.items():
            assert released.get(cls, 0) in (0, n)
            assert cls in released or n < k
        suppressed = len(population) - len(rows)
        assert manifest["rows_suppressed"] == suppressed <= share * len(population)
        if rows:
            assert manifest["smallest_class"] == min(released.values())

        # l-diversity of the benefit kinds: met, or the failing classes' values hidden.
        values: dict[tuple, set[str]] = {}
        for row in rows:
            values.setdefault(row[QI], set()).add(row[BENEFITS])
        hidden = {cls for cls, seen in values.items() if seen == {"*"}}
        assert all(len(seen) >= l_required for cls, seen in values.items() if cls not in hidden)
        diversity = manifest["l_diversity"]["benefit_kinds"]
        assert diversity["met"] is (not hidden)
        assert diversity["classes_failing"] == len(hidden)
        assert diversity["values_suppressed"] == sum(released[cls] for cls in hidden)

        # No personal value in any cell; no row id shared between two exports.
        whole, inside = _canaries(db, population)
        for row in rows:
            for cell in row:
                text = str(cell).lower()
                assert text not in whole and not set(text.split("|")) & whole
                assert not any(value in text for value in inside)
        assert not {row[0] for row in rows} & {row[0] for row in second}
        assert len({row[0] for row in rows}) == len(rows)


def test_two_exports_of_the_same_data_differ_in_order_and_ids(empty_app):
    with rolled_back(empty_app) as db:
        factories.make_caseload(db, 400, 7)
        first, second = (
            [
                tuple(r)
                for r in build_microdata(db, first_year=2015, last_year=2026).tables[0].rows()
            ]
            for _ in range(2)
        )
        assert len(first) == len(second) > 200
        assert not {r[0] for r in first} & {r[0] for r in second}
        assert [r[1:] for r in first] != [r[1:] for r in second]
        assert sorted(r[1:] for r in first) == sorted(r[1:] for r in second)


def test_a_change_between_the_passes_fails_the_stream(empty_app):
    with rolled_back(empty_app) as db:
        factories.make_caseload(db, 300, 11)
        release = build_microdata(db, first_year=2015, last_year=2026, k=2)
        assert release.manifest["rows_released"] > 0
        # Consultations deleted after pass 1: the released classes are gone from pass 2.
        db.execute(delete(Consultation).where(Consultation.held_on >= date(2020, 1, 1)))
        with pytest.raises(ExportChangedError):
            for _row in release.tables[0].rows():
                pass


def test_the_query_names_no_identifying_or_pseudonymous_column():
    sql = str(shuffled_rows(2024, 2024).compile(dialect=postgresql.dialect())).lower()
    for name in ("case_number", "ciphertext", "_index", "first_name", "birth_date", "notes"):
        assert name not in sql
    # The client's id is only compared, never selected.
    assert set(shuffled_rows(2024, 2024).selected_columns.keys()) == {*QI_COLUMNS, *VALUE_COLUMNS}


def test_bad_parameters_are_refused(empty_app):
    with rolled_back(empty_app) as db:
        with pytest.raises(ValueError, match="erste Jahr"):
            build_microdata(db, first_year=2025, last_year=2024)
        with pytest.raises(ValueError, match="k muss"):
            build_microdata(db, first_year=2024, last_year=2024, k=1)
        with pytest.raises(ValueError, match="Unterdrückungsanteil"):
            build_microdata(db, first_year=2024, last_year=2024, max_suppression=1.0)
        factories.make_caseload(db, 50, 3)
        with pytest.raises(ValueError, match="l muss"):
            build_microdata(db, first_year=2015, last_year=2026, k=2, l_required=1)
