"""What every record service of this area shares: loading a record, its events, changes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients.access import CaseAccess
from mgz.clients.models import Client
from mgz.core.errors import InvalidInputError, NotFoundError
from mgz.core.versions import check_version
from mgz.crypto.types import decrypt_fields

T = TypeVar("T")
INVALID = "Eingabe ungültig."


def load(session: Session, model: type[T], client: Client, record_id: uuid.UUID, missing: str) -> T:
    """The record of ``client`` with ``record_id``, or 404 (also for another file's record)."""
    item: Any = session.get(model, record_id)
    if item is None or item.client_id != client.id:
        raise NotFoundError(missing)
    return item


def event(
    case: CaseAccess,
    action: str,
    client: Client,
    item: Any,
    fields: Sequence[str],
    **details: Any,
) -> None:
    """One audit event about ``item``: field names only, its id and codes in details.

    A read is logged after decrypting, so a damaged field fails before the log claims
    a read.
    """
    object_type = action.split(".")[0]
    if action.endswith(".read"):
        decrypt_fields(item)
    record(
        case.session,
        case.actor,
        action,
        object_type=object_type,
        object_id=client.case_number,
        fields=list(fields),
        details={f"{object_type}_id": item.id.hex, **details},
    )


def refuse_if(errors: Mapping[str, list[str]]) -> None:
    """Raise the 422 for ``errors`` if there are any; nothing has been changed yet."""
    if errors:
        raise InvalidInputError(INVALID, errors=dict(errors))


def refuse_nulls(values: Mapping[str, Any], required: Sequence[str]) -> None:
    """A PATCH may not empty a required field."""
    refuse_if(
        {
            name: ["Darf nicht leer sein."]
            for name in required
            if name in values and values[name] is None
        }
    )


def start_change(item: Any, values: dict[str, Any], stale: str) -> None:
    """Pop ``version`` from ``values`` and refuse a stale one with 409 before anything changes."""
    check_version(item, values.pop("version"), stale)


def apply(session: Session, item: Any, values: Mapping[str, Any]) -> None:
    """Set the attributes and flush (a concurrent change: StaleDataError, answered 409)."""
    for name, value in values.items():
        setattr(item, name, value)
    session.flush()


def merged(item: Any, values: Mapping[str, Any], name: str) -> Any:
    """The value ``name`` will have after the change."""
    return values[name] if name in values else getattr(item, name)
