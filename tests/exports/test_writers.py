"""The writers: CSV as German Excel opens it, XLSX by openpyxl, JSON; manifest and hashes."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from mgz.exports import writers
from mgz.exports.manifest import EXPORT_DEFINITION_VERSION, SELF_HASH_NOTE, software_version
from tests.exports.releases import HEADERS, release

WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
PARAMETERS = {"kind": "aggregates", "format": "csv", "from": 2020, "to": 2024, "threshold": 3}


def write(folder: Path, fmt: str, rows: int = 50, **kwargs):
    folder.mkdir()
    return writers.write_release(
        release(rows), folder, fmt, parameters={**PARAMETERS, "format": fmt},
        created_at=WHEN, **kwargs,
    )  # fmt: skip


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    text = raw[3:].decode("utf-8")
    return list(csv.reader(text.splitlines(), delimiter=";"))


def test_csv_round_trips_with_semicolons_decimal_comma_and_german_headers(tmp_path):
    manifest = write(tmp_path / "out", "csv")
    folder = tmp_path / "out"
    assert sorted(p.name for p in folder.iterdir()) == [
        "beratungen_gemeinde.csv", "definitionen.csv", "klein.csv", "manifest.json",
    ]  # fmt: skip
    rows = read_csv(folder / "beratungen_gemeinde.csv")
    assert tuple(rows[0]) == HEADERS
    assert len(rows) == 51
    assert rows[2] == ["2021", "Bad Essen", "weiblich", "1", "0,25"]
    # A value with the separator in it is quoted and comes back whole.
    assert rows[1] == ["2020", "Bramsche; Süd", "weiblich", "0", "0"]
    assert '"Bramsche; Süd"' in (folder / "beratungen_gemeinde.csv").read_text("utf-8-sig")
    small = read_csv(folder / "klein.csv")
    assert small[1:] == [
        ["2021", "Melle", "x", "", "1,5"],
        ["2022", 'Quote "A"', "12", "0", "0,125"],
    ]
    definitions = read_csv(folder / "definitionen.csv")
    assert definitions[0] == ["Begriff", "Bedeutung"]
    assert definitions[1][0] == "x"
    assert manifest["rows_written"] == {"beratungen_gemeinde": 50, "klein": 2}


def test_xlsx_opens_with_openpyxl_one_sheet_per_table_definitions_and_manifest(tmp_path):
    manifest = write(tmp_path / "out", "xlsx")
    book = load_workbook(tmp_path / "out" / "export.xlsx", read_only=True)
    try:
        assert book.sheetnames == [
            "Beratungen nach Gemeinde", "Kleine Zellen", "Definitionen", "Manifest",
        ]  # fmt: skip
        rows = list(book["Beratungen nach Gemeinde"].values)
        assert rows[0] == HEADERS
        assert len(rows) == 51
        assert rows[2] == (2021, "Bad Essen", "weiblich", 1, 0.25)
        assert list(book["Kleine Zellen"].values)[1] == (2021, "Melle", "x", None, 1.5)
        definitions = list(book["Definitionen"].values)
        assert definitions[0] == ("Begriff", "Bedeutung")
        assert (
            "Blatt Beratungen nach Gemeinde",
            "Beratungen nach Gemeinde: Erstberatungen je Jahr und Gemeinde",
        ) in definitions
        sheet = dict(list(book["Manifest"].values)[1:])
    finally:
        book.close()
    # The sheet states what manifest.json states, except its own file's hash.
    assert sheet["files"] == SELF_HASH_NOTE
    assert json.loads(sheet["rows_written"]) == {"beratungen_gemeinde": 50, "klein": 2}
    assert sheet["definition_version"] == EXPORT_DEFINITION_VERSION
    assert json.loads(sheet["generalisation"]) == {"age": "5 Jahre", "municipality": "Gemeinde"}
    assert [f["name"] for f in manifest["files"]] == ["export.xlsx"]


def test_json_parses_with_every_row(tmp_path):
    write(tmp_path / "out", "json")
    document = json.loads((tmp_path / "out" / "export.json").read_text("utf-8"))
    table = document["tables"]["beratungen_gemeinde"]
    assert table["columns"] == list(HEADERS)
    assert len(table["rows"]) == 50
    assert table["rows"][1] == [2021, "Bad Essen", "weiblich", 1, 0.25]
    assert document["tables"]["klein"]["rows"][0] == [2021, "Melle", "x", None, 1.5]
    assert document["kind"] == "aggregates"
    assert document["definitions"][0]["term"] == "x"


@pytest.mark.parametrize("fmt", writers.FORMATS)
def test_manifest_names_every_file_with_its_sha256_and_size(tmp_path, fmt):
    returned = write(tmp_path / "out", fmt)
    folder = tmp_path / "out"
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest == returned
    on_disk = {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert {f["name"] for f in manifest["files"]} == on_disk
    for item in manifest["files"]:
        data = (folder / item["name"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        assert item["bytes"] == len(data)
    assert manifest["kind"] == "aggregates"
    assert manifest["format"] == fmt
    assert manifest["parameters"]["threshold"] == 3
    assert manifest["rows_in"] == 52 and manifest["rows_suppressed"] == 0
    assert manifest["smallest_class"] is None
    assert manifest["software_version"] == software_version() != "unbekannt"
    assert manifest["definition_version"] == EXPORT_DEFINITION_VERSION
    assert manifest["created_at"] == "2026-12-01T09:30:00+00:00"


def test_a_builder_cannot_state_other_row_counts_or_hashes(tmp_path):
    from dataclasses import replace

    lying = replace(release(5), manifest={"rows_written": {"x": 1}, "files": [], "kind": "y"})
    (tmp_path / "out").mkdir()
    manifest = writers.write_release(
        lying, tmp_path / "out", "json", parameters=PARAMETERS, created_at=WHEN
    )
    assert manifest["rows_written"] == {"beratungen_gemeinde": 5, "klein": 2}
    assert manifest["kind"] == "aggregates" and len(manifest["files"]) == 1


def test_rows_are_pulled_one_at_a_time_never_all_at_once(tmp_path):
    """The writer asks for the next row only after writing the previous one."""
    seen: list[int] = []
    sizes: list[int] = []
    folder = tmp_path / "out"
    folder.mkdir()

    def stream():
        for number in range(3000):
            seen.append(number)
            sizes.append((folder / "export.json").stat().st_size)
            yield (number,)

    from mgz.exports.content import Release, Table

    one = Release("microdata", (Table("t", "T", ("Nr",), stream),), ())
    writers.write_release(one, folder, "json", parameters={}, created_at=WHEN)
    assert len(seen) == 3000
    # The file grows while the stream is still running: rows go out as they come.
    assert sizes[-1] > sizes[0]


def test_progress_hears_the_rows_written(tmp_path):
    heard: list[tuple[str, int]] = []
    write(tmp_path / "out", "csv", rows=1200, progress=lambda t, n: heard.append((t, n)))
    assert ("beratungen_gemeinde", 500) in heard
    assert heard[-2:] == [("beratungen_gemeinde", 1200), ("klein", 2)]


def test_a_writer_never_overwrites_a_file(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "export.json").write_text("alt", "utf-8")
    with pytest.raises(FileExistsError):
        writers.write_release(release(3), folder, "json", parameters={}, created_at=WHEN)
    assert (folder / "export.json").read_text("utf-8") == "alt"


def test_decimal_comma_only_where_decimals_occur():
    from decimal import Decimal

    assert writers.csv_value(3) == "3"
    assert writers.csv_value(2.5) == "2,5"
    assert writers.csv_value(Decimal("12.50")) == "12,50"
    assert writers.csv_value(None) == ""
    assert writers.csv_value("3.5 Jahre") == "3.5 Jahre"  # text is left as it is


def test_sheet_titles_are_made_valid_for_excel_and_unique():
    from mgz.exports.content import Table

    def table(title):
        return Table("t", title, ("A",), lambda: iter(()))

    titles = writers.sheet_titles(
        (
            table("Beratene Personen – Staatsangehörigkeit/Gruppe"),
            table("Beratene Personen – Staatsangehörigkeit/Gruppe"),
            table("Manifest"),
            table("a[1]:b*?"),
        )
    )
    assert titles == [
        "Beratene Personen – Staatsangeh",
        "Beratene Personen – Staatsa (2)",
        "Manifest (2)",
        "a-1--b--",
    ]
