"""Two admins disabling each other at the same moment still leave one active admin."""

import threading
import time

from sqlalchemy import select

from mgz.auth import service
from mgz.auth.models import User
from mgz.core.actor import Actor
from mgz.core.db import database
from mgz.core.errors import ConflictError
from tests import factories


def test_two_admins_disabling_each_other_leave_one_active(backend, make_app):
    app = make_app(backend.new_database())
    with app.app_context():
        session = database(app).new_session()
        first = factories.make_user(session, roles=("admin",))
        second = factories.make_user(session, roles=("admin",))
        session.commit()
        ids = (first.id, second.id)
        session.close()
    disabled_first = threading.Event()
    outcome: dict[str, object] = {}

    def disable(actor_id, target_id, name):
        with app.app_context():
            session = database(app).new_session()
            try:
                actor = Actor(actor_id, f"admin-{actor_id}", frozenset({"admin"}), None, "admin")
                if name == "second":
                    disabled_first.wait(timeout=30)
                service.disable_user(session, actor, service.get_user(session, target_id))
                session.flush()
                if name == "first":
                    # The other transaction checks while this one is still open.
                    disabled_first.set()
                    time.sleep(0.5)
                session.commit()
                outcome[name] = "disabled"
            except ConflictError:
                session.rollback()
                outcome[name] = "refused"
            finally:
                session.close()

    threads = [
        threading.Thread(target=disable, args=(ids[0], ids[1], "first")),
        threading.Thread(target=disable, args=(ids[1], ids[0], "second")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcome == {"first": "disabled", "second": "refused"}
    with app.app_context():
        session = database(app).new_session()
        active = session.scalars(select(User.id).where(User.disabled_at.is_(None))).all()
        session.close()
    assert active == [ids[0]]
