"""Reading one client file with a token costs a fixed, small number of statements.

Not a timing test: it counts what the database is asked, so an N+1 or a check that
slips back to its own query shows here (issue "Speed of what exists").
"""

from __future__ import annotations

from sqlalchemy import event

from mgz.core.db import database, session_scope
from tests import factories

# The token with its user and both role lists, the file with its key, erased flag and
# advisers, and the audit append (SQLite: lock, read head, insert, move head;
# PostgreSQL: one call).
BUDGET = {"sqlite": 6, "postgresql": 3}


def test_get_client_file_with_a_token_stays_within_its_statement_budget(backend, make_app):
    app = make_app(backend.new_database())
    with app.app_context(), session_scope(app) as db:
        user = factories.make_user(db, roles=("adviser",))
        token = factories.make_token(db, user)
        client = factories.make_client(db, factories.adviser_actor(user))
        db.commit()
        path = f"/api/v1/clients/{client.id}"
    http = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get(path, headers=headers).status_code == 200  # token's last use recorded
    seen: list[str] = []
    event.listen(
        database(app).engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: seen.append(statement.split(None, 1)[0].upper()),
    )
    assert http.get(path, headers=headers).status_code == 200
    statements = [s for s in seen if s not in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
                                               "RELEASE"}]  # fmt: skip
    assert len(statements) <= BUDGET[backend.name], seen
