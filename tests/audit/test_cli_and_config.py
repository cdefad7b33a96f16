"""``mgz audit verify|checkpoint|export`` and the audit key setting."""

import base64
import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text

from mgz import create_app
from mgz.audit import anchors, chain, checkpoints, service, verification
from mgz.audit.models import AuditCheckpoint, AuditEvent
from mgz.audit.settings import parse_audit_key
from mgz.core.actor import Actor
from mgz.core.config import ConfigError
from tests.conftest import (
    TEST_INDEX_KEY,
    TEST_MASTER_KEYS,
    TEST_PUBLIC_KEY,
    TEST_SECRET,
    build_app,
)

ACTOR = Actor(5, "e.admin", frozenset({"admin"}), "req-cccccccc", "admin")


def add_events(db, count=3):
    for number in range(count):
        service.record(db, ACTOR, "test.cli", object_id=f"obj-{number}", fields=["phone"])
    db.commit()


def test_verify_command_ok_then_names_a_broken_event(db, runner):
    add_events(db)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")
    seq = db.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL session_replication_role = replica"))
    db.execute(text("UPDATE audit_events SET outcome = 'failure' WHERE seq = :s"), {"s": seq})
    failed = runner.invoke(args=["audit", "verify"])
    assert failed.exit_code == 1
    assert f"Ereignis {seq}" in failed.output and "content_altered" in failed.output


def test_checkpoint_command_signs_the_head(db, runner, app):
    add_events(db)
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    checkpoint = db.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc())).first()
    assert checkpoint.seq == checkpoints.chain_tip(db)[0]
    assert checkpoint.signature is not None and checkpoint.mac is None
    lines = list(anchors.read([Path(app.config["AUDIT_ANCHOR_PATH"])]))
    assert [(a.kind, a.seq, a.signature) for a in lines][-1] == (
        "checkpoint", checkpoint.seq, checkpoint.signature,
    )  # fmt: skip
    result = verification.verify(db, app.config["AUDIT_PUBLIC_KEY"], anchor_lines=lines)
    assert result.ok and result.last_checkpoint_seq == checkpoint.seq
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert f"{len(lines)} Anker (neuester bei {checkpoint.seq})" in verified.output


def test_export_json_to_a_file_is_complete_atomic_and_logged(db, runner, tmp_path):
    add_events(db, 4)
    target = tmp_path / "audit.json"
    result = runner.invoke(args=["audit", "export", "--format", "json", "--output", str(target),
                                 "--action", "test.cli"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert [r["object_id"] for r in rows][-4:] == ["obj-0", "obj-1", "obj-2", "obj-3"]
    assert rows[-1]["fields"] == ["phone"]
    assert [p.name for p in tmp_path.iterdir()] == ["audit.json"]  # no temporary left over
    logged = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert logged.action == "audit.export"
    details = json.loads(logged.details)
    assert details["format"] == "json" and details["count"] == len(rows)
    assert details["action"] == "test.cli"  # the filters of the export are logged too
    assert len(details["sha256"]) == 64


def test_export_csv_to_stdout_uses_semicolons(db, runner):
    add_events(db, 2)
    result = runner.invoke(args=["audit", "export", "--action", "test.cli"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output), delimiter=";"))
    assert rows[-1]["action"] == "test.cli" and rows[-1]["fields"] == "phone"
    assert rows[-1]["actor_name"] == "e.admin"


def test_audit_key_must_be_base64_of_32_bytes_and_is_not_echoed():
    good = base64.b64encode(b"k" * 32).decode()
    assert parse_audit_key(good) == b"k" * 32
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError) as info:
            parse_audit_key(bad)
        assert bad not in str(info.value)


def test_production_without_audit_key_is_refused(database_url, tmp_path):
    with pytest.raises(ConfigError, match="MGZ_AUDIT_KEY: required in production"):
        build_app(database_url, tmp_path, AUDIT_KEY=None)


def test_audit_key_is_read_from_a_key_file(database_url, tmp_path):
    key_file = tmp_path / "audit.key"
    key_file.write_text(base64.b64encode(b"f" * 32).decode() + "\n")
    environ = {
        "MGZ_INSTANCE_PATH": str(tmp_path),
        "MGZ_AUDIT_KEY_FILE": str(key_file),
        "MGZ_AUDIT_PUBLIC_KEY": TEST_PUBLIC_KEY,
        "MGZ_AUDIT_ANCHOR_PATH": str(tmp_path / "anchors"),
    }
    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, "MASTER_KEYS": TEST_MASTER_KEYS,
         "INDEX_KEY": TEST_INDEX_KEY},
        environ=environ,
    )  # fmt: skip
    assert app.config["AUDIT_KEY"] == b"f" * 32


def test_demo_mode_generates_a_private_audit_key_once(database_url, tmp_path):
    first = build_app(database_url, tmp_path, MODE="demo", AUDIT_KEY=None)
    key_file = tmp_path / "dev-audit-key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    second = build_app(database_url, tmp_path, MODE="demo", AUDIT_KEY=None)
    assert first.config["AUDIT_KEY"] == second.config["AUDIT_KEY"]
    assert len(first.config["AUDIT_KEY"]) == 32


@pytest.mark.parametrize(
    ("missing", "line"),
    [
        ({"AUDIT_PUBLIC_KEY": None, "AUDIT_SIGNING_KEY": None},
         "MGZ_AUDIT_PUBLIC_KEY: required in production"),
        ({"AUDIT_ANCHOR_PATH": None}, "MGZ_AUDIT_ANCHOR_PATH: required in production"),
    ],
)  # fmt: skip
def test_production_without_checkpoint_key_or_anchor_destination_is_refused(
    database_url, tmp_path, missing, line
):
    with pytest.raises(ConfigError, match=line):
        build_app(database_url, tmp_path, **missing)


def test_syslog_alone_is_an_anchor_destination(database_url, tmp_path):
    app = build_app(database_url, tmp_path, AUDIT_ANCHOR_PATH=None, AUDIT_ANCHOR_SYSLOG=True)
    assert app.config["AUDIT_ANCHOR_PATH"] is None


def test_anchor_file_that_cannot_be_appended_to_is_refused(database_url, tmp_path):
    with pytest.raises(ConfigError, match="MGZ_AUDIT_ANCHOR_PATH: cannot append to"):
        build_app(database_url, tmp_path, AUDIT_ANCHOR_PATH=str(tmp_path / "no" / "anchors"))


def test_signing_key_must_match_the_public_key(database_url, tmp_path):
    other = base64.b64encode(b"p" * 32).decode()
    with pytest.raises(ConfigError, match="MGZ_AUDIT_SIGNING_KEY: does not belong"):
        build_app(database_url, tmp_path, AUDIT_SIGNING_KEY=other)


def test_the_app_without_the_signing_key_cannot_sign_a_checkpoint(database_url, tmp_path):
    app = build_app(database_url, tmp_path, AUDIT_SIGNING_KEY=None)
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).startswith("MGZ_AUDIT_SIGNING_KEY: required for mgz audit")


def test_demo_mode_anchors_to_a_file_in_the_instance_folder(database_url, tmp_path):
    unset = dict.fromkeys(
        ("AUDIT_KEY", "AUDIT_SIGNING_KEY", "AUDIT_PUBLIC_KEY", "AUDIT_ANCHOR_PATH")
    )
    app = build_app(database_url, tmp_path, MODE="demo", **unset)
    assert app.config["AUDIT_ANCHOR_PATH"] == str(tmp_path / "audit-anchors.jsonl")
    assert stat.S_IMODE(os.stat(tmp_path / "dev-audit-signing-key").st_mode) == 0o600
    assert app.config["AUDIT_PUBLIC_KEY"] == chain.public_key_of(app.config["AUDIT_SIGNING_KEY"])


def test_keygen_prints_a_matching_key_pair(runner):
    result = runner.invoke(args=["audit", "keygen"])
    assert result.exit_code == 0
    values = dict(line.split("=", 1) for line in result.output.splitlines())
    private = base64.b64decode(values["MGZ_AUDIT_SIGNING_KEY"])
    assert chain.public_key_of(private) == base64.b64decode(values["MGZ_AUDIT_PUBLIC_KEY"])
