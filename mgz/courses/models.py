"""The course catalogue, course referrals and the kept history of their steps."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mgz.core.classification import classified
from mgz.core.db import Base, TimestampMixin, utcnow
from mgz.courses.workflow import STATUSES
from mgz.crypto.types import encrypted_column

COUNTY_FUNDING = "LANDKREIS"
_STATUS_LIST = ", ".join(f"'{status}'" for status in STATUSES)


class Course(TimestampMixin, Base):
    """One course of the KIM catalogue: a dated offer of a provider with a capacity.

    Not personal data; every column is statistical (what is counted) or technical
    (catalogue text). ``funding`` ``LANDKREIS`` marks the county-funded courses of
    indicator 6.
    """

    __tablename__ = "courses"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    course_type: Mapped[str] = mapped_column(String(40), info=classified("statistical"))
    funding: Mapped[str] = mapped_column(String(40), info=classified("statistical"))
    provider: Mapped[str] = mapped_column(String(200), info=classified("technical"))
    municipality: Mapped[str] = mapped_column(String(8), info=classified("statistical"))
    address: Mapped[str | None] = mapped_column(String(300), info=classified("technical"))
    starts_on: Mapped[date] = mapped_column(index=True, info=classified("statistical"))
    ends_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    schedule: Mapped[str] = mapped_column(String(40), info=classified("statistical"))
    target_level: Mapped[str | None] = mapped_column(String(40), info=classified("statistical"))
    teaching_units: Mapped[int | None] = mapped_column(SmallInteger, info=classified("statistical"))
    capacity: Mapped[int] = mapped_column(SmallInteger, info=classified("statistical"))
    childcare_offered: Mapped[bool] = mapped_column(
        Boolean, default=False, info=classified("statistical")
    )

    __table_args__ = (
        CheckConstraint("capacity BETWEEN 1 AND 500", name="capacity"),
        CheckConstraint("teaching_units BETWEEN 1 AND 2000", name="teaching_units"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API

    # Set by mgz.courses.places.count_places before a course is shown (not stored).
    places_taken = 0
    waiting_list = 0

    @property
    def county_funded(self) -> bool:
        """Funded by the Landkreis: the courses indicator 6 counts."""
        return self.funding == COUNTY_FUNDING


class CourseReferral(TimestampMixin, Base):
    """A client's referral to a course, or to a course type while no course is fixed.

    ``status`` and ``status_on`` are the newest step; every step is also a row of
    :class:`ReferralStep`, which the indicators count. ``referred_on``,
    ``started_on`` and ``waiting_days`` are derived from the steps when they are
    recorded, so statistics need no join over the history for the waiting time.
    """

    __tablename__ = "course_referrals"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("courses.id"), index=True, info=classified("technical")
    )
    course_type: Mapped[str] = mapped_column(String(40), info=classified("statistical"))
    status: Mapped[str] = mapped_column(String(12), info=classified("statistical"))
    status_on: Mapped[date] = mapped_column(info=classified("statistical"))
    referred_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    started_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    waiting_days: Mapped[int | None] = mapped_column(Integer, info=classified("statistical"))
    # On the course's waiting list (holds no place); ordered by referred_on.
    waitlisted: Mapped[bool] = mapped_column(Boolean, default=False, info=classified("statistical"))
    entitlement: Mapped[str | None] = mapped_column(String(40), info=classified("statistical"))
    entitlement_notice_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    childcare_needed: Mapped[bool] = mapped_column(
        Boolean, default=False, info=classified("statistical")
    )
    childcare_solved: Mapped[bool] = mapped_column(
        Boolean, default=False, info=classified("statistical")
    )
    mobility_barrier: Mapped[bool] = mapped_column(
        Boolean, default=False, info=classified("statistical")
    )
    mobility_solved: Mapped[bool] = mapped_column(
        Boolean, default=False, info=classified("statistical")
    )
    dtz_result: Mapped[str | None] = mapped_column(String(40), info=classified("statistical"))
    lid_passed: Mapped[bool | None] = mapped_column(Boolean, info=classified("statistical"))
    drop_reason: Mapped[str | None] = mapped_column(String(40), info=classified("statistical"))
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), info=classified("staff"))

    remarks: Mapped[str | None] = encrypted_column(str, subject="client_id")

    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_LIST})", name="status"),
        CheckConstraint("waiting_days >= 0", name="waiting_days"),
        Index("ix_course_referrals_course_status", "course_id", "status", "waitlisted"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API

    steps: Mapped[list[ReferralStep]] = relationship(
        order_by="ReferralStep.id", lazy="selectin", cascade="all, delete-orphan"
    )
    # Set by mgz.courses.places.waiting_positions before a referral is shown (not stored).
    waiting_list_position = None


class ReferralStep(Base):
    """One step of a referral's workflow with its date: kept, never overwritten.

    ``course_id`` and ``course_type`` are those of the referral when the step was
    taken, so a later change of course does not move last year's figure.
    """

    __tablename__ = "course_referral_steps"

    id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=True, info=classified("technical")
    )
    referral_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("course_referrals.id", ondelete="CASCADE"),
        index=True,
        info=classified("technical"),
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    status: Mapped[str] = mapped_column(String(12), info=classified("statistical"))
    status_on: Mapped[date] = mapped_column(index=True, info=classified("statistical"))
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("courses.id"), info=classified("technical")
    )
    course_type: Mapped[str] = mapped_column(String(40), info=classified("statistical"))
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), info=classified("staff")
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, info=classified("technical"))

    __table_args__ = (CheckConstraint(f"status IN ({_STATUS_LIST})", name="status"),)
