"""courses: the KIM course catalogue, course referrals and the kept steps of each

Revision ID: 0014
Revises: 0015
Create Date: 2026-12-01

remarks is ciphertext (the client's data key); every step of a referral is a row of
course_referral_steps, never overwritten, because indicator 6 counts who started
in a year. waitlisted marks a referral on its course's waiting list.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mgz.core.db import UTCDateTime

# The workflow's statuses as they were at this revision (mgz.courses.workflow).
STATUS_CHECK = (
    "status IN ('planned', 'referred', 'registered', 'started', "
    "'completed', 'dropped', 'no_show', 'cancelled')"
)

revision: str = "0014"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("course_type", sa.String(length=40), nullable=False),
        sa.Column("funding", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("municipality", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("schedule", sa.String(length=40), nullable=False),
        sa.Column("target_level", sa.String(length=40), nullable=True),
        sa.Column("teaching_units", sa.SmallInteger(), nullable=True),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column("childcare_offered", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity BETWEEN 1 AND 500", name=op.f("ck_courses_capacity")),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_courses_dates")
        ),
        sa.CheckConstraint(
            "teaching_units BETWEEN 1 AND 2000", name=op.f("ck_courses_teaching_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courses_starts_on"), ["starts_on"], unique=False)

    op.create_table(
        "course_referrals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("course_type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_on", sa.Date(), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("waiting_days", sa.Integer(), nullable=True),
        sa.Column("waitlisted", sa.Boolean(), nullable=False),
        sa.Column("entitlement", sa.String(length=40), nullable=True),
        sa.Column("entitlement_notice_on", sa.Date(), nullable=True),
        sa.Column("childcare_needed", sa.Boolean(), nullable=False),
        sa.Column("childcare_solved", sa.Boolean(), nullable=False),
        sa.Column("mobility_barrier", sa.Boolean(), nullable=False),
        sa.Column("mobility_solved", sa.Boolean(), nullable=False),
        sa.Column("dtz_result", sa.String(length=40), nullable=True),
        sa.Column("lid_passed", sa.Boolean(), nullable=True),
        sa.Column("drop_reason", sa.String(length=40), nullable=True),
        sa.Column("adviser_id", sa.Integer(), nullable=True),
        sa.Column("remarks", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            STATUS_CHECK,
            name=op.f("ck_course_referrals_status"),
        ),
        sa.CheckConstraint("waiting_days >= 0", name=op.f("ck_course_referrals_waiting_days")),
        sa.ForeignKeyConstraint(
            ["adviser_id"], ["users.id"], name=op.f("fk_course_referrals_adviser_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_course_referrals_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_referrals_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_referrals")),
    )
    with op.batch_alter_table("course_referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_referrals_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_course_referrals_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            "ix_course_referrals_course_status", ["course_id", "status", "waitlisted"], unique=False
        )

    op.create_table(
        "course_referral_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_on", sa.Date(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("course_type", sa.String(length=40), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            STATUS_CHECK,
            name=op.f("ck_course_referral_steps_status"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_course_referral_steps_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_referral_steps_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_course_referral_steps_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["course_referrals.id"],
            name=op.f("fk_course_referral_steps_referral_id_course_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_referral_steps")),
    )
    with op.batch_alter_table("course_referral_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_referral_steps_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_course_referral_steps_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_course_referral_steps_status_on"), ["status_on"], unique=False
        )


def downgrade() -> None:
    op.drop_table("course_referral_steps")
    op.drop_table("course_referrals")
    op.drop_table("courses")
