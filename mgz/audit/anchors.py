"""Anchors: copies of the chain's head outside the database, in an append-only place.

The database owner can rewrite every table, checkpoints included; an anchor written
to a file opened ``O_APPEND`` on a WORM mount or picked up by a log shipper, or to
syslog, stays where they cannot reach it. ``mgz audit verify`` then checks the
database against the anchors: every anchored head must be in the chain, every
anchored checkpoint in the checkpoint table, and the chain must reach the newest
anchor.

One anchor is one line of JSON. Two kinds:

- ``head``: written by the application itself (at the chain's first event and every
  ``AUDIT_CHECKPOINT_EVERY`` events, after the commit), authenticated by an HMAC with
  ``AUDIT_KEY``; the application holds no signing key.
- ``checkpoint``: written by the checkpoint job (``mgz audit checkpoint``) for every
  checkpoint it signs with the Ed25519 key only it holds; verifiable with the public
  key alone.

Syslog lines carry the same JSON after the marker ``mgz-audit-anchor``, so an export
of the log shipper's lines can be passed to ``verify`` as it is.
"""

from __future__ import annotations

import json
import os
import syslog
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mgz.audit import chain

MARKER = "mgz-audit-anchor"
_HEX64 = frozenset("0123456789abcdef")


class AnchorError(ValueError):
    """An anchor line cannot be read; ``line`` names it (file:number)."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


@dataclass(frozen=True)
class Anchor:
    """One anchor as read back: the chain had ``seq`` events, the last with ``head_hash``."""

    kind: str  # "head" or "checkpoint"
    seq: int
    head_hash: str
    record: Mapping[str, Any]
    where: str  # file:line, for messages

    @property
    def signature(self) -> str | None:
        """The checkpoint's Ed25519 signature (checkpoint anchors only)."""
        value = self.record.get("sig")
        return value if isinstance(value, str) else None


def check_appendable(path: Path) -> None:
    """Create the anchor file if needed and make sure this process may append to it."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    os.close(fd)


def head_anchor(key: bytes, *, seq: int, head_hash: str, at: str) -> dict[str, Any]:
    """The application's anchor of the head (seq, hash), with its HMAC."""
    message = chain.head_anchor_message(seq=seq, head_hash=head_hash, at=at)
    return {
        "v": 1,
        "kind": "head",
        "seq": seq,
        "head_hash": head_hash,
        "at": at,
        "mac": chain.head_anchor_mac(key, message),
    }


def write(record: Mapping[str, Any], *, path: str | None, to_syslog: bool) -> None:
    """Append one anchor line to the file (one ``write`` call, then fsync) and/or syslog.

    ``O_APPEND`` makes every write land at the end, also with several processes
    appending; the file is never opened for anything else.
    """
    line = json.dumps(record, sort_keys=True, separators=(",", ":"))
    if path is not None:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
    if to_syslog:
        syslog.openlog("mgz", syslog.LOG_PID, syslog.LOG_AUTHPRIV)
        syslog.syslog(syslog.LOG_NOTICE, f"{MARKER} {line}")


def write_from_config(config: Mapping[str, Any], record: Mapping[str, Any]) -> None:
    """``write`` to the destinations the app is configured with."""
    write(
        record,
        path=config.get("AUDIT_ANCHOR_PATH") or None,
        to_syslog=bool(config.get("AUDIT_ANCHOR_SYSLOG")),
    )


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64


def _parse(text: str, where: str) -> Anchor:
    if MARKER in text:
        text = text.split(MARKER, 1)[1]
    try:
        record = json.loads(text)
    except ValueError:
        raise AnchorError(where) from None
    if (
        not isinstance(record, dict)
        or record.get("kind") not in ("head", "checkpoint")
        or not isinstance(record.get("seq"), int)
        or isinstance(record.get("seq"), bool)
        or record["seq"] < 0
        or not _is_hash(record.get("head_hash"))
    ):
        raise AnchorError(where)
    return Anchor(record["kind"], record["seq"], record["head_hash"], record, where)


def read(paths: Iterable[Path]) -> Iterator[Anchor]:
    """Every anchor line of the files in turn; AnchorError names an unreadable line.

    Lines without anchors (other syslog traffic) are skipped in files that are not
    pure anchor files, i.e. whenever a line does not start with ``{``.
    """
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, raw in enumerate(handle, start=1):
                text = raw.strip()
                if not text or (not text.startswith("{") and MARKER not in text):
                    continue
                yield _parse(text, f"{path.name}:{number}")


def authentic(anchor: Anchor, *, public_key: bytes, audit_key: bytes | None) -> bool | None:
    """Whether the anchor's signature (checkpoint) or MAC (head) is valid.

    None: a head anchor and no audit key at hand (an auditor holding only the public
    key); such an anchor can still only raise an alarm, never hide a change.
    """
    record = anchor.record
    if anchor.kind == "checkpoint":
        try:
            message = checkpoint_message_of(record)
        except (KeyError, TypeError, ValueError):
            return False
        return chain.signature_valid(public_key, message, str(record.get("sig", "")))
    if audit_key is None:
        return None
    message = chain.head_anchor_message(
        seq=anchor.seq, head_hash=anchor.head_hash, at=str(record.get("at", ""))
    )
    return chain.mac_matches(chain.head_anchor_mac(audit_key, message), str(record.get("mac", "")))


def checkpoint_record(
    *, seq: int, head_hash: str, created_at: str, prev: str, key_id: str, signature: str
) -> dict[str, Any]:
    """The anchor line of a signed checkpoint."""
    return {
        "v": 1,
        "kind": "checkpoint",
        "seq": seq,
        "head_hash": head_hash,
        "created_at": created_at,
        "prev": prev,
        "key_id": key_id,
        "sig": signature,
    }


def checkpoint_message_of(record: Mapping[str, Any]) -> bytes:
    """The signed bytes of a checkpoint anchor (the same as of its database row)."""
    return chain.canonical_json(
        {
            "v": 1,
            "kind": "checkpoint",
            "seq": int(record["seq"]),
            "head_hash": str(record["head_hash"]),
            "created_at": str(record["created_at"]),
            "prev": str(record["prev"]),
        }
    )
