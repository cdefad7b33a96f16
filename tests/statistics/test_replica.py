"""Statistics from a real streaming replica: right figures, audit on the primary, 503 when not.

Runs on PostgreSQL only: the test starts its own primary and a hot standby made with
``pg_basebackup -R`` beside it, and drives the app with MGZ_STATISTICS_DATABASE_URL.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mgz.audit.models import AuditEvent
from mgz.core import migrations
from mgz.core.actor import Actor
from mgz.core.db import database, make_engine, session_scope
from mgz.reference.loading import load_reference_data
from mgz.statistics import reference_figures
from mgz.statistics import replica as replica_module
from mgz.statistics.reference_figures import FigureValues
from tests import factories
from tests.conftest import build_app
from tests.pg_cluster import PostgresCluster

INDICATOR = "/api/v1/statistics/indicators/1?year=2018"


@pytest.fixture
def replicated(backend, tmp_path) -> Iterator[dict[str, Any]]:
    if backend.name != "postgresql":
        pytest.skip("streaming replication is PostgreSQL's")
    primary = PostgresCluster().start()
    standby = None
    app = None
    try:
        url = primary.create_database("mgz")
        engine = make_engine(url)
        migrations.upgrade(engine)
        with Session(engine) as session:
            load_reference_data(session, Actor.system("tests"))
            session.commit()
        engine.dispose()
        standby = primary.start_replica()
        app = build_app(
            url,
            tmp_path,
            STATISTICS_DATABASE_URL=standby.url("mgz"),
            STATISTICS_REPLICA_MAX_LAG_SECONDS=3600,
        )
        yield {"app": app, "primary": primary, "standby": standby}
    finally:
        if app is not None:
            factory = app.extensions.get(replica_module.EXTENSION)
            if factory is not None:
                factory.kw["bind"].dispose()
            database(app).engine.dispose()
        if standby is not None:
            standby.stop()
        primary.stop()


def _newcomer(db, actor) -> None:
    client = factories.make_client(
        db, actor, birth_date="1990-01-01", entered_germany_on="2018-01-02",
        moved_in_on="2018-05-01", moved_in_from_abroad=True,
    )  # fmt: skip
    factories.make_consultation(db, actor, client, kind="first", held_on="2018-06-01")


def _caught_up(app) -> None:
    """Wait until the standby has replayed everything the primary has written."""
    with session_scope(app) as db:
        target = db.scalar(text("SELECT pg_current_wal_lsn()"))
    factory = app.extensions[replica_module.EXTENSION]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with factory() as standby:
            if standby.scalar(text("SELECT pg_last_wal_replay_lsn() >= :t"), {"t": target}):
                return
        time.sleep(0.1)
    raise AssertionError("standby did not catch up")


def _statistician(app, db):
    user = factories.make_user(db, roles=("statistician",))
    http = factories.signed_in_client(app, db, user)
    db.commit()
    return http


def test_figures_come_from_the_replica_and_the_audit_event_goes_to_the_primary(replicated):
    app = replicated["app"]
    with app.app_context(), session_scope(app) as db:
        actor = factories.adviser_actor(factories.make_user(db))
        _newcomer(db, actor)
        _newcomer(db, actor)
        reference_figures.set_figure(
            db, Actor.system("tests"), "new_third_country_nationals_21plus", 2018,
            FigureValues(8, "Fachdienst Ordnung", date(2019, 1, 31)), date(2026, 12, 1),
        )  # fmt: skip
        http = _statistician(app, db)
        db.commit()
    _caught_up(app)
    answer = http.get(INDICATOR)
    assert answer.status_code == 200, answer.json
    [year] = answer.json["years"]
    assert (year["numerator"], year["denominator"], year["value"]) == (2, 8, 25.0)
    with session_scope(app) as db:
        last = db.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        assert last.action == "statistics.indicator.read"

    # Replay paused: a file added on the primary is not seen while the lag is allowed ...
    factory = app.extensions[replica_module.EXTENSION]
    with factory() as standby:
        standby.execute(text("SELECT pg_wal_replay_pause()"))
    with app.app_context(), session_scope(app) as db:
        _newcomer(db, factories.adviser_actor(factories.make_user(db)))
        db.commit()
    time.sleep(1.2)
    assert http.get(INDICATOR).json["years"][0]["numerator"] == 2
    # ... and refused once the lag passes the limit: no figure from stale data.
    app.config["STATISTICS_REPLICA_MAX_LAG_SECONDS"] = 1
    lagging = http.get(INDICATOR)
    assert lagging.status_code == 503, lagging.json
    assert lagging.headers["Retry-After"] and "Replikat" in lagging.json["detail"]
    with factory() as standby:
        standby.execute(text("SELECT pg_wal_replay_resume()"))
    _caught_up(app)
    assert http.get(INDICATOR).json["years"][0]["numerator"] == 3


def test_a_replica_that_is_down_gives_503_not_500(replicated):
    app = replicated["app"]
    with app.app_context(), session_scope(app) as db:
        http = _statistician(app, db)
    # Until the standby has replayed a transaction of its own it cannot tell its lag,
    # and is refused as not current: wait for it, as the test above does.
    _caught_up(app)
    assert http.get(INDICATOR).status_code == 200
    replicated["standby"].stop_server()
    down = http.get(INDICATOR)
    assert down.status_code == 503, down.json
    assert down.mimetype == "application/problem+json" and down.headers["Retry-After"]
    # The rest of the application works on the primary.
    assert http.get("/api/v1/statistics/reference-figures").status_code == 200


def test_a_replica_must_be_postgresql(tmp_path, backend):
    from mgz.core.config import ConfigError

    with pytest.raises(ConfigError, match="STATISTICS_DATABASE_URL"):
        build_app(backend.new_database(), tmp_path,
                  STATISTICS_DATABASE_URL="sqlite:///" + str(tmp_path / "x.sqlite3"))  # fmt: skip
