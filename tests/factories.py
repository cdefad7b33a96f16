"""Synthetic test data: users, tokens, signed-in test clients, and client files.

The client-file factories go through the services (``create_client``,
``create_consultation``) or the synthetic-data generator, not through HTTP, so a
test can build hundreds of rows quickly. They flush; the test's transaction is
rolled back afterwards as always.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.auth import service as auth_service
from mgz.auth.models import ApiToken, User, UserRole
from mgz.auth.passwords import hash_password
from mgz.auth.service import _sha256
from mgz.clients import service as clients_service
from mgz.clients import synthetic
from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.clients.models import Client
from mgz.clients.schemas import ClientCreateSchema
from mgz.consultations import service as consultations_service
from mgz.consultations.models import Consultation
from mgz.consultations.schemas import ConsultationCreateSchema
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.courses import catalogue as courses_catalogue
from mgz.courses import referrals as courses_referrals
from mgz.courses.models import Course, CourseReferral
from mgz.courses.schemas import CourseCreateSchema, ReferralCreateSchema
from mgz.placements import service as placements_service
from mgz.placements.models import Benefit, Placement
from mgz.placements.schemas import BenefitCreateSchema, PlacementCreateSchema

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


def make_token(
    db: Session,
    user: User,
    *,
    days: int = 30,
    roles: Iterable[str] | None = None,
    totp_required_roles: Iterable[str] = (),
) -> str:
    """A personal API token for ``user`` with ``roles`` (default: all of theirs).

    Created by the user themself, the one case in which a token may carry a role
    that sees personal data (mgz.auth.service.tokens). Returns the secret.
    """
    _token, raw = auth_service.create_token(
        db,
        Actor(user.id, user.username, user.roles),
        user,
        "test",
        timedelta(days=days),
        sorted(user.roles) if roles is None else roles,
        totp_required_roles=frozenset(totp_required_roles),
    )
    db.flush()
    return raw


def signed_in_client(app: Flask, db: Session, user: User, *, via: str = "token") -> FlaskClient:
    """A test client authenticated as ``user`` by API token or by browser session.

    ``via="session"`` opens a real server-side session and puts it into the signed
    cookie as the login endpoint does, with the CSRF token sent on every request.
    """
    client = app.test_client()
    client.token_id = None  # type: ignore[attr-defined]
    if via == "token":
        raw = make_token(db, user)
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        token = db.scalars(select(ApiToken).where(ApiToken.token_hash == _sha256(raw))).one()
        client.token_id = str(token.id)  # type: ignore[attr-defined]
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


# --- client files through the services ---------------------------------------------------


def adviser_actor(user: User) -> Actor:
    """The actor of ``user`` acting as an adviser (for service calls in tests)."""
    return Actor(user.id, user.username, frozenset(user.roles), None, "adviser")


def client_values(**overrides: Any) -> dict[str, Any]:
    """A valid intake (as JSON) with obviously made-up values; ``overrides`` replace fields."""
    body: dict[str, Any] = {
        "first_name": "Testa",
        "last_name": f"Beispiel{uuid.uuid4().hex[:8]}",
        "birth_date": "1990-04-12",
        "gender": "female",
        "nationality": ["SY"],
        "residence_status": "AE_25_2_GFK",
        "entered_germany_on": "2024-02-01",
        "moved_in_on": "2024-03-15",
        "municipality": "03459024",
        "receives_sgb2": True,
        "languages": ["ar"],
    }
    body.update(overrides)
    return body


def make_client(db: Session, actor: Actor, **overrides: Any) -> Client:
    """A client file made by ``create_client`` (audited as an intake); ``actor`` is responsible."""
    data = ClientCreateSchema().load(client_values(**overrides))
    return clients_service.create_client(db, actor, data).client


def make_consultation(
    db: Session, actor: Actor, client: Client, *, margin_days: int = 90, **overrides: Any
) -> Consultation:
    """A consultation recorded by ``create_consultation`` (a follow-up unless ``kind`` says so)."""
    body: dict[str, Any] = {
        "kind": "follow_up",
        "held_on": date.today().isoformat(),
        "channel": "in_person",
        **overrides,
    }
    data = ConsultationCreateSchema().load(body)
    case = CaseAccess(db, actor, AccessPolicy("team"))
    return consultations_service.create_consultation(case, client.id, data, margin_days=margin_days)


def make_placement(
    db: Session, actor: Actor, client: Client, *, margin_days: int = 90, **overrides: Any
) -> Placement:
    """A placement recorded by ``create_placement`` (snapshots from the file unless given)."""
    body: dict[str, Any] = {
        "placed_on": date.today().isoformat(),
        "kind": "SVB",
        "kldb_code": "52122",
        **overrides,
    }
    data = PlacementCreateSchema().load(body)
    case = CaseAccess(db, actor, AccessPolicy("team"))
    return placements_service.create_placement(case, client.id, data, margin_days=margin_days)


def make_benefit(db: Session, actor: Actor, client: Client, **overrides: Any) -> Benefit:
    """A benefit period recorded by ``create_benefit`` (SGB II, open-ended, unless given)."""
    body: dict[str, Any] = {"kind": "SGB_II", "from_on": "2024-04-01", **overrides}
    data = BenefitCreateSchema().load(body)
    case = CaseAccess(db, actor, AccessPolicy("team"))
    return placements_service.create_benefit(case, client.id, data)


def make_caseload(
    db: Session, n: int, seed: int, *, adviser: User | None = None
) -> synthetic.SeedReport:
    """``n`` synthetic client files with consultations (the demo generator, reproducible).

    For statistics tests that need hundreds of rows. The generator commits per batch:
    inside the test's transaction that releases a savepoint, so the rows still go with
    the test's rollback. It also expunges the session: load objects again afterwards.
    """
    return synthetic.seed_clients(
        db,
        Actor.system("tests"),
        count=n,
        seed=seed,
        adviser_id=adviser.id if adviser else None,
    )


# --- KIM: courses and course referrals through the services -----------------------------


def course_values(**overrides: Any) -> dict[str, Any]:
    """A valid course (as JSON): a county-funded Deutsch-Treff in Melle, 12 places."""
    body: dict[str, Any] = {
        "course_type": "DEUTSCH_TREFF",
        "funding": "LANDKREIS",
        "provider": "Testträger Sprachschule",
        "municipality": "03459024",
        "address": "Kursweg 1",
        "starts_on": "2024-04-01",
        "ends_on": "2030-12-31",
        "schedule": "PART_TIME",
        "target_level": "A2",
        "teaching_units": 100,
        "capacity": 12,
        "childcare_offered": True,
    }
    body.update(overrides)
    return body


def make_course(db: Session, actor: Actor | None = None, **overrides: Any) -> Course:
    """A course made by ``create_course`` (audited as ``course.create``)."""
    data = CourseCreateSchema().load(course_values(**overrides))
    return courses_catalogue.create_course(db, actor or Actor.system("tests"), data)


def make_referral(
    db: Session, actor: Actor, client: Client, course: Course | None = None, **overrides: Any
) -> CourseReferral:
    """A referral made by ``create_referral``: to ``course``, else to a course type.

    Referred on 2024-04-02 unless ``referred_on`` says otherwise (``None``: planned).
    """
    body: dict[str, Any] = {"referred_on": "2024-04-02", **overrides}
    if course is not None:
        body.setdefault("course_id", str(course.id))
    else:
        body.setdefault("course_type", "ALLG")
    if body["referred_on"] is None:
        del body["referred_on"]
    data = ReferralCreateSchema().load(body)
    case = CaseAccess(db, actor, AccessPolicy("team"))
    return courses_referrals.create_referral(case, client.id, data)
