"""The exports API: who may export, what bad input gets, what is handed out."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from mgz.core.clock import today
from mgz.core.db import utcnow
from mgz.exports.models import Export
from tests.conftest import events, last_seq
from tests.exports.people import counselled

API = "/api/v1/exports"
BODY = {"kind": "microdata", "from": 2024, "to": 2024, "format": "xlsx"}


def fetch(http, url):
    """GET ``url`` and close the response (a download holds its file open until then)."""
    response = http.get(url)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def people(app, db):
    with app.app_context():
        return counselled(db)


@pytest.mark.parametrize(
    ("roles", "via", "status"),
    [
        (("statistician",), "token", 201),
        (("admin",), "session", 201),
        (("adviser",), "session", 403),
        (("auditor",), "token", 403),
    ],
)
def test_role_matrix(login_as, people, roles, via, status):
    http = login_as(*roles, via=via)
    created = http.post(API, json=BODY)
    assert created.status_code == status, created.json
    assert http.get(API).status_code == (200 if status == 201 else 403)
    if status == 201:
        assert fetch(http, created.json["download"]).status_code == 200
    else:
        # A real export's download is refused too.
        made = login_as("statistician").post(API, json=BODY).json
        assert fetch(http, made["download"]).status_code == 403


def test_anonymous_is_refused(client):
    assert client.post(API, json=BODY).status_code == 401
    assert client.get(API).status_code == 401
    assert client.get(f"{API}/{uuid.uuid4()}/download").status_code == 401


NEXT_YEAR = today().year + 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"k": 1}, "k"),
        ({"threshold": 0}, "threshold"),
        ({"format": "pdf"}, "format"),
        ({"kind": "rohdaten"}, "kind"),
        ({"from": 2013}, "from"),
        ({"to": NEXT_YEAR}, "to"),
        ({"from": NEXT_YEAR, "to": 2024}, "from"),
        ({"from": 2024, "to": 2020}, "from"),
        ({"max_suppression": 0.6}, "max_suppression"),
        ({"l": 1}, "l"),
        ({"kind": None}, "kind"),
        ({"k": "fünf"}, "k"),
    ],
)
def test_bad_input_is_422_naming_the_field(login_as, db, change, field):
    since = last_seq(db)
    body = {key: value for key, value in {**BODY, **change}.items() if value is not None}
    response = login_as("statistician").post(API, json=body)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert list(response.json["errors"]) == [field], response.json
    assert response.json["detail"]
    assert db.query(Export).count() == 0
    assert events(db, "export.created", since) == []


def test_xlsx_export_happy_path_audited_and_downloaded(login_as, db, people):
    http = login_as("statistician")
    since = last_seq(db)
    response = http.post(API, json={**BODY, "k": 3})
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["kind"], body["format"]) == ("microdata", "xlsx")
    assert body["download"] == f"{API}/{body['id']}/download"
    manifest = body["manifest"]
    assert manifest["parameters"]["k"] == 3 and manifest["rows_in"] == 6
    assert manifest["rows_written"] == {"mikrodaten": 6}
    assert set(manifest["quasi_identifiers"]) and manifest["smallest_class"] == 6
    download = fetch(http, body["download"])
    assert download.status_code == 200
    assert download.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in download.headers["Content-Disposition"]
    [xlsx] = manifest["files"]
    assert hashlib.sha256(download.data).hexdigest() == xlsx["sha256"]
    book = load_workbook(io.BytesIO(download.data), read_only=True)
    try:
        assert book.sheetnames == ["Mikrodaten", "Definitionen", "Manifest"]
        header = next(book["Mikrodaten"].values)
        assert "Geschlecht" in header
    finally:
        book.close()
    [created] = events(db, "export.created", since)
    assert created["object_id"] == body["id"]
    assert created["details"]["sha256.export.xlsx"] == xlsx["sha256"]
    assert created["details"]["rows.mikrodaten"] == 6
    [downloaded] = events(db, "export.downloaded", since)
    assert downloaded["object_id"] == body["id"]
    listed = http.get(API).json
    assert listed[0]["id"] == body["id"]
    assert {f["name"] for f in listed[0]["files"]} == {"export.xlsx", "manifest.json"}


def test_csv_download_is_a_zip_with_the_manifest(login_as, db, people):
    http = login_as("admin")
    body = http.post(API, json={**BODY, "format": "csv"}).json
    download = fetch(http, body["download"])
    assert download.status_code == 200 and download.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert sorted(archive.namelist()) == ["definitionen.csv", "manifest.json", "mikrodaten.csv"]
    manifest = json.loads(archive.read("manifest.json"))
    for item in manifest["files"]:
        assert hashlib.sha256(archive.read(item["name"])).hexdigest() == item["sha256"]
    raw = archive.read("mikrodaten.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw[3:].decode("utf-8").splitlines(), delimiter=";"))
    assert len(rows) == 7 and "Geschlecht" in rows[0]


def test_json_download(login_as, db, people):
    http = login_as("statistician")
    body = http.post(API, json={**BODY, "format": "json"}).json
    download = fetch(http, body["download"])
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert len(json.loads(download.data)["tables"]["mikrodaten"]["rows"]) == 6


def test_aggregates_through_the_api(login_as, db, people):
    response = login_as("statistician").post(
        API, json={"kind": "aggregates", "from": 2024, "to": 2024, "format": "json", "threshold": 2}
    )
    assert response.status_code == 201, response.json
    assert response.json["parameters"] == {
        "kind": "aggregates", "format": "json", "from": 2024, "to": 2024, "threshold": 2,
    }  # fmt: skip
    assert response.json["manifest"]["kind"] == "aggregates"


def test_not_anonymisable_is_409_in_german_and_writes_nothing(login_as, db, people, app):
    since = last_seq(db)
    response = login_as("statistician").post(API, json={**BODY, "k": 50})
    assert response.status_code == 409, response.json
    assert response.mimetype == "application/problem+json"
    assert "nichts freigegeben" in response.json["detail"]
    assert db.query(Export).count() == 0
    assert events(db, "export.created", since) == []


def test_unknown_and_expired_exports_are_404(login_as, db, people):
    http = login_as("statistician")
    assert http.get(f"{API}/{uuid.uuid4()}/download").status_code == 404
    body = http.post(API, json=BODY).json
    row = db.get(Export, uuid.UUID(body["id"]))
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.flush()
    response = fetch(http, body["download"])
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert body["id"] not in [item["id"] for item in http.get(API).json]
