"""crypto_keys: wrapped data keys per data subject, retired master keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

``data_keys`` holds one data key (DEK) per data subject, wrapped by the master key
named in ``kek_id``; a shredded subject keeps a tombstone row with both NULL.
``retired_master_keys`` lists master keys that no data key may use again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mgz.core.db import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("dek_version", sa.Integer(), nullable=False),
        sa.Column("kek_id", sa.String(length=32), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("rotated_at", UTCDateTime(), nullable=True),
        sa.Column("shredded_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "(kek_id IS NULL) = (wrapped_key IS NULL)", name=op.f("ck_data_keys_wrapped_with_kek")
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_data_keys")),
    )
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_keys_kek_id"), ["kek_id"], unique=False)

    op.create_table(
        "retired_master_keys",
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=False),
        sa.Column("retired_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("kek_id", name=op.f("pk_retired_master_keys")),
    )


def downgrade() -> None:
    op.drop_table("retired_master_keys")
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_keys_kek_id"))
    op.drop_table("data_keys")
