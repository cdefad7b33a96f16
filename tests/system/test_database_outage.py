"""A PostgreSQL restart under load: 503 with Retry-After while it is away, never 500.

Its own throwaway cluster, since the test restarts it. Reads that meet the restart
are retried once by the server; a restarted database is not an error once it is back.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mgz.core import migrations
from mgz.core.actor import Actor
from mgz.core.db import make_engine
from mgz.reference.loading import load_reference_data
from tests.pg_cluster import PostgresCluster
from tests.system.conftest import Site, add_accounts, site_environment
from tests.system.records import write_file

LOAD_THREADS = 6
LOAD_SECONDS = 6.0


@pytest.fixture
def restartable_site(tmp_path: Any) -> Iterator[tuple[Site, PostgresCluster]]:
    """A site on a cluster of its own."""
    cluster = PostgresCluster().start()
    try:
        url = cluster.create_database("mgz_outage")
        engine = make_engine(url)
        migrations.upgrade(engine)
        with Session(engine) as db:
            load_reference_data(db, Actor.system("tests"))
            db.commit()
        engine.dispose()
        site = Site(url, site_environment(url, tmp_path / "instance"))
        site.tokens = add_accounts(url)
        try:
            yield site, cluster
        finally:
            for server in site.servers:
                server.stop()
    finally:
        cluster.stop()


def test_restart_under_load_gives_503_with_retry_after_and_no_500(restartable_site):
    site, cluster = restartable_site
    server = site.serve(workers=2)
    client = write_file(server, site.tokens)["client"]
    token = site.tokens["adviser"]
    statuses: Counter[int] = Counter()
    bad: list[Any] = []
    stop = threading.Event()
    lock = threading.Lock()

    def load() -> None:
        while not stop.is_set():
            for path in (client["path"], "/api/v1/health"):
                reply = server.request("GET", path, token=token, timeout=30)
                with lock:
                    statuses[reply.status] += 1
                    if reply.status not in (200, 503):
                        bad.append((path, reply.status, reply.body[:200]))
                    elif reply.status == 503 and (
                        reply.headers.get("content-type") != "application/problem+json"
                        or not reply.headers.get("retry-after", "").isdigit()
                    ):
                        bad.append((path, "503 without problem+json/Retry-After", reply.headers))

    threads = [threading.Thread(target=load) for _ in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        cluster.restart("fast")
        time.sleep(LOAD_SECONDS - 1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not bad, bad[:5]
    assert statuses[200] > 0, statuses

    # Back up: the first requests on every worker find dead pooled connections; the
    # pre-ping replaces them, so nobody sees an error.
    cluster.restart("fast")
    replies = [server.request("GET", client["path"], token=token) for _ in range(8)]
    assert [r.status for r in replies] == [200] * 8
    assert "Traceback" not in server.log()
