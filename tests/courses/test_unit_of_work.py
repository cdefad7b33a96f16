"""KIM services share the request's unit of work: together, or not at all."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from mgz.audit.models import AuditEvent
from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.core.actor import Actor
from mgz.core.db import database
from mgz.core.unit_of_work import unit_of_work
from mgz.courses import catalogue, referrals
from mgz.courses.models import Course, CourseReferral
from mgz.courses.referrals import InvalidTransitionError
from mgz.courses.schemas import CourseCreateSchema
from tests import factories

TEAM = AccessPolicy("team")


def _setup(app, db):
    user = factories.make_user(db, roles=("adviser",))
    actor = Actor(user.id, user.username, frozenset({"adviser"}), None, "adviser")
    with app.app_context():
        client = factories.make_client(db, actor)
    db.commit()
    return actor, client.id


def _count(db, model):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def _head(db):
    db.expire_all()
    return db.scalar(select(func.max(AuditEvent.seq))) or 0


def _work(session, actor, client_id, *, bad_step):
    course = catalogue.create_course(
        session, actor, CourseCreateSchema().load(factories.course_values())
    )
    case = CaseAccess(session, actor, TEAM)
    referral = referrals.create_referral(
        case, client_id, {"course_id": course.id, "referred_on": date(2024, 4, 2)}
    )
    if bad_step:
        referrals.update_referral(
            case, client_id, referral.id,
            {"version": referral.version, "status": "completed", "status_on": date(2024, 4, 3)},
        )  # fmt: skip


def test_a_course_and_a_referral_commit_together(app, db):
    actor, client_id = _setup(app, db)
    start = _head(db)
    with app.app_context():
        session = database(app).new_session()
        with unit_of_work(session):
            _work(session, actor, client_id, bad_step=False)
        session.close()
    assert (_count(db, Course), _count(db, CourseReferral)) == (1, 1)
    db.expire_all()
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.seq > start)).all()
    assert actions == ["course.create", "course_referral.create", "course_referral.read"]


def test_a_refused_step_rolls_back_the_course_and_the_referral(app, db):
    actor, client_id = _setup(app, db)
    start = _head(db)
    before = (_count(db, Course), _count(db, CourseReferral))
    with app.app_context():
        session = database(app).new_session()
        with pytest.raises(InvalidTransitionError), unit_of_work(session):
            _work(session, actor, client_id, bad_step=True)
        session.close()
    assert (_count(db, Course), _count(db, CourseReferral)) == before
    assert _head(db) == start
