"""Concurrent writers keep the chain linear: no fork, no lost event, chain verifies."""

import base64
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mgz.audit import checkpoints, service, verification
from mgz.audit.models import AuditEvent
from mgz.auth.models import User
from mgz.core.actor import Actor
from mgz.core.db import make_engine, utcnow
from tests.conftest import TEST_PUBLIC_KEY

WRITERS = 8
COMMITS_PER_WRITER = 25


def test_eight_concurrent_writers_keep_one_linear_chain(backend):
    if backend.name != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL deployment; SQLite has one writer")
    url = backend.new_database()
    engine = make_engine(url, pool_size=WRITERS + 2)
    with Session(engine) as db:
        before = checkpoints.event_count(db)
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        actor = Actor(None, f"writer-{number}", frozenset({"adviser"}), None, "adviser")
        try:
            barrier.wait()
            for round_ in range(COMMITS_PER_WRITER):
                with Session(engine) as db:  # each thread its own connection
                    # Real work beside the event, committed together.
                    db.add(
                        User(
                            username=f"w{number}-{round_}",
                            password_hash="x",
                            password_changed_at=utcnow(),
                        )
                    )
                    service.record(db, actor, "test.concurrent", details={"round": round_})
                    if round_ % 5 == 0:  # some transactions append two events
                        service.record(db, actor, "test.concurrent", details={"extra": True})
                    db.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == []
        expected = WRITERS * COMMITS_PER_WRITER + WRITERS * (COMMITS_PER_WRITER // 5)
        with Session(engine) as db:
            assert checkpoints.event_count(db) - before == expected  # no lost event
            seqs = db.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
            assert seqs == list(range(1, len(seqs) + 1))  # no gap, no duplicate
            forks = db.scalar(
                select(func.count()).select_from(
                    select(AuditEvent.prev_hash)
                    .group_by(AuditEvent.prev_hash)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            assert forks == 0  # no two events claim the same predecessor
            per_writer = db.execute(
                select(AuditEvent.actor_name, func.count())
                .where(AuditEvent.action == "test.concurrent")
                .group_by(AuditEvent.actor_name)
            ).all()
            assert sorted(n for _name, n in per_writer) == [expected // WRITERS] * WRITERS
            result = verification.verify(db, base64.b64decode(TEST_PUBLIC_KEY))
            assert result.ok and result.events == len(seqs)
    finally:
        engine.dispose()


def test_sqlite_writers_take_turns(backend):
    if backend.name != "sqlite":
        pytest.skip("SQLite-specific")
    url = backend.new_database()
    engine = make_engine(url)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for round_ in range(10):
                with Session(engine) as db:
                    service.record(db, None, "test.concurrent", details={"n": number, "r": round_})
                    db.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == []
        with Session(engine) as db:
            assert verification.verify(db, base64.b64decode(TEST_PUBLIC_KEY)).ok
            assert (
                db.scalar(select(func.count()).where(AuditEvent.action == "test.concurrent")) == 40
            )
    finally:
        engine.dispose()
