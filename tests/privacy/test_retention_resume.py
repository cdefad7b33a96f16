"""`mgz privacy retention --apply` killed midway and run again: every due file erased once.

Real processes on a real database: the dry run, an apply run killed with SIGKILL
after its first committed batch, a second apply run, then `mgz audit verify`.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mgz.audit.models import AuditEvent
from mgz.clients.models import Client
from mgz.clients.synthetic import seed_clients
from mgz.core.actor import Actor
from mgz.core.db import database, make_engine, session_scope
from mgz.crypto.models import DataKey
from mgz.privacy.retention import RECORD_TYPES
from tests.conftest import build_app
from tests.system.conftest import site_environment
from tests.system.server import MGZ, REPO, run_mgz

ONE_YEAR = ",".join(f"{name}=1" for name in RECORD_TYPES)


def erased_events(engine: Any) -> list[str]:
    with Session(engine) as db:
        return list(
            db.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "client.erased"))
        )


def shredded_case_numbers(engine: Any) -> set[str]:
    with Session(engine) as db:
        query = (
            select(Client.case_number)
            .join(DataKey, DataKey.subject_id == Client.id)
            .where(DataKey.shredded_at.is_not(None))
        )
        return set(db.scalars(query))


def test_apply_killed_midway_resumes_without_erasing_twice_or_skipping(backend, tmp_path):
    url = backend.new_database()
    app = build_app(url, tmp_path)
    with app.app_context(), session_scope(app) as session:
        seed_clients(session, Actor.system("tests"), count=60, seed=11)
        session.commit()
    database(app).engine.dispose()
    env = site_environment(url, tmp_path / "instance", MGZ_RETENTION_YEARS=ONE_YEAR)
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            clients = db.scalar(select(func.count()).select_from(Client))
        dry = run_mgz(env, "privacy", "retention", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        due = [line.split()[0] for line in dry.stdout.splitlines()]
        assert 12 <= len(due) < clients, (len(due), clients)  # some are held or recent

        process = subprocess.Popen(  # noqa: S603 - our own console script
            [MGZ, "privacy", "retention", "--apply", "--batch-size", "4", "--pause", "0.4"],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while len(erased_events(engine)) < 4 and time.monotonic() < deadline:
            assert process.poll() is None, "finished before it could be interrupted"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        first = erased_events(engine)
        assert 4 <= len(first) < len(due)
        assert shredded_case_numbers(engine) == set(first)  # whole batches, nothing half

        dry_again = run_mgz(env, "privacy", "retention", "--dry-run")
        assert [line.split()[0] for line in dry_again.stdout.splitlines()] == [
            number for number in due if number not in first
        ]
        second = run_mgz(env, "privacy", "retention", "--apply", "--batch-size", "4")
        assert second.returncode == 0, second.stderr
        rest = [line.removeprefix("gelöscht: ") for line in second.stdout.splitlines()]
        assert sorted(first + rest) == sorted(due)

        counts = Counter(erased_events(engine))
        assert set(counts) == set(due) and set(counts.values()) == {1}
        assert shredded_case_numbers(engine) == set(due)
        third = run_mgz(env, "privacy", "retention", "--apply")
        assert third.returncode == 0 and third.stdout == ""
        verified = run_mgz(env, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        engine.dispose()
