"""Synthetic test data: users, tokens and signed-in test clients."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from mgz.auth import service as auth_service
from mgz.auth.models import User, UserRole
from mgz.auth.passwords import hash_password
from mgz.core.actor import Actor
from mgz.core.db import utcnow

TEST_PASSWORD = "Kf8#mLq2-vTr9!zW"


@lru_cache(maxsize=8)
def password_hash(password: str = TEST_PASSWORD) -> str:
    """A real scrypt hash, computed once per password for the whole test session."""
    return hash_password(password)


def make_user(
    db: Session,
    *,
    roles: Iterable[str] = ("adviser",),
    username: str | None = None,
    password: str = TEST_PASSWORD,
    disabled: bool = False,
) -> User:
    """A user with ``roles`` (no audit event: test set-up, not an admin action)."""
    user = User(
        username=username or f"user-{uuid.uuid4().hex[:10]}",
        password_hash=password_hash(password),
        password_changed_at=utcnow(),
        disabled_at=utcnow() if disabled else None,
        role_rows=[UserRole(role=role) for role in sorted(set(roles))],
    )
    db.add(user)
    db.flush()
    return user


def make_token(db: Session, user: User, *, days: int = 30) -> str:
    """A personal API token for ``user``; returns the secret."""
    _token, raw = auth_service.create_token(
        db,
        Actor.system("tests"),
        user,
        "test",
        timedelta(days=days),
    )
    db.flush()
    return raw


def signed_in_client(app: Flask, db: Session, user: User, *, via: str = "token") -> FlaskClient:
    """A test client authenticated as ``user`` by API token or by browser session.

    ``via="session"`` opens a real server-side session and puts it into the signed
    cookie as the login endpoint does, with the CSRF token sent on every request.
    """
    client = app.test_client()
    if via == "token":
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_token(db, user)}"
    else:
        raw = auth_service.start_session(db, user, None)
        db.flush()
        csrf = secrets.token_urlsafe(16)
        with client.session_transaction() as cookie:
            cookie["_user_id"] = raw
            cookie["mgz_csrf"] = csrf
        client.environ_base["HTTP_X_CSRF_TOKEN"] = csrf
    client.user = user  # type: ignore[attr-defined]
    return client
