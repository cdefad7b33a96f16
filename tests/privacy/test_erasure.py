"""Erasure (Art. 17 GDPR): after it nothing of the client decrypts, statistics stay the same."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from mgz.clients.models import Client
from mgz.core.actor import Actor
from mgz.core.db import Base
from mgz.crypto.errors import DecryptionError
from mgz.crypto.registry import registered_models
from mgz.exports.aggregates import build_aggregates
from mgz.privacy import holds
from mgz.statistics.indicators import COMPUTE
from mgz.statistics.suppression import MARK
from tests.conftest import events, last_seq
from tests.privacy.every_record import API, publish_checklist, write_every_record

ADMIN = Actor(None, "system:test", frozenset({"system"}), None, "system")


def indicators(db) -> dict[int, Any]:
    """Indicators 1, 6 and 10 for every year up to this one, computed from the records."""
    today = date.today()
    return {number: compute(db, 2020, today.year, today) for number, compute in COMPUTE.items()}


def aggregate_tables(db) -> dict[str, list[tuple[Any, ...]]]:
    """Every released cell of the aggregate export, suppression marks included."""
    release = build_aggregates(db, first_year=2020, last_year=date.today().year)
    return {table.name: [tuple(row) for row in table.rows()] for table in release.tables}


# What must be the same before and after an erasure: every figure computed from the
# statistical attributes (the indicators and every cell of the aggregate export).
STATISTICAL_SNAPSHOTS = {"indicators": indicators, "aggregates": aggregate_tables}


def statistical_snapshot(db) -> dict[str, Any]:
    db.expire_all()
    return {name: build(db) for name, build in STATISTICAL_SNAPSHOTS.items()}


def client_specs():
    """Every model with encrypted fields whose subject is a client (not a user)."""
    return [spec for spec in registered_models(Base.metadata) if spec.cls.__name__ != "TotpSecret"]


def stored(db, spec, client_id: uuid.UUID) -> list[tuple[Any, dict[str, Any]]]:
    """(row id, {storage attribute: stored bytes}) of the client's rows of ``spec``."""
    attributes = [field.storage for field in spec.fields.values()]
    query = select(getattr(spec.cls, spec.pk), *(getattr(spec.cls, a) for a in attributes)).where(
        getattr(spec.cls, spec.subject) == client_id
    )
    return [(row[0], dict(zip(attributes, row[1:], strict=True))) for row in db.execute(query)]


def erase(admin, file: dict[str, Any], reason: str = "data_subject_request", confirm=None) -> Any:
    return admin.post(
        f"{API}/clients/{file['id']}/erasure",
        json={"erasure_reason": reason, "confirm_case_number": confirm or file["case_number"]},
    )


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def test_after_erasure_nothing_decrypts_even_with_every_key_present(
    app, db, adviser, other_adviser, admin, runner
):
    checklist = publish_checklist(admin)
    file = write_every_record(adviser, other_adviser, admin, checklist)
    other = write_every_record(adviser, other_adviser, admin, checklist, last_name="Anderefrau")
    client_id = uuid.UUID(file["id"])
    # Every record type with encrypted fields is populated for this client: a copy of
    # its ciphertext is what an old backup holds.
    backup = {spec.cls: stored(db, spec, client_id) for spec in client_specs()}
    empty = [spec.cls.__name__ for spec in client_specs() if not backup[spec.cls]]
    assert empty == []
    assert all(any(v is not None for _, values in rows for v in values.values())
               for rows in backup.values())  # fmt: skip
    before = statistical_snapshot(db)
    # The erased person is in the figures compared (a table of zeros would prove nothing).
    cells = [cell for rows in before["aggregates"].values() for row in rows for cell in row]
    assert any(cell == MARK or (isinstance(cell, int) and cell > 0) for cell in cells)
    since = last_seq(db)

    response = erase(admin, file)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (
        body["case_number"] == file["case_number"]
        and body["erasure_reason"] == "data_subject_request"
    )
    assert body["rows_cleared"] == sum(len(rows) for rows in backup.values())
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["keys.shred", "client.erased"]
    assert logged[1]["object_id"] == file["case_number"]
    assert logged[1]["details"] == {
        "reason": "data_subject_request",
        "rows_cleared": body["rows_cleared"],
    }

    # The free text is deleted, not only undecryptable; the blind indexes are gone.
    db.expire_all()
    for spec in client_specs():
        for _row_id, values in stored(db, spec, client_id):
            assert set(values.values()) == {None}, spec.cls.__name__
    row = db.get(Client, client_id)
    assert (row.identity_index, row.name_year_index, row.phonetic_year_index,
            row.phonetic_birth_index) == (None, None, None, None)  # fmt: skip
    assert row.case_number == file["case_number"] and row.birth_year == 1990

    # Put the old ciphertext back (a restored backup): with every master key and the
    # index key configured, not one field of the client opens.
    for cls, rows in backup.items():
        for row_id, values in rows:
            db.execute(update(cls).where(cls.id == row_id).values(values))
    db.expire_all()
    opened = []
    with app.app_context():
        for spec in client_specs():
            query = select(spec.cls).where(getattr(spec.cls, spec.subject) == client_id)
            for item in db.scalars(query):
                for name in spec.fields:
                    try:
                        value = getattr(item, name)
                    except DecryptionError:
                        continue
                    if value is not None:
                        opened.append(f"{spec.cls.__name__}.{name}")
    assert opened == []

    # The other client is untouched; the erased file is gone (410) for everyone.
    assert adviser.get(f"{API}/clients/{other['id']}").get_json()["last_name"] == "Anderefrau"
    assert adviser.get(f"{API}/clients/{file['id']}").status_code == 410
    assert adviser.get(f"{API}/clients/{file['id']}/consents").status_code == 410
    assert erase(admin, file).status_code == 410

    assert statistical_snapshot(db) == before

    every = " ".join(e["raw"] for e in events(db))
    for value in ("Beispielfrau", "Testumfang", "Zeugin Test", "Lernwerk Test", "Testort"):
        assert value not in every
    db.commit()
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_a_legal_hold_refuses_the_erasure_with_its_reason(db, adviser, admin):
    from tests.clients.conftest import create

    file = create(adviser)
    benefit = adviser.post(
        f"{API}/clients/{file['id']}/benefits", json={"kind": "SGB_II", "from_on": "2024-04-01"}
    )
    assert benefit.status_code == 201
    hold = holds.place_hold(db, ADMIN, file["case_number"], "legal_proceedings", None, date.today())
    since = last_seq(db)

    refused = erase(admin, file)
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["holds"] == ["legal_proceedings", "open_benefit_period"]
    assert "Widerspruchs- oder Gerichtsverfahren" in problem["detail"]
    assert "Offener Leistungszeitraum" in problem["detail"]
    denied = events(db, "client.erase", since=since)
    assert [(e["outcome"], e["details"]) for e in denied] == [
        ("denied", {"holds": "legal_proceedings+open_benefit_period"})
    ]
    assert adviser.get(f"{API}/clients/{file['id']}").status_code == 200

    holds.release_hold(db, ADMIN, hold.id)
    assert erase(admin, file).get_json()["holds"] == ["open_benefit_period"]
    closed = adviser.patch(
        f"{API}/clients/{file['id']}/benefits/{benefit.get_json()['id']}",
        json={"version": 1, "to_on": "2024-12-31"},
    )
    assert closed.status_code == 200, closed.get_json()
    assert erase(admin, file).status_code == 200


@pytest.mark.parametrize(
    ("reason", "confirm", "field"),
    [
        ("data_subject_request", "MGZ-0000-000000", "confirm_case_number"),
        ("no_such_reason", None, "erasure_reason"),
    ],
)
def test_reason_and_confirmation_are_checked_before_anything_changes(
    db, adviser, admin, reason, confirm, field
):
    from tests.clients.conftest import create

    file = create(adviser)
    response = erase(admin, file, reason, confirm)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert adviser.get(f"{API}/clients/{file['id']}").get_json()["last_name"] == "Beispielfrau"


@pytest.mark.parametrize(
    ("role", "status"),
    [("adviser", 403), ("statistician", 403), ("auditor", 403), ("anonymous", 401), ("admin", 200)],
)
def test_only_admins_erase(app, db, adviser, login_as, role, status):
    from tests.clients.conftest import create

    file = create(adviser)
    http = app.test_client() if role == "anonymous" else login_as(role)
    assert erase(http, file).status_code == status
    expected = 410 if status == 200 else 200
    assert adviser.get(f"{API}/clients/{file['id']}").status_code == expected
