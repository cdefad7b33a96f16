"""Rewriting the whole log as the database owner is caught by the anchors outside it.

Each test runs on a database of its own that really commits: the application writes
events (anchoring the head at the first event and every fifth), the checkpoint job
signs checkpoints (``mgz audit checkpoint``), and then the tables' owner attacks,
with the append-only trigger disabled as an owner can (no superuser needed). Each
attack is shown to pass ``verify`` without the anchors (the hole of issue 15) and to
fail with them.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from mgz.audit import anchors, chain, chain_walk, checkpoints, service, verification
from mgz.audit.grants import APPEND_ONLY_TABLES
from mgz.audit.models import AuditCheckpoint, AuditEvent
from mgz.core.actor import Actor
from mgz.core.db import make_engine, session_scope
from tests.conftest import TEST_AUDIT_KEY, TEST_PUBLIC_KEY

KEY = base64.b64decode(TEST_AUDIT_KEY)
PUBLIC = base64.b64decode(TEST_PUBLIC_KEY)
ACTOR = Actor(9, "f.beraterin", frozenset({"adviser"}), "req-dddddddd", "adviser")


@dataclass
class Site:
    url: str
    app: Flask

    @property
    def anchor_path(self) -> Path:
        return Path(self.app.config["AUDIT_ANCHOR_PATH"])

    def append(self, count: int) -> None:
        """``count`` requests, each one event in its own transaction."""
        with self.app.app_context(), session_scope(self.app) as db:
            for number in range(count):
                case = f"MGZ-2026-{number:06d}"
                service.record(db, ACTOR, "client.read", object_type="client",
                               object_id=case, fields=["last_name"])  # fmt: skip
                db.commit()

    def checkpoint_job(self) -> None:
        result = self.app.test_cli_runner().invoke(args=["audit", "checkpoint"])
        assert result.exit_code == 0, result.output

    def anchors(self) -> list[anchors.Anchor]:
        return list(anchors.read([self.anchor_path]))

    def verify(self, *, anchored: bool = True, audit_key: bytes | None = KEY) -> Any:
        lines = self.anchors() if anchored else []
        with session_scope(self.app) as db:
            return verification.verify(db, PUBLIC, audit_key=audit_key, anchor_lines=lines)

    def owner(self, *statements: tuple[str, dict[str, Any]]) -> None:
        """Run SQL as the tables' owner, with the append-only triggers disabled."""
        engine = make_engine(self.url)
        try:
            with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    for table in APPEND_ONLY_TABLES:
                        connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                for sql, params in statements:
                    connection.execute(text(sql), params)
        finally:
            engine.dispose()

    def event_hash(self, seq: int) -> str:
        with session_scope(self.app) as db:
            return db.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))

    def cut_tail(self, keep: int) -> None:
        """Delete every event after ``keep`` and set the head back to it."""
        self.owner(
            ("DELETE FROM audit_events WHERE seq > :k", {"k": keep}),
            ("UPDATE audit_chain_head SET seq = :k, hash = :h WHERE id = 1",
             {"k": keep, "h": self.event_hash(keep)}),
        )  # fmt: skip


@pytest.fixture
def site(backend, make_app) -> Site:
    url = backend.new_database(reference_data=False)  # an empty log
    # No key check at start: it would write the log's first events itself.
    return Site(url, make_app(url, verify_keys=False, AUDIT_CHECKPOINT_EVERY=5))


def test_the_first_event_is_anchored_at_once(site):
    site.append(1)
    assert [(a.kind, a.seq) for a in site.anchors()] == [("head", 1)]
    site.owner(("DELETE FROM audit_events", {}), ("UPDATE audit_chain_head SET seq = 0", {}))
    assert site.verify(anchored=False).ok  # the hole: nothing in the database is left
    result = site.verify()
    assert (result.ok, result.code, result.seq, result.proof) == (False, "truncated", 1, "anchor")
    assert "Anker außerhalb der Datenbank" in result.reason


def test_tail_cut_with_a_rewritten_head_before_any_checkpoint(site):
    site.append(12)  # anchors at 1, 5 and 10; no checkpoint yet
    assert [a.seq for a in site.anchors()] == [1, 5, 10]
    site.cut_tail(7)
    assert site.verify(anchored=False).ok
    result = site.verify()
    assert (result.ok, result.code, result.seq, result.proof) == (False, "truncated", 8, "anchor")
    assert result.anchor == f"{site.anchor_path.name}:3"


def test_deleted_checkpoints_then_a_cut_tail(site):
    site.append(3)
    site.checkpoint_job()
    site.append(3)
    site.checkpoint_job()  # signed at 6, chained to the one at 3
    site.owner(("DELETE FROM audit_checkpoints", {}))
    site.cut_tail(2)
    assert site.verify(anchored=False).ok  # the hole: the checkpoints lived in the database
    result = site.verify()
    assert (result.ok, result.code, result.seq) == (False, "checkpoint_missing", 3)
    assert "verankerter Prüfpunkt" in result.reason


def test_a_deleted_checkpoint_breaks_the_chain_of_checkpoints(site):
    site.append(2)
    site.checkpoint_job()
    site.append(2)
    site.checkpoint_job()
    site.append(2)
    site.checkpoint_job()
    with session_scope(site.app) as db:
        ids = db.scalars(select(AuditCheckpoint.id).order_by(AuditCheckpoint.id)).all()
    site.owner(("DELETE FROM audit_checkpoints WHERE id = :i", {"i": ids[1]}))
    result = site.verify(anchored=False)  # found without the anchors
    assert (result.ok, result.code, result.checkpoint_id) == (False, "checkpoint_chain", ids[2])


def test_rewritten_chain_and_replaced_checkpoints(site):
    """The owner changes an event, recomputes every hash and re-signs with a key of theirs."""
    site.append(4)
    site.checkpoint_job()
    with session_scope(site.app) as db:
        rows = db.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    statements = [("UPDATE audit_events SET object_id = 'MGZ-2026-999999' WHERE seq = 2", {})]
    prev_hash = rows[0].hash
    for row in rows[1:]:
        content = service.content_of(row)
        if row.seq == 2:
            content["object_id"] = "MGZ-2026-999999"
        content["prev_hash"] = prev_hash
        new_hash = chain.event_hash(content)
        statements.append(("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s",
                           {"p": prev_hash, "h": new_hash, "s": row.seq}))  # fmt: skip
        prev_hash = new_hash
    statements.append(("UPDATE audit_chain_head SET hash = :h WHERE id = 1", {"h": prev_hash}))
    statements.append(("DELETE FROM audit_checkpoints", {}))
    site.owner(*statements)
    with site.app.app_context(), session_scope(site.app) as db:
        checkpoints.create_checkpoint(db, b"o" * 32)  # the owner's own key
        db.commit()
    result = site.verify(anchored=False)
    assert (result.ok, result.code) == (False, "checkpoint_signature")
    site.owner(("DELETE FROM audit_checkpoints", {}))
    assert site.verify(anchored=False).ok  # a rewritten log without checkpoints looks fine ...
    result = site.verify()  # ... but not against the anchors
    assert (result.ok, result.code) == (False, "checkpoint_missing")


def test_anchor_of_a_rewritten_position_is_named(site):
    site.append(5)  # anchors at 1 and 5
    original = site.event_hash(5)
    # Replace the last event by a self-consistent forgery (same position, new hash).
    with session_scope(site.app) as db:
        last = db.get(AuditEvent, 5)
        content = service.content_of(last)
    content["object_id"] = "MGZ-2026-777777"
    site.owner(
        ("UPDATE audit_events SET object_id = 'MGZ-2026-777777', hash = :h WHERE seq = 5",
         {"h": chain.event_hash(content)}),
        ("UPDATE audit_chain_head SET hash = :h WHERE id = 1", {"h": chain.event_hash(content)}),
    )  # fmt: skip
    assert original != chain.event_hash(content)
    assert site.verify(anchored=False).ok
    result = site.verify()
    assert (result.ok, result.code, result.seq) == (False, "anchor_mismatch", 5)


def test_forged_anchor_lines_are_refused(site):
    site.append(1)
    site.checkpoint_job()
    genuine = site.anchors()
    forged_head = dict(genuine[0].record, seq=1000)  # e.g. through a spoofed syslog line
    forged_checkpoint = dict(genuine[1].record, seq=1000)
    for forged in (forged_head, forged_checkpoint):
        path = site.anchor_path.with_name("forged.jsonl")
        path.write_text(
            "\n".join(json.dumps(a.record) for a in genuine) + "\n" + json.dumps(forged) + "\n"
        )
        with session_scope(site.app) as db:
            result = verification.verify(
                db, PUBLIC, audit_key=KEY, anchor_lines=anchors.read([path])
            )
        assert (result.ok, result.code) == (False, "anchor_signature")
        assert result.anchor == "forged.jsonl:3"


def test_an_auditor_verifies_with_the_public_key_and_a_syslog_export(site, tmp_path):
    """No audit key, no signing key: the public key and the anchors are enough."""
    site.append(6)
    site.checkpoint_job()
    export = tmp_path / "syslog.txt"
    export.write_text(
        "Dec  1 10:00:00 host sshd[1]: unrelated line\n"
        + "".join(f"Dec  1 10:00:01 host mgz[2]: {anchors.MARKER} {json.dumps(a.record)}\n"
                  for a in site.anchors())
    )  # fmt: skip
    with session_scope(site.app) as db:
        result = verification.verify(db, PUBLIC, anchor_lines=anchors.read([export]))
    assert result.ok and result.anchors == 3 and result.last_anchor_seq == 6
    assert result.extra["anchors_unauthenticated"] == 2  # the app's HMAC'd head anchors
    site.cut_tail(5)
    with session_scope(site.app) as db:
        result = verification.verify(db, PUBLIC, anchor_lines=anchors.read([export]))
    assert (result.ok, result.code, result.proof) == (False, "truncated", "checkpoint")


def test_verify_command_reads_the_configured_anchors(site):
    site.append(6)
    site.cut_tail(4)
    with site.app.app_context():
        result = site.app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "FEHLER bei Ereignis 5" in result.output and "[truncated]" in result.output
    assert "belegt durch einen Anker" in result.output


def test_parallel_verification_agrees_with_the_sequential_walk(site, monkeypatch):
    """Workers confirm ranges; whatever they cannot confirm is named by the exact walk."""
    monkeypatch.setattr(chain_walk, "_MIN_EVENTS_PER_WORKER", 5)
    site.append(40)
    site.checkpoint_job()

    def verify(workers):
        with session_scope(site.app) as db:
            return verification.verify(
                db, PUBLIC, audit_key=KEY, anchor_lines=site.anchors(), workers=workers
            )

    sequential = verify(1)
    walk = chain_walk.walk
    monkeypatch.setattr(chain_walk, "walk", lambda *_: pytest.fail("not confirmed in parallel"))
    parallel = verify(3)
    assert sequential.ok and parallel.ok and parallel.events == sequential.events == 40
    monkeypatch.setattr(chain_walk, "walk", walk)
    site.owner(("UPDATE audit_events SET outcome = 'failure' WHERE seq = 23", {}))
    sequential, parallel = verify(1), verify(3)
    assert (parallel.ok, parallel.code, parallel.seq) == (False, "content_altered", 23)
    assert parallel.as_dict() == sequential.as_dict()


def test_the_auditor_needs_only_the_database_the_anchors_and_the_public_key(site):
    site.append(6)
    site.checkpoint_job()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MGZ_")}
    env.update(MGZ_DATABASE_URL=site.url, MGZ_AUDIT_PUBLIC_KEY=TEST_PUBLIC_KEY)

    def audit():
        return subprocess.run(  # noqa: S603 - our own module
            [sys.executable, "-m", "mgz.audit.auditor", "--anchors", str(site.anchor_path)],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    result = audit()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 6 Ereignisse, 1 Prüfpunkte (letzter bei 6), 3 Anker")
    site.cut_tail(4)
    result = audit()
    assert result.returncode == 1
    assert "FEHLER bei Ereignis 5" in result.stderr and "signierten Prüfpunkt" in result.stderr


def test_events_appended_during_a_verification_are_no_truncation(site, backend, monkeypatch):
    """A live system appends while verify runs; the head may not overtake the walk."""
    if backend.name != "postgresql":
        pytest.skip("on SQLite the verifying transaction holds the only write lock")
    site.append(3)
    walk = chain_walk.walk

    def walk_then_append(*args):
        count = walk(*args)
        site.append(2)  # committed by requests after the walk's snapshot
        return count

    monkeypatch.setattr(chain_walk, "walk", walk_then_append)
    result = site.verify()
    assert result.ok and result.events == 3, result.as_dict()
