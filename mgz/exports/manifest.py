"""The manifest of an export: what was released, by which rules, and every file's hash.

A recipient checks the files against ``manifest.json`` (SHA-256 and size of each)
and reads beside them how the release was made: the kind's own entries from the
builder (parameters, the generalisation chosen per quasi-identifier, rows in and
suppressed, the smallest class), then the rows written per table, the definition and
software versions and the time. docs/export.md ("Manifest") explains every field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from typing import Any

from mgz.exports.content import Release

# The version of what the export's tables mean (their columns, bands and rules); a
# change of what a released value counts gets a new version (docs/export.md).
EXPORT_DEFINITION_VERSION = "2026.1"
MANIFEST_NAME = "manifest.json"
# The XLSX carries its manifest as a sheet; a file cannot contain its own hash.
SELF_HASH_NOTE = (
    "Die SHA-256-Prüfsumme dieser XLSX-Datei steht in manifest.json neben ihr; "
    "eine Datei kann ihre eigene Prüfsumme nicht enthalten."
)


@dataclass(frozen=True)
class WrittenFile:
    """One file of an export as written: its name, SHA-256 and size in bytes."""

    name: str
    sha256: str
    bytes: int

    def as_entry(self) -> dict[str, Any]:
        """The file's entry in the manifest."""
        return {"name": self.name, "sha256": self.sha256, "bytes": self.bytes}


def software_version() -> str:
    """The installed version of mgz (setup.cfg), as the recipient may quote it."""
    try:
        return metadata.version("mgz")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed
        return "unbekannt"


def jsonable(value: Any) -> Any:
    """``value`` with tuples as lists, keys as strings and other objects as text."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [jsonable(item) for item in items]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def build_manifest(
    release: Release,
    *,
    export_format: str,
    parameters: Mapping[str, Any],
    rows: Mapping[str, int],
    files: Sequence[WrittenFile],
    created_at: datetime,
) -> dict[str, Any]:
    """The manifest: the release's own entries, then what the writer knows.

    The writer's fields come after the builder's and win on a clash, so that a
    builder can never state another hash or row count than what is on disk.
    """
    own = jsonable(dict(release.manifest))
    return {
        **own,
        "kind": release.kind,
        "format": export_format,
        "parameters": jsonable(dict(parameters)),
        "rows_written": dict(rows),
        "files": [item.as_entry() for item in files],
        "definition_version": own.get("definition_version", EXPORT_DEFINITION_VERSION),
        "software_version": software_version(),
        "created_at": created_at.isoformat(),
    }


def manifest_rows(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The manifest as (field, value) pairs for a sheet: nested values as compact JSON."""
    pairs = []
    for key, value in manifest.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        pairs.append((key, text))
    return pairs


def dumps(manifest: Mapping[str, Any]) -> bytes:
    """``manifest.json``'s bytes: UTF-8, indented, keys in the order built."""
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
