"""A damaged client field fails closed over the API; the audit event names the adviser.

Real commits on a fresh database: the failure event is written in a transaction of
its own, which the per-test rollback fixture would swallow.
"""

from sqlalchemy import text

from mgz.core.db import database
from tests import factories
from tests.clients.conftest import intake
from tests.conftest import events


def test_damaged_field_gives_problem_without_values_and_audit_names_the_adviser(backend, make_app):
    app = make_app(backend.new_database())
    with app.app_context():
        session = database(app).new_session()
        user = factories.make_user(session)
        adviser = factories.signed_in_client(app, session, user)
        session.commit()
        user_id = user.id
        session.close()
    body = adviser.post("/api/v1/clients", json=intake()).get_json()
    with app.app_context():
        session = database(app).new_session()
        # An attacker (or a bad restore) copies one ciphertext over another.
        session.execute(
            text("UPDATE clients SET last_name = first_name WHERE case_number = :c"),
            {"c": body["case_number"]},
        )
        session.commit()
        session.close()

    response = adviser.get(f"/api/v1/clients/{body['id']}")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    raw = response.get_data(as_text=True)
    assert "Testa" not in raw
    assert "Beispielfrau" not in raw

    with app.app_context():
        session = database(app).new_session()
        failures = [e for e in events(session) if e["outcome"] == "failure"]
        reads = events(session, "client.read")
        session.close()
    assert [(e["action"], e["fields"]) for e in failures] == [("crypto.decrypt", ["last_name"])]
    assert failures[0]["actor_user_id"] == user_id
    assert "Testa" not in failures[0]["raw"]
    # The failed read did not commit a read event: only the intake's read is there.
    assert len(reads) == 1
