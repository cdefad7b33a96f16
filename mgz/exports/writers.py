"""From a :class:`~mgz.exports.content.Release` to files in a folder: CSV, XLSX or JSON.

Every writer pulls the rows of a table one at a time from its stream and writes each
at once, so an export of any size runs in constant memory; it counts the rows as it
goes. Files are flushed and synced before their SHA-256 is taken, and the manifest is
written last: a folder with ``manifest.json`` holds every file it names, whole.
Where the folder lives and how it becomes visible (a rename) is the caller's part
(``mgz.exports.store``).

- CSV, as German Excel opens it: one ``<table>.csv`` per table and ``definitionen.csv``,
  UTF-8 with BOM, ``;`` between fields, minimal quoting, a decimal comma in numbers
  with decimals; the headers are the tables' German column names.
- XLSX: one ``export.xlsx`` through openpyxl's write-only mode (rows go straight to
  the file): a sheet per table, "Definitionen" and "Manifest".
- JSON: one ``export.json``, written row by row.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from openpyxl import Workbook

from mgz.core.files import sha256_of
from mgz.exports import manifest as manifests
from mgz.exports.content import Release, Table

FORMATS = ("csv", "xlsx", "json")
DEFINITIONS_NAME = "definitionen"
DEFINITIONS_HEADERS = ("Begriff", "Bedeutung")
DEFINITIONS_SHEET = "Definitionen"
MANIFEST_SHEET = "Manifest"
MANIFEST_HEADERS = ("Feld", "Wert")
# How often (in rows) the progress callback hears of a table's rows.
PROGRESS_EVERY = 500

# table name, rows of that table written so far
Progress = Callable[[str, int], None]


@dataclass
class Written:
    """What a writer put into the folder: the files (with hashes) and rows per table."""

    files: list[manifests.WrittenFile] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def _counted(table: Table, rows: dict[str, int], progress: Progress | None) -> Iterator[Any]:
    """The table's rows from a fresh stream, counted into ``rows`` as they pass."""
    count = 0
    for row in table.rows():
        yield row
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(table.name, count)
    rows[table.name] = count
    if progress is not None:
        progress(table.name, count)


def _synced(path: Path, written: Written) -> None:
    """Record ``path`` (already closed and synced) with its hash and size."""
    written.files.append(manifests.WrittenFile(path.name, sha256_of(path), path.stat().st_size))


def _open_text(path: Path, encoding: str = "utf-8") -> TextIO:
    # Exclusive: a writer never overwrites a file that is already there.
    return open(path, "x", encoding=encoding, newline="")  # noqa: SIM115 - closed by caller


def _close_synced(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


# --- CSV -------------------------------------------------------------------------------


def csv_value(value: Any) -> str:
    """One value as German Excel reads it: decimal comma, empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float | Decimal):
        return format(value, "f" if isinstance(value, Decimal) else "").replace(".", ",")
    return str(value)


def _csv_file(path: Path, headers: tuple[str, ...], rows: Iterator[Any]) -> None:
    handle = _open_text(path, encoding="utf-8-sig")
    try:
        out = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        out.writerow(headers)
        for row in rows:
            out.writerow([csv_value(value) for value in row])
    finally:
        _close_synced(handle)


def write_csv(release: Release, folder: Path, progress: Progress | None = None) -> Written:
    """One CSV per table and ``definitionen.csv``."""
    written = Written()
    for table in release.tables:
        path = folder / f"{table.name}.csv"
        _csv_file(path, table.columns, _counted(table, written.rows, progress))
        _synced(path, written)
    path = folder / f"{DEFINITIONS_NAME}.csv"
    _csv_file(path, DEFINITIONS_HEADERS, iter((d.term, d.meaning) for d in release.definitions))
    _synced(path, written)
    return written


# --- XLSX ------------------------------------------------------------------------------


_SHEET_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
SHEET_TITLE_MAX = 31  # Excel's limit


def sheet_titles(tables: tuple[Table, ...]) -> list[str]:
    """A valid, unique sheet title per table: Excel forbids some signs and > 31 characters.

    The full title stays in the "Definitionen" sheet beside the sheet's name.
    """
    taken = {DEFINITIONS_SHEET.lower(), MANIFEST_SHEET.lower()}
    titles = []
    for table in tables:
        base = _SHEET_FORBIDDEN.sub("-", table.title).strip("' ") or table.name
        title, number = base[:SHEET_TITLE_MAX], 1
        while title.lower() in taken:
            number += 1
            suffix = f" ({number})"
            title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
        taken.add(title.lower())
        titles.append(title)
    return titles


def _cell(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def write_xlsx(
    release: Release,
    folder: Path,
    progress: Progress | None = None,
    *,
    manifest_for: Callable[[Written], Mapping[str, Any]],
    file_name: str = "export.xlsx",
) -> Written:
    """``export.xlsx``: a sheet per table, then "Definitionen", then "Manifest".

    ``manifest_for`` gives the manifest once the rows are counted; the sheet names no
    hash of its own file (a file cannot hold its own hash): ``manifest.json`` does.
    """
    written = Written()
    book = Workbook(write_only=True)
    titles = sheet_titles(release.tables)
    for table, title in zip(release.tables, titles, strict=True):
        sheet = book.create_sheet(title=title)
        sheet.append(list(table.columns))
        for row in _counted(table, written.rows, progress):
            sheet.append([_cell(value) for value in row])
    sheet = book.create_sheet(title=DEFINITIONS_SHEET)
    sheet.append(list(DEFINITIONS_HEADERS))
    for definition in release.definitions:
        sheet.append([definition.term, definition.meaning])
    for table, title in zip(release.tables, titles, strict=True):
        meaning = f"{table.title}: {table.description}" if table.description else table.title
        sheet.append([f"Blatt {title}", meaning])
    sheet = book.create_sheet(title=MANIFEST_SHEET)
    sheet.append(list(MANIFEST_HEADERS))
    entries = {**manifest_for(written), "files": manifests.SELF_HASH_NOTE}
    for key, value in manifests.manifest_rows(entries):
        sheet.append([key, value])
    path = folder / file_name
    with open(path, "xb") as handle:
        book.save(handle)
        handle.flush()
        os.fsync(handle.fileno())
    _synced(path, written)
    return written


# --- JSON ------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_json(
    release: Release,
    folder: Path,
    progress: Progress | None = None,
    *,
    file_name: str = "export.json",
) -> Written:
    """``export.json``: kind, tables by name (title, columns, rows), definitions.

    Written piece by piece, one line per row: never the whole document in memory.
    """
    written = Written()
    path = folder / file_name
    handle = _open_text(path)
    try:
        handle.write('{"kind":' + _dump(release.kind) + ',"tables":{')
        for number, table in enumerate(release.tables):
            head = {"title": table.title, "description": table.description}
            handle.write(("," if number else "") + "\n" + _dump(table.name) + ":")
            handle.write(_dump(head)[:-1] + ',"columns":' + _dump(list(table.columns)))
            handle.write(',"rows":[')
            for index, row in enumerate(_counted(table, written.rows, progress)):
                line = _dump([_json_value(value) for value in row])
                handle.write(("," if index else "") + "\n" + line)
            handle.write("]}")
        definitions = [{"term": d.term, "meaning": d.meaning} for d in release.definitions]
        handle.write('},\n"definitions":' + _dump(definitions) + "}\n")
    finally:
        _close_synced(handle)
    _synced(path, written)
    return written


# --- the whole folder ------------------------------------------------------------------


def sync_folder(folder: Path) -> None:
    """Sync the folder's entries to disk (before it is renamed into place)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_release(
    release: Release,
    folder: Path,
    export_format: str,
    *,
    parameters: Mapping[str, Any],
    created_at: datetime,
    progress: Progress | None = None,
    file_name: str | None = None,
) -> dict[str, Any]:
    """Write the release's files and then ``manifest.json`` into ``folder``; the manifest.

    ``folder`` exists and is empty (a ``.partial`` folder nobody serves). ``file_name``
    names the one file of XLSX and JSON (default ``export.xlsx`` / ``export.json``).
    """
    if export_format not in FORMATS:
        raise ValueError(f"unknown export format {export_format!r}")

    def manifest_for(written: Written) -> dict[str, Any]:
        return manifests.build_manifest(
            release,
            export_format=export_format,
            parameters=parameters,
            rows=written.rows,
            files=written.files,
            created_at=created_at,
        )

    if export_format == "csv":
        written = write_csv(release, folder, progress)
    elif export_format == "xlsx":
        name = file_name or "export.xlsx"
        written = write_xlsx(release, folder, progress, manifest_for=manifest_for, file_name=name)
    else:
        written = write_json(release, folder, progress, file_name=file_name or "export.json")
    manifest = manifest_for(written)
    path = folder / manifests.MANIFEST_NAME
    with open(path, "xb") as handle:
        handle.write(manifests.dumps(manifest))
        handle.flush()
        os.fsync(handle.fileno())
    sync_folder(folder)
    return manifest
