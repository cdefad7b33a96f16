"""The age at move-in is derived exact to the day, kept current, and backfilled."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from mgz.clients import backfill
from mgz.clients import service as clients_service
from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.clients.derive import age_on
from mgz.clients.models import Client
from mgz.clients.schemas import ClientUpdateSchema
from mgz.consultations.models import Consultation
from tests import factories
from tests.conftest import events, last_seq


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(1997, 5, 1), date(2018, 5, 1), 21),  # the birthday itself completes the year
        (date(1997, 5, 2), date(2018, 5, 1), 20),  # one day short
        (date(1997, 5, 1), date(2018, 4, 30), 20),
        (date(2000, 2, 29), date(2021, 2, 28), 20),  # no 29 February in 2021 ...
        (date(2000, 2, 29), date(2021, 3, 1), 21),  # ... the year is complete on 1 March
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
    ],
)
def test_age_on_counts_completed_years(born, day, age):
    assert age_on(born, day) == age


def _update(db, actor, client, **values):
    data = ClientUpdateSchema().load({"version": client.version, **values})
    case = CaseAccess(db, actor, AccessPolicy("team"))
    return clients_service.update_client(case, client.id, data).client


def test_written_and_recomputed_with_either_date(app, db):
    actor = factories.adviser_actor(factories.make_user(db))
    with app.app_context():
        client = factories.make_client(
            db, actor, birth_date="1997-05-02", entered_germany_on="2018-04-01",
            moved_in_on="2018-05-01",
        )  # fmt: skip
        assert client.age_at_move_in == 20
        client = _update(db, actor, client, birth_date="1997-05-01")
        assert client.age_at_move_in == 21
        client = _update(db, actor, client, moved_in_on="2018-04-30")
        assert client.age_at_move_in == 20
        client = _update(db, actor, client, moved_in_on=None)
        assert client.age_at_move_in is None
    db.commit()
    stored = (
        db.execute(
            text("SELECT age_at_move_in FROM clients WHERE id = :id"), {"id": client.id.hex}
        ).scalar()
        if db.get_bind().dialect.name == "sqlite"
        else db.scalar(select(Client.age_at_move_in).where(Client.id == client.id))
    )
    assert stored is None


def test_first_consultation_keeps_the_status_group_of_its_day(app, db):
    actor = factories.adviser_actor(factories.make_user(db))
    with app.app_context():
        client = factories.make_client(db, actor, residence_status="AE_25_2_GFK")
        first = factories.make_consultation(db, actor, client, kind="first")
        group_then = first.residence_status_group_then
        assert group_then == client.residence_status_group and first.protection_seeker_then
        client = _update(db, actor, client, residence_status="AE_16B")
    db.commit()
    db.expire_all()
    stored = db.get(Consultation, first.id)
    assert client.is_protection_seeker is False
    assert (stored.residence_status_group_then, stored.protection_seeker_then) == (
        group_then,
        True,
    )


def test_backfill_derives_missing_ages_and_logs_without_values(app, db):
    actor = factories.adviser_actor(factories.make_user(db))
    with app.app_context():
        made = [
            factories.make_client(
                db,
                actor,
                birth_date=born,
                entered_germany_on="2018-01-02",
                moved_in_on="2018-05-01",
            )  # fmt: skip
            for born in ("1997-05-01", "1997-05-02", "2001-12-31")
        ]
        ids = [c.id for c in made]
        db.execute(
            Client.__table__.update()
            .where(Client.__table__.c.id.in_(ids))
            .values(age_at_move_in=None)
        )
        db.flush()
        assert backfill.pending_age_at_move_in(db) >= 3
        start = last_seq(db)
        seen: list[int] = []
        filled = backfill.fill_age_at_move_in(db, progress=seen.append, batch=2)
    db.commit()
    assert filled >= 3 and sum(seen) >= 3 and max(seen) <= 2
    db.expire_all()
    query = select(Client.id, Client.age_at_move_in).where(Client.id.in_(ids))
    ages = {row[0]: row[1] for row in db.execute(query)}
    assert [ages[i] for i in ids] == [21, 20, 16]
    assert backfill.pending_age_at_move_in(db) == 0
    [event] = events(db, "client.derive", since=start)
    assert event["fields"] == ["birth_date", "moved_in_on"]
    assert event["details"] == {"derived": "age_at_move_in", "rows": filled}
    assert "1997" not in str(event)


def test_the_migration_fills_existing_files_and_needs_the_keys_for_them(backend, make_app):
    """Upgrading a database with files from before revision 0016 derives their ages."""
    from mgz.core import migrations
    from mgz.core.db import database, session_scope

    app = make_app(backend.new_database())
    engine = database(app).engine
    with app.app_context(), session_scope(app) as db:
        actor = factories.adviser_actor(factories.make_user(db))
        client = factories.make_client(
            db, actor, birth_date="1997-05-01", entered_germany_on="2018-01-02",
            moved_in_on="2018-05-01",
        )  # fmt: skip
        db.commit()
        client_id = client.id
    migrations.downgrade(engine, "0010")
    with pytest.raises(RuntimeError, match="mgz db upgrade"):
        migrations.upgrade(engine)  # no application context: no keys, refused
    assert migrations.current_revision(engine) == "0010"
    with app.app_context():
        migrations.upgrade(engine)
    with session_scope(app) as db:
        assert db.scalar(select(Client.age_at_move_in).where(Client.id == client_id)) == 21
        [event] = events(db, "client.derive")
        assert event["details"]["rows"] == 1
