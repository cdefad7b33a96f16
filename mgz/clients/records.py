"""Records that belong to a client file (consultations, profilings, assessments, ...).

They share the file's access rule and the shape of their list read: open the file
under the policy, load the records, decrypt them (so a damaged field fails before the
read is logged), write one list event naming the personal fields shown, commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients.access import AccessPolicy, check_access, load_client
from mgz.clients.models import Client
from mgz.core.actor import Actor
from mgz.crypto.types import decrypt_fields

T = TypeVar("T")


def open_file(
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client_id: uuid.UUID,
    reason: str | None = None,
) -> Client:
    """Load a client file and apply the access policy (404, 403 or break glass)."""
    client = load_client(session, client_id)
    check_access(session, actor, policy, client, reason)
    return client


def list_records(
    session: Session,
    actor: Actor,
    policy: AccessPolicy,
    client_id: uuid.UUID,
    query: Callable[[Client], Select[tuple[T]]],
    *,
    object_type: str,
    fields: Sequence[str],
    reason: str | None = None,
) -> list[T]:
    """All records ``query(client)`` selects, with one ``<object_type>.list`` event; commits."""
    client = open_file(session, actor, policy, client_id, reason)
    items: list[Any] = list(session.scalars(query(client)).unique())
    decrypt_fields(*items)
    record(
        session,
        actor,
        f"{object_type}.list",
        object_type=object_type,
        object_id=client.case_number,
        fields=list(fields) if items else [],
        details={"count": len(items)},
    )
    session.commit()
    return items
