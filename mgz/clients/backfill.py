"""Filling derived statistical columns for client files written before they existed.

The one place besides the services where birth dates are decrypted in bulk: a
migration that adds a derived column calls this once, in batches, so the statistics
that read the column never need to decrypt. Only rows with a move-in date can have an
age at move-in, so only those are opened.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, load_only

from mgz.audit import service as audit
from mgz.clients.derive import age_on
from mgz.clients.models import Client

BATCH = 500


def pending_age_at_move_in(session: Session) -> int:
    """Client files with a move-in date whose age at move-in is not derived yet."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Client)
            .where(Client.moved_in_on.is_not(None), Client.age_at_move_in.is_(None))
        )
        or 0
    )


def fill_age_at_move_in(
    session: Session, *, progress: Callable[[int], None] | None = None, batch: int = BATCH
) -> int:
    """Derive ``age_at_move_in`` for every pending file; returns how many were filled.

    Loads only the id, the birth date and the move-in date (the schema may be older
    than the models' newest columns while a migration runs), writes with a plain
    UPDATE that leaves the file's version alone (nothing a person entered changes),
    and logs one audit event naming the field read, without values.
    """
    filled = 0
    after = None
    while True:
        query = (
            select(Client)
            .options(
                load_only(
                    Client.id,
                    Client.birth_date_ciphertext,  # type: ignore[attr-defined]
                    Client.moved_in_on,
                    raiseload=True,
                )
            )
            .where(Client.moved_in_on.is_not(None), Client.age_at_move_in.is_(None))
            .order_by(Client.id)
            .limit(batch)
        )
        if after is not None:
            query = query.where(Client.id > after)
        rows = list(session.scalars(query))
        if not rows:
            break
        ages = [
            {"row_id": row.id, "age": age_on(row.birth_date, row.moved_in_on)}
            for row in rows
            if row.birth_date is not None and row.moved_in_on is not None
        ]
        if ages:
            session.execute(
                update(Client.__table__)
                .where(Client.__table__.c.id == bindparam("row_id"))
                .values(age_at_move_in=bindparam("age")),
                ages,
            )
        filled += len(ages)
        after = rows[-1].id
        session.expunge_all()
        if progress is not None:
            progress(len(rows))
    audit.record(
        session,
        None,
        "client.derive",
        object_type="client",
        fields=["birth_date", "moved_in_on"],
        details={"derived": "age_at_move_in", "rows": filled},
    )
    return filled
