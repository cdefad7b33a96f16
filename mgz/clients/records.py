"""Records that belong to a client file (consultations, profilings, assessments, ...).

They share the file's access rule and the shape of their list read: open the file
under the policy, load the records, decrypt them (so a damaged field fails before the
read is logged), write one list event naming the personal fields shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select

from mgz.audit.service import record
from mgz.clients.access import CaseAccess
from mgz.clients.models import Client
from mgz.crypto.types import decrypt_fields

T = TypeVar("T")


def list_records(
    case: CaseAccess,
    client_id: uuid.UUID,
    query: Callable[[Client], Select[tuple[T]]],
    *,
    object_type: str,
    fields: Sequence[str],
) -> list[T]:
    """All records ``query(client)`` selects, with one ``<object_type>.list`` event."""
    client = case.open(client_id)
    items: list[Any] = list(case.session.scalars(query(client)).unique())
    decrypt_fields(*items)
    record(
        case.session,
        case.actor,
        f"{object_type}.list",
        object_type=object_type,
        object_id=client.case_number,
        fields=list(fields) if items else [],
        details={"count": len(items)},
    )
    return items
