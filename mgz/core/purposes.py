"""Whether a processing purpose is lawful for a client: the hook the privacy area fills.

Course referrals (and later other record services) must refuse a purpose whose
legal basis is gone (a withdrawn consent), but the area that keeps legal bases and
consents (``mgz.privacy``) lies above them in the layers. So the services call
:func:`require_purpose` here, and the privacy area registers the check that
answers it when it is imported (``mgz.app`` imports it). Without a registered check
nothing is lawful: the call refuses instead of letting a purpose through unchecked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from mgz.core.actor import Actor

# (session, actor, client id, purpose, unit) -> None, or raises a ConflictError (409).
PurposeGate = Callable[[Session, Actor, uuid.UUID, str, str | None], None]
_GATE: list[PurposeGate] = []


def register_purpose_gate(gate: PurposeGate) -> None:
    """Let ``gate`` decide every :func:`require_purpose` call (the privacy area does)."""
    _GATE[:] = [gate]


def require_purpose(
    session: Session, actor: Actor, client_id: uuid.UUID, purpose: str, unit: str | None = None
) -> None:
    """Refuse (409) unless ``purpose`` (for data_exchange: to ``unit``) is lawful now.

    The registered check writes the refusal's audit event (kept when the request rolls
    back). Fails closed: with no check registered it raises RuntimeError.
    """
    if not _GATE:
        raise RuntimeError("no purpose gate registered (import mgz.privacy.consents)")
    _GATE[0](session, actor, client_id, purpose, unit)
