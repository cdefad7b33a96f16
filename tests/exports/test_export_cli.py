"""``mgz export``: files at --out, their manifest, the audit event, the same rules as the API."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from mgz.core.db import utcnow
from mgz.exports.models import Export
from tests.conftest import events, last_seq
from tests.exports.people import counselled


@pytest.fixture
def people(app, db):
    with app.app_context():
        return counselled(db)


def test_csv_goes_to_a_new_folder_with_its_manifest(runner, db, people, tmp_path):
    since = last_seq(db)
    out = tmp_path / "lieferung"
    result = runner.invoke(
        args=["export", "microdata", "--from", "2024", "--to", "2024", "--format", "csv",
              "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Zeilen geschrieben" in result.output and "6 Zeilen" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "definitionen.csv", "manifest.json", "mikrodaten.csv",
    ]  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    for item in manifest["files"]:
        assert hashlib.sha256((out / item["name"]).read_bytes()).hexdigest() == item["sha256"]
    text = (out / "mikrodaten.csv").read_text("utf-8-sig")
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    assert len(rows) == 7 and "Geschlecht" in rows[0]
    assert [p.name for p in tmp_path.iterdir()] == ["lieferung"], "no partial left"
    [event] = events(db, "export.created", since)
    assert event["details"]["target"] == "path"
    assert event["details"]["sha256.mikrodaten.csv"] == manifest["files"][0]["sha256"]
    assert db.query(Export).count() == 0, "--out files are not in the instance folder"


def test_xlsx_is_the_file_and_its_manifest_lies_beside_it(runner, db, people, tmp_path):
    out = tmp_path / "lieferung.xlsx"
    result = runner.invoke(
        args=["export", "aggregates", "--from", "2024", "--to", "2024", "--format", "xlsx",
              "--out", str(out), "--threshold", "2"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "lieferung.xlsx.manifest.json").read_text("utf-8"))
    [item] = manifest["files"]
    assert item["name"] == "lieferung.xlsx"
    assert hashlib.sha256(out.read_bytes()).hexdigest() == item["sha256"]
    assert manifest["parameters"]["threshold"] == 2
    book = load_workbook(out, read_only=True)
    try:
        assert book.sheetnames[-2:] == ["Definitionen", "Manifest"]
    finally:
        book.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lieferung.xlsx", "lieferung.xlsx.manifest.json",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["microdata", "--from", "2024", "--to", "2024", "--k", "1"], "k"),
        (["aggregates", "--from", "2024", "--to", "2024", "--threshold", "0"], "threshold"),
        (["aggregates", "--from", "2013", "--to", "2024"], "from"),
        (["aggregates", "--from", "2024", "--to", "2999"], "to"),
        (["aggregates", "--from", "2024", "--to", "2020"], "from"),
        (["microdata", "--from", "2024", "--to", "2024", "--max-suppression", "0.9"],
         "max_suppression"),
        (["microdata", "--from", "2024", "--to", "2024", "--l", "1"], "l"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field(runner, db, tmp_path, args, field):
    since = last_seq(db)
    out = tmp_path / "x.json"
    result = runner.invoke(args=["export", *args, "--format", "json", "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert f"  {field}: " in result.output
    assert list(tmp_path.iterdir()) == []
    assert events(db, "export.created", since) == []


def test_an_unknown_format_is_refused(runner, tmp_path):
    result = runner.invoke(
        args=["export", "aggregates", "--from", "2024", "--to", "2024", "--format", "pdf",
              "--out", str(tmp_path / "x")]
    )  # fmt: skip
    assert result.exit_code == 2 and "--format" in result.output


def test_an_existing_target_is_never_overwritten(runner, people, tmp_path):
    out = tmp_path / "da.json"
    out.write_text("alt", "utf-8")
    result = runner.invoke(
        args=["export", "microdata", "--from", "2024", "--to", "2024", "--format", "json",
              "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 2 and "existiert bereits" in result.output
    assert out.read_text("utf-8") == "alt"


def test_not_anonymisable_leaves_nothing(runner, db, people, tmp_path):
    result = runner.invoke(
        args=["export", "microdata", "--from", "2024", "--to", "2024", "--format", "csv",
              "--k", "40", "--out", str(tmp_path / "x")]
    )  # fmt: skip
    assert result.exit_code == 1 and "nichts freigegeben" in result.output
    assert list(tmp_path.iterdir()) == []


def test_purge_deletes_exports_past_retention(runner, app, db, people):
    from mgz.core.actor import Actor
    from mgz.core.clock import today
    from mgz.exports import service
    from mgz.exports.parameters import ExportRequest

    place = service.place_of(app.config, app.instance_path)
    with app.app_context():
        created = service.create_export(
            db, Actor.system("tests"), ExportRequest("microdata", "json", 2024, 2024),
            today=today(), place=place,
        )  # fmt: skip
    created.export.expires_at = utcnow() - timedelta(seconds=1)
    db.flush()
    since = last_seq(db)
    result = runner.invoke(args=["export", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 Export(e) gelöscht" in result.output
    assert not (place.root / str(created.export.id)).exists()
    assert [e["object_id"] for e in events(db, "export.deleted", since)] == [str(created.export.id)]
