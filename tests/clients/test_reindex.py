"""Files from before migration 0012 become findable: mgz keys reindex fills the new indexes."""

from __future__ import annotations

import uuid

from sqlalchemy import update

from mgz.clients.models import Client
from mgz.core.actor import Actor
from mgz.crypto import reindex
from mgz.crypto.service import shred
from tests.clients.conftest import create
from tests.conftest import events, last_seq

NEW_INDEXES = ("name_year_index", "phonetic_year_index", "phonetic_birth_index")
SIMILAR = {"first_name": "Muhammad", "last_name": "Beispielfrau", "birth_year": 1990}


def _as_before_the_upgrade(db, client_id):
    # What migration 0012 leaves: the new columns NULL, the old identity index kept.
    db.execute(update(Client).where(Client.id == client_id).values(dict.fromkeys(NEW_INDEXES)))
    db.flush()
    db.expire_all()


def _found(adviser, **body):
    response = adviser.post("/api/v1/clients/search", json={**body, "similar": True})
    assert response.status_code == 200
    return [item["case_number"] for item in response.get_json()["items"]]


def test_reindex_makes_old_files_findable_and_is_counted_until_then(app, adviser, runner, db):
    old = create(adviser, first_name="Mohammed")
    erased = create(adviser, first_name="Mohammed", confirmed_different_person=True)
    with app.app_context():
        shred(db, Actor.system("tests"), uuid.UUID(erased["id"]))
    for body in (old, erased):
        _as_before_the_upgrade(db, uuid.UUID(body["id"]))
    assert _found(adviser, **SIMILAR) == []
    # Exact search by last name + birth date works as before the upgrade.
    assert _found(adviser, last_name="Beispielfrau", birth_date="1990-04-12") == [
        old["case_number"]
    ]
    with app.app_context():
        assert reindex.index_backlog(db) == 1  # the shredded file is not counted
    status = runner.invoke(args=["keys", "status"])
    assert "ohne Suchindex (mgz keys reindex): 1" in status.output

    since = last_seq(db)
    done = runner.invoke(args=["keys", "reindex", "--batch-size", "1"])
    assert done.exit_code == 0, done.output
    assert "1 Datensätze neu indiziert." in done.output
    logged = events(db, "keys.reindex", since=since)
    assert [(e["object_id"], e["details"]) for e in logged] == [("clients", {"rows": 1})]
    assert "Mohammed" not in logged[0]["raw"]

    db.expire_all()
    assert _found(adviser, **SIMILAR) == [old["case_number"]]
    with app.app_context():
        assert reindex.index_backlog(db) == 0
        shredded = db.get(Client, uuid.UUID(erased["id"]))
        assert [getattr(shredded, name) for name in NEW_INDEXES] == [None, None, None]
    again = runner.invoke(args=["keys", "reindex"])
    assert "0 Datensätze neu indiziert." in again.output


def test_indexes_follow_every_change_of_a_name_or_birth_date(app, adviser, db):
    body = create(adviser)
    client = db.get(Client, uuid.UUID(body["id"]))
    before = {name: getattr(client, name) for name in ("identity_index", *NEW_INDEXES)}
    assert None not in before.values()
    changed = {}
    version = body["version"]
    for field, value in (
        ("first_name", "Tessa"),
        ("last_name", "Beispielmann"),
        ("birth_date", "1990-04-13"),
    ):
        response = adviser.patch(
            f"/api/v1/clients/{body['id']}", json={"version": version, field: value}
        )
        assert response.status_code == 200
        version = response.get_json()["version"]
        db.expire_all()
        client = db.get(Client, uuid.UUID(body["id"]))
        now = {name: getattr(client, name) for name in before}
        changed[field] = {name for name in now if now[name] != before[name]}
        before = now
    assert changed["first_name"] == {"name_year_index", "phonetic_year_index"}
    assert changed["last_name"] == {"identity_index", *NEW_INDEXES}
    # Another day of the same year: the year indexes stay, the date ones change.
    assert changed["birth_date"] == {"identity_index", "phonetic_birth_index"}
