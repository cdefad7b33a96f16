"""Legal bases and consents per client and purpose; legal holds that block erasure.

Codes and dates are statistical or technical plaintext (which purpose, which legal
basis, given on, withdrawn on: the gate and the statistics need them without a key);
the free text of a consent (its scope, the witness of an oral consent) is personal
data and encrypted with the client's data key, so erasing the client destroys it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mgz.core.classification import classified
from mgz.core.db import Base, TimestampMixin
from mgz.crypto.types import encrypted_column

CONSENT = "consent"  # the legal_basis code that needs given_on, consent_form and may be withdrawn
FORMS = ("written", "oral_witnessed")


class Consent(TimestampMixin, Base):
    """The legal basis recorded for one processing purpose of one client.

    ``legal_basis`` ``consent`` (Art. 6(1)(a), 9(2)(a) GDPR) carries the date it was
    given, its form (written, or oral with a witness) and, once withdrawn, the date of
    withdrawal; other bases (legal obligation, public task with §§ 67a ff. SGB X) carry
    only the date from which they are recorded. The newest row of a purpose decides
    (``mgz.privacy.consents.require_purpose``); rows are never deleted, so the record
    of who consented to what, and when it ended, stays (Art. 7(1) GDPR).
    """

    __tablename__ = "consents"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    purpose: Mapped[str] = mapped_column(String(40), info=classified("statistical"))
    legal_basis: Mapped[str] = mapped_column(String(40), info=classified("statistical"))
    # data_exchange: the named units of the county administration it covers (codes of
    # data_exchange_unit); empty for other purposes.
    units: Mapped[list[str]] = mapped_column(JSON, default=list, info=classified("statistical"))
    given_on: Mapped[date] = mapped_column(info=classified("statistical"))
    consent_form: Mapped[str | None] = mapped_column(String(20), info=classified("statistical"))
    withdrawn_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), info=classified("staff")
    )
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), info=classified("staff")
    )

    scope: Mapped[str | None] = encrypted_column(str, subject="client_id")
    witness_name: Mapped[str | None] = encrypted_column(str, subject="client_id")

    __table_args__ = (
        CheckConstraint("consent_form IN ('written', 'oral_witnessed')", name="consent_form"),
        CheckConstraint(
            "legal_basis = 'consent' OR consent_form IS NULL", name="form_only_consent"
        ),
        CheckConstraint("legal_basis = 'consent' OR withdrawn_on IS NULL", name="withdraw_consent"),
        CheckConstraint("withdrawn_on IS NULL OR withdrawn_on >= given_on", name="withdrawn_after"),
        Index("ix_consents_client_purpose", "client_id", "purpose"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API


class LegalHold(Base):
    """A reason why a client's file must not be erased yet (an open procedure, a claim).

    Only a code (list ``legal_hold_reason``) and dates: no free text, so nothing here
    is personal data beyond the pseudonymous client id. ``until`` NULL: until
    released; ``released_at`` set: no longer in force.
    """

    __tablename__ = "legal_holds"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    reason: Mapped[str] = mapped_column(String(40), info=classified("technical"))
    until: Mapped[date | None] = mapped_column(info=classified("technical"))
    placed_at: Mapped[datetime] = mapped_column(info=classified("technical"))
    placed_by: Mapped[str] = mapped_column(String(200), info=classified("staff"))
    released_at: Mapped[datetime | None] = mapped_column(info=classified("technical"))
    released_by: Mapped[str | None] = mapped_column(String(200), info=classified("staff"))
