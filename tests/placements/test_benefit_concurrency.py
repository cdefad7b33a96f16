"""Concurrent benefit periods with real commits: never two overlapping ones (both databases).

On PostgreSQL the requests run truly in parallel and queue on the client's row lock;
without the lock every writer would see no overlap and all would insert.
"""

import threading
from datetime import date

from sqlalchemy import select

from mgz.clients import service as clients
from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.core.db import database
from mgz.core.errors import InvalidInputError
from mgz.core.unit_of_work import work_scope
from mgz.placements import service
from mgz.placements.models import Benefit
from tests.clients.conftest import intake
from tests.clients.test_concurrency import _app_on_fresh_database, _loaded

WRITERS = 8


def test_parallel_overlapping_benefits_leave_exactly_one(backend, make_app):
    app, actor = _app_on_fresh_database(backend, make_app)
    with app.app_context(), work_scope(app) as session:
        client_id = clients.create_client(session, actor, _loaded(intake())).client.id
    policy = AccessPolicy("team")
    outcomes: list[str] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(WRITERS)

    def work(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                with work_scope(app) as session:
                    service.create_benefit(
                        CaseAccess(session, actor, policy),
                        client_id,
                        # Every period overlaps every other one (all contain June 2024).
                        {"kind": "SGB_II", "from_on": date(2024, 1 + index % 6, 1)},
                    )
                outcomes.append("created")
            except InvalidInputError:
                outcomes.append("refused")
            except Exception as exc:  # noqa: BLE001 - asserted below
                failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert sorted(outcomes) == ["created"] + ["refused"] * (WRITERS - 1)
    with app.app_context():
        session = database(app).new_session()
        stored = session.scalars(select(Benefit).where(Benefit.client_id == client_id)).all()
        session.close()
    assert len(stored) == 1
