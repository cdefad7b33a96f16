"""Settings of the audit area: the key that signs checkpoints of the chain."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

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


def demo_audit_key(path: Path) -> bytes:
    """Read or create the development audit key file (0600) in the instance folder."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        encoded = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(encoded + "\n")
    return parse_audit_key(path.read_text(encoding="utf-8"))


def init_app(app: Flask) -> None:
    """Make sure the audit key is set: generated in demo mode, required in production."""
    if app.config.get("AUDIT_KEY") is not None:
        return
    if not app.config.get("DEMO"):
        raise config.ConfigError(
            f"{AUDIT_KEY.env_name}: required in production (or {AUDIT_KEY.env_name}_FILE)"
        )
    app.config["AUDIT_KEY"] = demo_audit_key(Path(app.instance_path) / "dev-audit-key")
