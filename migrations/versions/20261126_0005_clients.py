"""clients: client files, responsible advisers, break-glass log, case-number counters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Personal fields are LargeBinary: they only ever hold ciphertext (mgz.crypto).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mgz.core.db import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_number_counters",
        sa.Column("year", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_case_number_counters")),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_number", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("identity_index", sa.String(length=8), nullable=True),
        sa.Column("birth_year", sa.SmallInteger(), nullable=False),
        sa.Column("gender", sa.String(length=12), nullable=False),
        sa.Column("citizenship_group", sa.String(length=16), nullable=False),
        sa.Column("residence_status", sa.String(length=40), nullable=True),
        sa.Column("residence_status_group", sa.String(length=40), nullable=True),
        sa.Column("is_protection_seeker", sa.Boolean(), nullable=False),
        sa.Column("entered_germany_on", sa.Date(), nullable=True),
        sa.Column("moved_in_on", sa.Date(), nullable=True),
        sa.Column("moved_in_from_abroad", sa.Boolean(), nullable=True),
        sa.Column("municipality", sa.String(length=12), nullable=False),
        sa.Column("receives_sgb2", sa.Boolean(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("interpreter_needed", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("first_name", sa.LargeBinary(), nullable=True),
        sa.Column("last_name", sa.LargeBinary(), nullable=True),
        sa.Column("birth_date", sa.LargeBinary(), nullable=True),
        sa.Column("birth_place", sa.LargeBinary(), nullable=True),
        sa.Column("nationality", sa.LargeBinary(), nullable=True),
        sa.Column("address", sa.LargeBinary(), nullable=True),
        sa.Column("phone", sa.LargeBinary(), nullable=True),
        sa.Column("email", sa.LargeBinary(), nullable=True),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "citizenship_group IN ('eu', 'third_country', 'stateless', 'unknown')",
            name=op.f("ck_clients_citizenship_group"),
        ),
        sa.CheckConstraint(
            "gender IN ('female', 'male', 'diverse', 'unspecified')", name=op.f("ck_clients_gender")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_clients_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("case_number", name=op.f("uq_clients_case_number")),
    )
    op.create_index(op.f("ix_clients_birth_year"), "clients", ["birth_year"], unique=False)
    op.create_index(
        op.f("ix_clients_citizenship_group"), "clients", ["citizenship_group"], unique=False
    )
    op.create_index(op.f("ix_clients_identity_index"), "clients", ["identity_index"], unique=False)
    op.create_index(op.f("ix_clients_moved_in_on"), "clients", ["moved_in_on"], unique=False)
    op.create_index(op.f("ix_clients_municipality"), "clients", ["municipality"], unique=False)
    op.create_index(
        op.f("ix_clients_residence_status"), "clients", ["residence_status"], unique=False
    )
    op.create_table(
        "break_glass_accesses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.LargeBinary(), nullable=True),
        sa.Column("accessed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_break_glass_accesses_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_break_glass_accesses_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_accesses")),
    )
    op.create_index(
        op.f("ix_break_glass_accesses_client_id"),
        "break_glass_accesses",
        ["client_id"],
        unique=False,
    )
    op.create_table(
        "client_advisers",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_client_advisers_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_client_advisers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("client_id", "user_id", name=op.f("pk_client_advisers")),
    )
    op.create_index(
        op.f("ix_client_advisers_user_id"), "client_advisers", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("client_advisers")
    op.drop_table("break_glass_accesses")
    op.drop_table("clients")
    op.drop_table("case_number_counters")
