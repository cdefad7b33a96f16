"""Settings of the audit area: the audit key, the checkpoint keys, the anchor destination.

``AUDIT_KEY`` (HMAC) authenticates the anchors the application writes itself;
``AUDIT_SIGNING_KEY`` (Ed25519 private key) is held only by the checkpoint job
(``mgz audit checkpoint``), never by the serving application, which needs only the
public key ``AUDIT_PUBLIC_KEY`` to verify. ``AUDIT_ANCHOR_PATH`` (a file opened for
appending only) and/or ``AUDIT_ANCHOR_SYSLOG`` receive every anchor, outside the
database's reach.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from mgz.audit import anchors, chain
from mgz.core import config

KEY_BYTES = 32


def parse_audit_key(value: Any) -> bytes:
    """Accept the standard base64 encoding of exactly 32 random bytes."""
    text = config.parse_str(value).strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64 of 32 bytes") from None
    if len(raw) != KEY_BYTES:
        raise ValueError("must be base64 of 32 bytes")
    return raw


def parse_ed25519_key(value: Any) -> bytes:
    """An Ed25519 private or public key: base64 of its 32 raw bytes (``mgz audit keygen``)."""
    return parse_audit_key(value)


def parse_path(value: Any) -> str:
    """A file path (empty: none)."""
    return config.parse_str(value).strip()


AUDIT_KEY = config.register(
    config.Setting(
        "AUDIT_KEY",
        parse_audit_key,
        "signs checkpoints of the audit chain (base64 of 32 bytes); generated only in demo mode",
        secret=True,
    )
)


AUDIT_CHECKPOINT_EVERY = config.register(
    config.Setting(
        "AUDIT_CHECKPOINT_EVERY",
        config.int_range(1, 10_000_000),
        "sign the head of the audit chain after every N events (besides mgz audit checkpoint)",
    )
)


AUDIT_SIGNING_KEY = config.register(
    config.Setting(
        "AUDIT_SIGNING_KEY",
        parse_ed25519_key,
        "Ed25519 key that signs checkpoints; only for the checkpoint job (mgz audit checkpoint)",
        secret=True,
    )
)

AUDIT_PUBLIC_KEY = config.register(
    config.Setting(
        "AUDIT_PUBLIC_KEY",
        parse_ed25519_key,
        "Ed25519 public key of the checkpoint job (base64); verifies checkpoints",
    )
)

AUDIT_ANCHOR_PATH = config.register(
    config.Setting(
        "AUDIT_ANCHOR_PATH",
        parse_path,
        "file that receives every audit anchor, opened append-only (WORM mount, log shipper)",
    )
)

AUDIT_ANCHOR_SYSLOG = config.register(
    config.Setting(
        "AUDIT_ANCHOR_SYSLOG",
        config.parse_bool,
        "also send every audit anchor to syslog (facility authpriv)",
    )
)


def demo_audit_key(path: Path) -> bytes:
    """Read or create the development audit key file (0600) in the instance folder."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        encoded = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(encoded + "\n")
    return parse_audit_key(path.read_text(encoding="utf-8"))


def _required(setting: config.Setting, hint: str) -> config.ConfigError:
    return config.ConfigError(f"{setting.env_name}: required in production ({hint})")


def init_app(app: Flask) -> None:
    """Make sure the audit keys and the anchor destination are set.

    Demo mode generates the keys into the instance folder and anchors to a file
    there; production refuses to start without the audit key, the checkpoint public
    key and an anchor destination, and checks that the anchor file can be appended to.
    """
    demo = bool(app.config.get("DEMO"))
    folder = Path(app.instance_path)
    if app.config.get("AUDIT_KEY") is None:
        if not demo:
            raise _required(AUDIT_KEY, f"or {AUDIT_KEY.env_name}_FILE")
        app.config["AUDIT_KEY"] = demo_audit_key(folder / "dev-audit-key")
    signing = app.config.get("AUDIT_SIGNING_KEY")
    if demo and signing is None and app.config.get("AUDIT_PUBLIC_KEY") is None:
        signing = app.config["AUDIT_SIGNING_KEY"] = demo_audit_key(folder / "dev-audit-signing-key")
    if app.config.get("AUDIT_PUBLIC_KEY") is None:
        if signing is None:
            raise _required(AUDIT_PUBLIC_KEY, "the checkpoint job's key; see mgz audit keygen")
        app.config["AUDIT_PUBLIC_KEY"] = chain.public_key_of(signing)
    elif signing is not None and chain.public_key_of(signing) != app.config["AUDIT_PUBLIC_KEY"]:
        raise config.ConfigError(
            f"{AUDIT_SIGNING_KEY.env_name}: does not belong to {AUDIT_PUBLIC_KEY.env_name}"
        )
    if not app.config.get("AUDIT_ANCHOR_PATH") and demo:
        app.config["AUDIT_ANCHOR_PATH"] = str(folder / "audit-anchors.jsonl")
    path = app.config.get("AUDIT_ANCHOR_PATH") or None
    if path is None and not app.config.get("AUDIT_ANCHOR_SYSLOG"):
        raise _required(
            AUDIT_ANCHOR_PATH, f"an append-only file, and/or {AUDIT_ANCHOR_SYSLOG.env_name}=true"
        )
    app.config["AUDIT_ANCHOR_PATH"] = path
    if path is not None:
        try:
            anchors.check_appendable(Path(path))
        except OSError as exc:
            raise config.ConfigError(
                f"{AUDIT_ANCHOR_PATH.env_name}: cannot append to {path} ({exc.strerror})"
            ) from None
