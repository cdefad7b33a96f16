"""The hash chain's arithmetic: canonical JSON, event hashes, checkpoint signatures, anchors.

Pure functions without database access, so the writer (the commit hook) and the
verifier compute exactly the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

GENESIS_HASH = "0" * 64


def utc_iso(moment: datetime) -> str:
    """An aware datetime as UTC ISO 8601 with microseconds and a ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same bytes for the same content."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_content(
    *,
    seq: int,
    occurred_at: datetime,
    actor_user_id: int | None,
    actor_name: str | None,
    actor_role: str | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    fields: list[str],
    request_id: str | None,
    outcome: str,
    details: Mapping[str, Any] | None,
    prev_hash: str,
) -> dict[str, Any]:
    """Everything an event's hash covers, including the previous event's hash."""
    return {
        "seq": seq,
        "occurred_at": utc_iso(occurred_at),
        "actor_user_id": actor_user_id,
        "actor_name": actor_name,
        "actor_role": actor_role,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "fields": list(fields),
        "request_id": request_id,
        "outcome": outcome,
        "details": dict(details) if details is not None else None,
        "prev_hash": prev_hash,
    }


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of an event without its chain position."""
    own = {key: value for key, value in content.items() if key not in ("seq", "prev_hash")}
    return hashlib.sha256(canonical_json(own)).hexdigest()


def link_hash(prev_hash: str, seq: int, digest: str) -> str:
    """SHA-256 (hex) that chains an event's content digest to its predecessor.

    Kept this simple so PostgreSQL computes the same value inside the append function
    (``encode(sha256(convert_to(prev || ':' || seq || ':' || digest, 'UTF8')), 'hex')``):
    the content is hashed before the chain's lock is taken, only this link under it.
    """
    return hashlib.sha256(f"{prev_hash}:{seq}:{digest}".encode("ascii")).hexdigest()


def event_hash(content: Mapping[str, Any]) -> str:
    """The stored hash of an event: its canonical JSON digest linked to the previous hash."""
    return link_hash(str(content["prev_hash"]), int(content["seq"]), content_digest(content))


def checkpoint_mac(key: bytes, *, seq: int, head_hash: str, created_at: datetime) -> str:
    """HMAC-SHA256 (hex) that signs the chain head at ``seq``."""
    message = canonical_json(
        {"seq": seq, "head_hash": head_hash, "created_at": utc_iso(created_at)}
    )
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def mac_matches(expected: str, actual: str) -> bool:
    """Constant-time comparison of two hex MACs."""
    return hmac.compare_digest(expected.encode("ascii"), actual.encode("ascii"))


# --- signed checkpoints and anchors ----------------------------------------------------

SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


def checkpoint_message(*, seq: int, head_hash: str, created_at: datetime, prev: str) -> bytes:
    """The bytes an Ed25519 checkpoint signature covers.

    ``prev`` is the hash of the previous signed checkpoint (genesis for the first), so
    the checkpoints form a chain of their own: removing or replacing one breaks the
    link of the next.
    """
    return canonical_json(
        {
            "v": 1,
            "kind": "checkpoint",
            "seq": seq,
            "head_hash": head_hash,
            "created_at": utc_iso(created_at),
            "prev": prev,
        }
    )


def checkpoint_hash(message: bytes, signature: str) -> str:
    """SHA-256 (hex) of a signed checkpoint: what the next checkpoint's ``prev`` names."""
    return hashlib.sha256(message + b"." + signature.encode("ascii")).hexdigest()


def key_id(public_key: bytes) -> str:
    """A short fingerprint of the checkpoint public key (first 16 hex of its SHA-256)."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def public_key_of(private_key: bytes) -> bytes:
    """The raw 32-byte Ed25519 public key of a raw 32-byte private key."""
    key = Ed25519PrivateKey.from_private_bytes(private_key)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(private_key: bytes, message: bytes) -> str:
    """Ed25519 signature (hex) of ``message``."""
    return Ed25519PrivateKey.from_private_bytes(private_key).sign(message).hex()


def signature_valid(public_key: bytes, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (hex) is an Ed25519 signature of ``message`` by the key."""
    try:
        raw = bytes.fromhex(signature)
        Ed25519PublicKey.from_public_bytes(public_key).verify(raw, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def head_anchor_message(*, seq: int, head_hash: str, at: str) -> bytes:
    """The bytes the application's head anchor MAC covers (see mgz.audit.anchors)."""
    return canonical_json({"v": 1, "kind": "head", "seq": seq, "head_hash": head_hash, "at": at})


def head_anchor_mac(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 (hex) of a head anchor with the application's audit key."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()
