"""Master keys and the index key: parsing, start-up refusals, demo keys, ``keys generate``."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mgz import create_app
from mgz.core.config import ConfigError
from mgz.crypto.keys import MasterKeys, encode_key, parse_master_keys, state
from tests.conftest import TEST_INDEX_KEY, TEST_MASTER_KEYS, TEST_PUBLIC_KEY, TEST_SECRET

REPO = Path(__file__).resolve().parents[2]
MGZ = str(Path(sys.executable).parent / "mgz")
K1 = encode_key(b"\x01" * 32)
K2 = encode_key(b"\x02" * 32)
AUDIT = base64.b64encode(b"\x03" * 32).decode()


def _production(tmp_path, **settings):
    base = {
        "MODE": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "SECRET_KEY": TEST_SECRET,
        "MASTER_KEYS": TEST_MASTER_KEYS,
        "INDEX_KEY": TEST_INDEX_KEY,
        "AUDIT_KEY": AUDIT,
        "AUDIT_PUBLIC_KEY": TEST_PUBLIC_KEY,
        "AUDIT_ANCHOR_PATH": str(tmp_path / "audit-anchors.jsonl"),
    }
    base.update(settings)
    return create_app(
        {k: v for k, v in base.items() if v is not None},
        environ={"MGZ_INSTANCE_PATH": str(tmp_path)},
    )


def test_first_master_key_is_active_and_others_decrypt_only():
    keys = parse_master_keys(f"k2:{K2}, k1:{K1}")
    assert keys.active_id == "k2"
    assert keys.keys == {"k2": b"\x02" * 32, "k1": b"\x01" * 32}


def test_key_file_format_one_entry_a_line_and_standard_base64():
    standard = base64.b64encode(b"\x02" * 32).decode()
    keys = parse_master_keys(f"k2:{standard}\nk1:{K1}\n")
    assert list(keys.keys) == ["k2", "k1"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "no key given"),
        (f"k1{K1}", "must be id:base64"),
        (f"K 1:{K1}", "must be id:base64"),
        ("k1:" + encode_key(b"\x01" * 16), "must decode to 32 bytes"),
        ("k1:not*base64", "not valid base64"),
        (f"k1:{K1},k1:{K2}", "appears twice"),
        (f"k1:{K1},k2:{K1}", "same bytes"),
    ],
)
def test_bad_master_keys_are_refused_without_echoing_them(value, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_master_keys(value)
    assert K1 not in str(info.value) and K2 not in str(info.value)


def test_repr_of_keys_shows_ids_only():
    keys = parse_master_keys(f"k2:{K2},k1:{K1}")
    assert repr(keys) == "MasterKeys(active='k2', ids=['k1', 'k2'])"
    assert K2 not in repr(keys)


@pytest.mark.parametrize("missing", ["MASTER_KEYS", "INDEX_KEY"])
def test_production_start_without_a_key_is_refused_naming_the_setting(tmp_path, missing):
    with pytest.raises(ConfigError) as info:
        _production(tmp_path, **{missing: None})
    assert str(info.value) == f"MGZ_{missing}: required in production (or MGZ_{missing}_FILE)"


def test_index_key_equal_to_a_master_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="MGZ_INDEX_KEY: must not be the same key as master"):
        _production(tmp_path, MASTER_KEYS=f"k1:{K1}", INDEX_KEY=K1)


def test_audit_key_equal_to_a_master_key_is_refused(tmp_path):
    same = base64.b64encode(b"\x01" * 32).decode()
    with pytest.raises(ConfigError, match="MGZ_AUDIT_KEY: must not be the same key as master"):
        _production(tmp_path, MASTER_KEYS=f"k2:{K2},k1:{K1}", AUDIT_KEY=same)


def _cli(args, env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MGZ_")}
    env.update({"MGZ_INSTANCE_PATH": str(tmp_path)}, **env_extra)
    return subprocess.run(
        [MGZ, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=60
    )


def test_cli_without_master_key_stops_with_one_clear_line(tmp_path):
    result = _cli(
        ["keys", "status"],
        {"MGZ_SECRET_KEY": TEST_SECRET, "MGZ_INDEX_KEY": TEST_INDEX_KEY, "MGZ_AUDIT_KEY": AUDIT},
        tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "mgz: configuration error: MGZ_MASTER_KEYS: required in production "
        "(or MGZ_MASTER_KEYS_FILE)"
    )
    assert "Traceback" not in result.stderr


def test_key_file_readable_by_others_is_refused(tmp_path):
    key_file = tmp_path / "master-keys"
    key_file.write_text(f"k1:{K1}\n")
    key_file.chmod(0o644)
    env = {
        "MGZ_SECRET_KEY": TEST_SECRET,
        "MGZ_INDEX_KEY": TEST_INDEX_KEY,
        "MGZ_AUDIT_KEY": AUDIT,
        "MGZ_AUDIT_PUBLIC_KEY": TEST_PUBLIC_KEY,
        "MGZ_AUDIT_ANCHOR_PATH": str(tmp_path / "audit-anchors.jsonl"),
        "MGZ_MASTER_KEYS_FILE": str(key_file),
        "MGZ_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }
    result = _cli(["keys", "status"], env, tmp_path)
    assert result.returncode == 2
    assert "MGZ_MASTER_KEYS_FILE:" in result.stderr and "chmod 600" in result.stderr
    key_file.chmod(0o600)
    result = _cli(["db", "upgrade"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    result = _cli(["keys", "status"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "k1" in result.stdout and "aktiv" in result.stdout
    assert K1 not in result.stdout + result.stderr


def test_demo_generates_private_key_files_and_warns_on_every_start(tmp_path, capsys):
    settings = {
        "MODE": "demo",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}",
        "LOG_FORMAT": "json",
    }
    environ = {"MGZ_INSTANCE_PATH": str(tmp_path)}
    first = create_app(settings, environ=environ)
    second = create_app(settings, environ=environ)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    warnings = [line for line in lines if line.get("event") == "demo_keys"]
    assert len(warnings) == 2
    assert all(w["level"] == "WARNING" and "not for production" in w["msg"] for w in warnings)
    for name in ("dev-master-keys", "dev-index-key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    # The same keys on the next start: demo data stays readable.
    assert state(first).master.keys == state(second).master.keys
    assert state(first).index_key == state(second).index_key
    assert state(first).master.active_key != state(first).index_key
    assert encode_key(state(first).master.active_key) not in json.dumps(lines)


def test_generate_prints_a_fresh_key_without_any_configuration(tmp_path):
    first = _cli(["keys", "generate", "--id", "k2"], {}, tmp_path)
    second = _cli(["keys", "generate", "--id", "k2"], {}, tmp_path)
    assert first.returncode == 0, first.stderr
    line = first.stdout.strip()
    assert line.startswith("MGZ_MASTER_KEYS=k2:")
    keys = parse_master_keys(line.split("=", 1)[1])
    assert isinstance(keys, MasterKeys) and len(keys.active_key) == 32
    assert line != second.stdout.strip()


def test_generate_writes_a_0600_file_and_never_overwrites(tmp_path):
    target = tmp_path / "keys" / "master"
    result = _cli(["keys", "generate", "--id", "k9", "--file", str(target)], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    content = target.read_text()
    assert parse_master_keys(content).active_id == "k9"
    assert content.strip().split(":", 1)[1] not in result.stdout
    again = _cli(["keys", "generate", "--file", str(target)], {}, tmp_path)
    assert again.returncode != 0
    assert target.read_text() == content


def test_generate_index_key(tmp_path):
    result = _cli(["keys", "generate", "--index"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    name, value = result.stdout.strip().split("=", 1)
    assert name == "MGZ_INDEX_KEY"
    assert len(base64.urlsafe_b64decode(value + "=")) == 32
