from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.exc import StatementError

from mgz.core import migrations
from mgz.core.db import UTCDateTime, make_engine
from mgz.models import metadata


def test_models_and_migrations_agree(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_migrations_downgrade_to_base_and_upgrade_again(backend):
    url = backend.new_database()
    engine = make_engine(url)
    try:
        migrations.downgrade(engine, "base")
        assert migrations.current_revision(engine) is None
        migrations.upgrade(engine)
        assert migrations.current_revision(engine) == migrations.head_revision()
    finally:
        engine.dispose()


def _stamp_table():
    return Table(
        "stamp_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
    )


def test_timestamps_round_trip_aware_utc(db):
    table = _stamp_table()
    table.create(db.connection())
    berlin = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 1, 12, 30, tzinfo=berlin)
    db.execute(table.insert().values(id=1, at=moment))
    stored = db.execute(select(table.c.at)).scalar_one()
    assert stored.tzinfo is not None
    assert stored == moment
    assert stored.utcoffset() == timedelta(0)
    assert stored.astimezone(UTC).hour == 11


def test_naive_timestamps_are_refused(db):
    table = _stamp_table()
    table.create(db.connection())
    with pytest.raises(StatementError, match="naive datetime refused"):
        db.execute(table.insert().values(id=1, at=datetime(2026, 1, 1)))  # noqa: DTZ001


def test_each_test_starts_without_the_previous_tests_rows(db):
    # The probe table of the tests above was rolled back with their transaction.
    from sqlalchemy import inspect

    assert "stamp_probe" not in inspect(db.connection()).get_table_names()
