"""statistics_groundwork: age at move-in, status snapshot of consultations, reference figures

Revision ID: 0016
Revises: 0010
Create Date: 2026-12-01

``clients.age_at_move_in`` (whole years on the move-in day) lets indicator 1 test
"21 or older when they moved in" without decrypting the birth date; revision 0017
fills it for existing rows. ``consultations.residence_status_group_then`` and
``protection_seeker_then`` keep the client's status as it was when the consultation
was recorded; existing consultations get the client's present status (the best value
there is: the status at the time was not kept). ``reference_figures`` holds the
versioned figures from outside mgz (e.g. the registration offices' count of newly
arrived third-country nationals).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mgz.core.db import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("age_at_move_in", sa.SmallInteger(), nullable=True))
    with op.batch_alter_table("consultations") as batch:
        batch.add_column(
            sa.Column("residence_status_group_then", sa.String(length=40), nullable=True)
        )
        batch.add_column(sa.Column("protection_seeker_then", sa.Boolean(), nullable=True))
    op.execute(
        "UPDATE consultations SET "
        "residence_status_group_then = (SELECT c.residence_status_group FROM clients c "
        "WHERE c.id = consultations.client_id), "
        "protection_seeker_then = (SELECT c.is_protection_seeker FROM clients c "
        "WHERE c.id = consultations.client_id)"
    )
    op.create_table(
        "reference_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("value >= 0", name=op.f("ck_reference_figures_value")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_reference_figures_version")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_reference_figures_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_figures")),
        sa.UniqueConstraint(
            "key", "year", "version", name=op.f("uq_reference_figures_key_year_version")
        ),
    )


def downgrade() -> None:
    op.drop_table("reference_figures")
    with op.batch_alter_table("consultations") as batch:
        batch.drop_column("protection_seeker_then")
        batch.drop_column("residence_status_group_then")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("age_at_move_in")
