"""The export service: files in the instance folder, row and audit event together, retention."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import InvalidInputError
from mgz.core.files import sha256_of
from mgz.exports import service, store
from mgz.exports.models import Export
from mgz.exports.parameters import ExportRequest
from tests.conftest import events, last_seq
from tests.exports.people import counselled

TODAY = date(2026, 12, 1)
ACTOR = Actor(None, "statistik-test", frozenset({"statistician"}), None, "statistician")


def request(**overrides):
    values = {"kind": "microdata", "export_format": "csv", "first_year": 2024, "last_year": 2024}
    return ExportRequest(**{**values, **overrides})


@pytest.fixture(autouse=True)
def _context(app):
    with app.app_context():
        yield


@pytest.fixture
def place(tmp_path):
    return service.Place(store.exports_root(tmp_path), retention_days=30)


@pytest.fixture
def people(db):
    return counselled(db)


def test_an_export_is_written_recorded_and_audited_in_one_transaction(db, place, people):
    since = last_seq(db)
    created = service.create_export(db, ACTOR, request(), today=TODAY, place=place)
    db.commit()
    folder = place.root / str(created.export.id)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["definitionen.csv", "manifest.json", "mikrodaten.csv"]
    row = db.get(Export, created.export.id)
    assert row.rows == {"mikrodaten": 6} and row.kind == "microdata" and row.format == "csv"
    assert row.parameters == {
        "kind": "microdata", "format": "csv", "from": 2024, "to": 2024,
        "k": 5, "max_suppression": 0.05, "l": 2,
    }  # fmt: skip
    assert row.expires_at - row.created_at == timedelta(days=30)
    assert {f["name"]: f["sha256"] for f in row.files} == {
        name: sha256_of(folder / name) for name in names
    }
    [event] = events(db, "export.created", since)
    assert event["object_id"] == str(row.id)
    details = event["details"]
    assert (details["kind"], details["k"], details["rows"], details["rows.mikrodaten"]) == (
        "microdata", 5, 6, 6,
    )  # fmt: skip
    for name in names:
        assert details[f"sha256.{name}"] == sha256_of(folder / name)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest == created.manifest
    assert manifest["rows_in"] == 6 and manifest["smallest_class"] == 6


def test_a_rolled_back_export_leaves_no_row_no_event_and_is_never_served(db, place, people):
    since = last_seq(db)
    created = service.create_export(db, ACTOR, request(), today=TODAY, place=place)
    export_id = created.export.id
    db.rollback()
    db.commit()  # nothing of the rolled-back work is left to commit
    assert db.scalar(select(Export).where(Export.id == export_id)) is None
    assert events(db, "export.created", since) == []
    # Its folder was renamed into place before the rollback: no row, so no download ...
    assert (place.root / str(export_id) / "manifest.json").is_file()
    with pytest.raises(service.ExportNotFoundError):
        service.open_download(db, ACTOR, export_id, place=place)
    # ... and the clean-up removes it once it is past the grace period.
    later = utcnow() + timedelta(seconds=store.LEFTOVER_GRACE_SECONDS + 60)
    service.purge_expired(db, ACTOR, place=place, now=later)
    assert not (place.root / str(export_id)).exists()


def test_exports_past_retention_are_deleted_audited_and_no_longer_served(db, place, people):
    created = service.create_export(db, ACTOR, request(export_format="json"), today=TODAY,
                                    place=place)  # fmt: skip
    export_id = created.export.id
    folder = place.root / str(export_id)
    since = last_seq(db)
    assert service.purge_expired(db, ACTOR, place=place, now=utcnow() + timedelta(days=29)) == 0
    assert folder.is_dir()
    assert service.list_exports(db, now=utcnow() + timedelta(days=29))[0].id == export_id
    moment = utcnow() + timedelta(days=30, minutes=1)
    assert service.purge_expired(db, ACTOR, place=place, now=moment) == 1
    assert not folder.exists()
    assert db.get(Export, export_id).deleted_at == moment
    db.commit()
    [event] = events(db, "export.deleted", since)
    assert (event["object_id"], event["details"]["reason"]) == (str(export_id), "retention")
    assert export_id not in [row.id for row in service.list_exports(db)]
    with pytest.raises(service.ExportNotFoundError):
        service.open_download(db, ACTOR, export_id, place=place)


def test_an_expired_export_is_not_served_even_before_the_purge(db, place, people):
    created = service.create_export(db, ACTOR, request(export_format="xlsx"), today=TODAY,
                                    place=place)  # fmt: skip
    later = utcnow() + timedelta(days=31)
    with pytest.raises(service.ExportNotFoundError):
        service.open_download(db, ACTOR, created.export.id, place=place, now=later)


def test_interrupted_exports_are_cleaned_up_after_the_grace_period(db, place):
    partial = place.root / ".0b0e-interrupted.partial"
    partial.mkdir()
    (partial / "mikrodaten.csv").write_text("halb", "utf-8")
    service.purge_expired(db, ACTOR, place=place)
    assert partial.exists(), "young: may be an export another worker is writing"
    later = utcnow() + timedelta(seconds=store.LEFTOVER_GRACE_SECONDS + 60)
    service.purge_expired(db, ACTOR, place=place, now=later)
    assert not partial.exists()


def test_a_file_changed_on_disk_is_refused(db, place, people):
    created = service.create_export(db, ACTOR, request(), today=TODAY, place=place)
    path = place.root / str(created.export.id) / "mikrodaten.csv"
    path.write_bytes(path.read_bytes() + b"2024;x\r\n")
    with pytest.raises(service.ExportDamagedError):
        service.open_download(db, ACTOR, created.export.id, place=place)


def test_a_failing_build_leaves_nothing_behind(db, place, people):
    since = last_seq(db)
    with pytest.raises(service.NotAnonymisableExportError):
        service.create_export(db, ACTOR, request(k=7), today=TODAY, place=place)
    db.commit()
    assert list(place.root.iterdir()) == []
    assert events(db, "export.created", since) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"k": 1}, "k"),
        ({"threshold": 0}, "threshold"),
        ({"export_format": "pdf"}, "format"),
        ({"kind": "rohdaten"}, "kind"),
        ({"first_year": 2013}, "from"),
        ({"last_year": 2027}, "to"),
        ({"first_year": 2025, "last_year": 2024}, "from"),
        ({"max_suppression": 0.6}, "max_suppression"),
        ({"l_required": 1}, "l"),
    ],
)
def test_the_service_refuses_bad_input_naming_the_field(db, place, overrides, field):
    with pytest.raises(InvalidInputError) as refused:
        service.create_export(db, ACTOR, request(**overrides), today=TODAY, place=place)
    assert list(refused.value.errors) == [field]
    assert list(place.root.iterdir()) == []


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_aggregate_tables_are_written_through_the_same_service(db, place, people, fmt):
    from openpyxl import load_workbook

    created = service.create_export(
        db, ACTOR, request(kind="aggregates", export_format=fmt), today=TODAY, place=place
    )
    folder = place.root / str(created.export.id)
    assert created.export.parameters["threshold"] == 3 and "k" not in created.export.parameters
    assert len(created.export.rows) > 1
    if fmt == "xlsx":
        book = load_workbook(folder / "export.xlsx", read_only=True)
        try:
            assert book.sheetnames[-2:] == ["Definitionen", "Manifest"]
            assert len(book.sheetnames) == len(created.export.rows) + 2
        finally:
            book.close()
    else:
        csv_files = {p.name for p in folder.glob("*.csv")}
        assert csv_files == {f"{name}.csv" for name in created.export.rows} | {"definitionen.csv"}
