"""Verifying the data-protection log: the chain, the signed checkpoints and the anchors.

What proves what:

- the SHA-256 chain shows a changed, deleted, inserted or reordered event, named by
  its position, unless the forger recomputed every hash after the change;
- a signed checkpoint (Ed25519, key held by the checkpoint job only) shows a
  recomputed chain and a cut tail up to its position; checkpoints are chained, so a
  deleted or replaced checkpoint breaks the link of the next one;
- an anchor (a copy of a head or a checkpoint outside the database, in an append-only
  file or syslog) shows all of that although the database owner rewrote every table:
  each anchored head must be in the chain, each anchored checkpoint in the table, and
  the chain must reach the newest anchor;
- the head row shows a cut tail only to someone who did not also rewrite it.

Events newer than the newest anchor are covered by the head row alone; anchors come
at the first event, every ``AUDIT_CHECKPOINT_EVERY`` events and from the checkpoint
job (cron), which bounds that window.

The walk over the events itself, fast and in constant memory, is ``chain_walk``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.audit import anchors, chain, chain_walk
from mgz.audit.chain_walk import BrokenError
from mgz.audit.checkpoints import checkpoint_message
from mgz.audit.models import HEAD_ROW_ID, AuditChainHead, AuditCheckpoint

REASONS = {
    "missing": "Ereignis fehlt (Lücke in der Folge).",
    "content_altered": "Inhalt passt nicht zum gespeicherten Hash (verändert).",
    "inserted": "Ereignis wurde nachträglich eingefügt (die Folge dahinter ist verschoben).",
    "chain_broken": "Verweis auf das vorige Ereignis stimmt nicht (eingefügt oder umsortiert).",
    "checkpoint_signature": "Signatur des Prüfpunkts ungültig.",
    "checkpoint_chain": (
        "Prüfpunkt-Kette unterbrochen: ein Prüfpunkt davor fehlt oder wurde ersetzt."
    ),
    "checkpoint_mismatch": "Kette weicht vom signierten Prüfpunkt ab.",
    "checkpoint_missing": (
        "Ein verankerter Prüfpunkt fehlt in der Datenbank (gelöscht oder ersetzt)."
    ),
    "anchor_mismatch": "Kette weicht von einem Anker außerhalb der Datenbank ab.",
    "anchor_signature": "Anker nicht echt (Signatur oder MAC ungültig).",
    "anchor_unreadable": "Ankerzeile nicht lesbar.",
}
TRUNCATION_PROOFS = {
    "checkpoint": "einen signierten Prüfpunkt",
    "anchor": "einen Anker außerhalb der Datenbank",
    "head": "den Kettenkopf in der Datenbank",
}


@dataclass
class VerifyResult:
    """Outcome of walking the chain; ``seq`` names the first broken event."""

    ok: bool
    events: int
    checkpoints: int = 0
    last_checkpoint_seq: int | None = None
    anchors: int = 0
    last_anchor_seq: int | None = None
    seq: int | None = None
    code: str | None = None
    checkpoint_id: int | None = None
    # What proves a truncation: "checkpoint", "anchor" or "head".
    proof: str | None = None
    # file:line of the anchor concerned.
    anchor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """German explanation of ``code``."""
        if self.code == "truncated":
            proof = TRUNCATION_PROOFS.get(self.proof or "", "?")
            return f"Ereignisse am Ende fehlen (belegt durch {proof})."
        return REASONS.get(self.code) if self.code else None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the API and the CLI."""
        body: dict[str, Any] = {
            "ok": self.ok,
            "events": self.events,
            "checkpoints": self.checkpoints,
            "last_checkpoint_seq": self.last_checkpoint_seq,
            "anchors": self.anchors,
            "last_anchor_seq": self.last_anchor_seq,
        }
        if not self.ok:
            body["broken"] = {
                "seq": self.seq,
                "code": self.code,
                "reason": self.reason,
                "checkpoint_id": self.checkpoint_id,
                "proof": self.proof,
                "anchor": self.anchor,
            }
        return body


@dataclass
class _Marks:
    """Hashes the chain must have at given positions (from checkpoints and anchors)."""

    by_seq: dict[int, list[tuple[str, str, int | None, str | None]]] = field(default_factory=dict)

    def add(
        self, seq: int, head_hash: str, kind: str, ident: int | None, where: str | None
    ) -> None:
        """The chain must have ``head_hash`` at ``seq`` (``kind``: checkpoint or anchor)."""
        self.by_seq.setdefault(seq, []).append((head_hash, kind, ident, where))


def _checkpoint_broken(checkpoint: AuditCheckpoint, code: str) -> BrokenError:
    return BrokenError(seq=checkpoint.seq, code=code, checkpoint_id=checkpoint.id)


def _check_checkpoints(
    session: Session, public_key: bytes, audit_key: bytes | None, marks: _Marks
) -> tuple[list[AuditCheckpoint], int]:
    """Signatures and links of the stored checkpoints; returns (checkpoints, unchecked)."""
    checkpoints = list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))
    expected_prev, unchecked = chain.GENESIS_HASH, 0
    for checkpoint in checkpoints:
        if checkpoint.signature is not None:
            message = checkpoint_message(checkpoint)
            if not chain.signature_valid(public_key, message, checkpoint.signature):
                raise _checkpoint_broken(checkpoint, "checkpoint_signature")
            if checkpoint.prev_hash != expected_prev:
                raise _checkpoint_broken(checkpoint, "checkpoint_chain")
            expected_prev = chain.checkpoint_hash(message, checkpoint.signature)
        elif checkpoint.mac is not None and audit_key is not None:
            # A checkpoint from before migration 0010, signed with the HMAC audit key.
            expected = chain.checkpoint_mac(
                audit_key,
                seq=checkpoint.seq,
                head_hash=checkpoint.head_hash,
                created_at=checkpoint.created_at,
            )
            if not chain.mac_matches(expected, checkpoint.mac):
                raise _checkpoint_broken(checkpoint, "checkpoint_signature")
        elif checkpoint.mac is not None:
            unchecked += 1  # an HMAC checkpoint and no audit key: it can prove nothing
            continue
        else:
            raise _checkpoint_broken(checkpoint, "checkpoint_signature")
        marks.add(checkpoint.seq, checkpoint.head_hash, "checkpoint", checkpoint.id, None)
    return checkpoints, unchecked


def _check_anchors(
    anchor_lines: Iterable[anchors.Anchor],
    checkpoints: list[AuditCheckpoint],
    public_key: bytes,
    audit_key: bytes | None,
    marks: _Marks,
) -> tuple[int, anchors.Anchor | None, int]:
    """Authenticity of the anchors and presence of anchored checkpoints.

    Returns (number of anchors, newest anchor, anchors not authenticated for want of
    the audit key).
    """
    stored = {c.signature: c for c in checkpoints if c.signature is not None}
    count, newest, unauthenticated = 0, None, 0
    try:
        for anchor in anchor_lines:
            count += 1
            genuine = anchors.authentic(anchor, public_key=public_key, audit_key=audit_key)
            if genuine is False:
                raise BrokenError(seq=anchor.seq, code="anchor_signature", anchor=anchor.where)
            if genuine is None:
                unauthenticated += 1
            if anchor.kind == "checkpoint":
                row = stored.get(anchor.signature)
                signed = anchors.checkpoint_message_of(anchor.record)
                if row is None or signed != checkpoint_message(row):
                    where = anchor.where
                    raise BrokenError(seq=anchor.seq, code="checkpoint_missing", anchor=where)
            marks.add(anchor.seq, anchor.head_hash, "anchor", None, anchor.where)
            if newest is None or anchor.seq > newest.seq:
                newest = anchor
    except anchors.AnchorError as exc:
        raise BrokenError(code="anchor_unreadable", anchor=exc.line) from None
    return count, newest, unauthenticated


def verify(
    session: Session,
    public_key: bytes,
    *,
    audit_key: bytes | None = None,
    anchor_lines: Iterable[anchors.Anchor] = (),
    workers: int = 1,
) -> VerifyResult:
    """Walk the whole chain, the checkpoints and the anchors; report the first break.

    ``public_key`` is the checkpoint job's Ed25519 public key: enough to verify the
    chain, the checkpoints and the checkpoint anchors. ``audit_key`` (the HMAC key
    of the application) also authenticates the application's head anchors and the
    checkpoints written before migration 0010; without it those anchors still count
    (a false one could only raise an alarm, never hide a change). ``workers`` > 1
    confirms the chain in that many processes (for a session bound to an engine,
    i.e. the CLI: they read committed data only); failures are named sequentially.
    """
    marks = _Marks()
    summary: dict[str, Any] = {}
    try:
        checkpoints, unchecked = _check_checkpoints(session, public_key, audit_key, marks)
        counted = [c for c in checkpoints if c.signature is not None or audit_key is not None]
        last_checkpoint = max(counted, key=lambda c: (c.seq, c.id), default=None)
        summary = {
            "checkpoints": len(checkpoints),
            "last_checkpoint_seq": last_checkpoint.seq if last_checkpoint else None,
        }
        number, newest, unauthenticated = _check_anchors(
            anchor_lines, checkpoints, public_key, audit_key, marks
        )
        summary.update(anchors=number, last_anchor_seq=newest.seq if newest else None)
        extra = {"checkpoints_unchecked": unchecked, "anchors_unauthenticated": unauthenticated}
        # The head row is written in the same transaction as every append; a tail cut
        # without also rewriting it shows even before the next anchor. Read before the
        # walk: events appended meanwhile (a live system) then make the walk longer,
        # never the head ahead of it.
        head_seq = session.scalar(
            select(AuditChainHead.seq).where(AuditChainHead.id == HEAD_ROW_ID)
        )
        count = (
            workers > 1 and chain_walk.walk_in_parallel(session, marks.by_seq, workers)
        ) or chain_walk.walk(session, marks.by_seq)
    except BrokenError as stop:
        failure = dict(stop.failure)
        events = failure.pop("events", 0)
        return VerifyResult(False, events, **summary, **failure)
    if last_checkpoint is not None and last_checkpoint.seq > count:
        return VerifyResult(
            False, count, **summary, seq=count + 1, code="truncated", proof="checkpoint",
            checkpoint_id=last_checkpoint.id,
        )  # fmt: skip
    if newest is not None and newest.seq > count:
        return VerifyResult(
            False, count, **summary, seq=count + 1, code="truncated", proof="anchor",
            anchor=newest.where,
        )  # fmt: skip
    if head_seq is not None and head_seq > count:
        return VerifyResult(False, count, **summary, seq=count + 1, code="truncated", proof="head")
    return VerifyResult(True, count, **summary, extra=extra)
