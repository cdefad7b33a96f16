"""age_at_move_in_backfill: derive the age at move-in of existing client files

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

Unlike every other migration this one decrypts: the age at move-in needs the birth
date, which is stored encrypted with each client's data key. It opens only the files
that have a move-in date, in batches of 500, shows a progress bar on a terminal, and
logs one audit event (fields read, number of rows; no values). It therefore needs the
keys and runs only through ``mgz db upgrade`` (the application's context), and only
when such files exist: a new or empty database migrates without keys as before.
Downgrading leaves nothing to undo (0016 drops the column).
"""

import sys
from collections.abc import Sequence

import click
from alembic import op
from sqlalchemy import text
from sqlalchemy.orm import Session

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    pending = bind.execute(
        text(
            "SELECT count(*) FROM clients WHERE moved_in_on IS NOT NULL AND age_at_move_in IS NULL"
        )
    ).scalar()
    if not pending:
        return
    from flask import has_app_context

    if not has_app_context():
        raise RuntimeError(
            "Migration 0017 entschlüsselt Geburtsdaten und braucht die Schlüssel: "
            "bitte mit 'mgz db upgrade' ausführen."
        )
    from mgz.clients.backfill import fill_age_at_move_in

    # Joined to the migration's transaction: the session's commit appends the audit
    # event (mgz.audit.service) but leaves committing to Alembic, with the schema.
    session = Session(bind=bind, join_transaction_mode="rollback_only")
    try:
        with click.progressbar(
            length=pending,
            label="Alter bei Zuzug ableiten",
            file=sys.stderr,
        ) as bar:
            fill_age_at_move_in(session, progress=bar.update)
        session.commit()
    finally:
        session.close()


def downgrade() -> None:
    pass
