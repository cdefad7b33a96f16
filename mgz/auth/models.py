"""Accounts and their credentials: users, roles, sessions, scoped API tokens, failed logins.

No credential is stored in a form that logs a caller in: passwords as scrypt hashes,
session ids and API tokens as SHA-256 of a 256-bit random value, TOTP seeds encrypted
with a data key of their own (a database dump alone must not yield second factors).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mgz.core.access import ROLES
from mgz.core.classification import classified
from mgz.core.db import Base, TimestampMixin
from mgz.crypto.types import encrypted_column

_ROLE_LIST = ", ".join(f"'{role}'" for role in ROLES)


class User(TimestampMixin, Base):
    """A member of staff who signs in; never deleted, only disabled."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=classified("staff"))
    username: Mapped[str] = mapped_column(String(64), unique=True, info=classified("staff"))
    password_hash: Mapped[str] = mapped_column(String(255), info=classified("secret"))
    password_changed_at: Mapped[datetime] = mapped_column(info=classified("technical"))
    disabled_at: Mapped[datetime | None] = mapped_column(info=classified("technical"))
    # Time step of the last accepted code, so a code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, info=classified("technical"))

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    # The enrolled second factor, if any.
    # Loaded when asked for (login, enrolment, listings), not with every token check.
    totp: Mapped[TotpSecret | None] = relationship(
        cascade="all, delete-orphan", lazy="select", uselist=False
    )

    @property
    def has_totp(self) -> bool:
        """Whether a second factor is enrolled (no decryption needed)."""
        return self.totp is not None

    @property
    def totp_secret(self) -> str | None:
        """The base32 TOTP seed (decrypted on access)."""
        return self.totp.secret if self.totp is not None else None

    @property
    def roles(self) -> frozenset[str]:
        """The roles this user holds."""
        return frozenset(row.role for row in self.role_rows)

    @property
    def is_disabled(self) -> bool:
        """Whether the account is disabled."""
        return self.disabled_at is not None


class TotpSecret(Base):
    """A user's base32 TOTP seed, encrypted with a data key of its own."""

    __tablename__ = "user_totp_secrets"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, info=classified("staff")
    )
    secret: Mapped[str | None] = encrypted_column(str, subject="id", data_class="secret")


class UserRole(Base):
    """One role held by a user."""

    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN ({_ROLE_LIST})", name="role_known"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, info=classified("staff")
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True, info=classified("staff"))

    user: Mapped[User] = relationship(back_populates="role_rows")


class AuthSession(Base):
    """A signed-in browser session; the cookie holds the token, we keep its hash."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True, info=classified("secret"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, info=classified("staff")
    )
    created_at: Mapped[datetime] = mapped_column(info=classified("technical"))
    last_seen_at: Mapped[datetime] = mapped_column(info=classified("technical"))


class ApiToken(Base):
    """A personal API token for machine access; shown once, stored as a hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=classified("technical"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, info=classified("staff")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=classified("secret"))
    # The first characters, so people can tell their tokens apart in a listing.
    prefix: Mapped[str] = mapped_column(String(16), info=classified("technical"))
    label: Mapped[str] = mapped_column(String(100), info=classified("staff"))
    created_at: Mapped[datetime] = mapped_column(info=classified("technical"))
    expires_at: Mapped[datetime] = mapped_column(info=classified("technical"))
    revoked_at: Mapped[datetime | None] = mapped_column(info=classified("technical"))
    last_used_at: Mapped[datetime | None] = mapped_column(info=classified("technical"))

    # The roles the token may use, named at creation; a request acts with those of
    # them its user still holds (mgz.auth.service.tokens).
    role_rows: Mapped[list[ApiTokenRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        """The roles named at creation (not yet cut to the user's current roles)."""
        return frozenset(row.role for row in self.role_rows)

    @property
    def role_list(self) -> list[str]:
        """The roles in a stable order, for listings."""
        return sorted(self.roles)


class ApiTokenRole(Base):
    """One role an API token may use."""

    __tablename__ = "api_token_roles"
    __table_args__ = (CheckConstraint(f"role IN ({_ROLE_LIST})", name="role_known"),)

    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"),
        primary_key=True,
        info=classified("technical"),
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True, info=classified("staff"))


class LoginFailure(Base):
    """A failed login, kept for the throttling window (shared by all app processes)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=classified("technical"))
    occurred_at: Mapped[datetime] = mapped_column(index=True, info=classified("technical"))
    # SHA-256 of the normalised user name typed: a password typed into the name
    # field must not be stored in clear.
    account_key: Mapped[str] = mapped_column(String(64), index=True, info=classified("secret"))
    client_address: Mapped[str] = mapped_column(String(64), index=True, info=classified("staff"))
