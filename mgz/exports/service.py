"""Exports as a service: write one, list them, hand one out, delete those past retention.

An export is built (``builders``), written into a ``.partial`` folder, renamed into
place (``store``) and then recorded: its row and its audit event ``export.created``
(parameters, rows per table, the SHA-256 of every file) go into the caller's
transaction together, so either both commit or neither does. A folder whose
transaction rolled back has no row: it is never served, and the next clean-up
removes it. Every download is audited (``export.downloaded``), every deletion too
(``export.deleted``).
"""

from __future__ import annotations

import re
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.audit import service as audit
from mgz.core.actor import Actor
from mgz.core.config import Setting, int_range, register
from mgz.core.db import utcnow
from mgz.core.errors import ConflictError, NotFoundError
from mgz.core.files import sha256_of
from mgz.exports import parameters, store
from mgz.exports.anonymity import NotAnonymisableError
from mgz.exports.builders import build_release
from mgz.exports.manifest import MANIFEST_NAME
from mgz.exports.microdata import ExportChangedError
from mgz.exports.models import Export
from mgz.exports.parameters import ExportRequest
from mgz.exports.writers import Progress, write_release

register(
    Setting(
        "EXPORT_RETENTION_DAYS",
        int_range(1, 3650),
        "days an export's files are kept in the instance folder before they are deleted",
    )
)
DEFAULT_RETENTION_DAYS = 30

MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "zip": "application/zip",
}
_DETAIL_KEY = re.compile(r"[^a-z0-9_.]")


class NotAnonymisableExportError(ConflictError):
    """The microdata cannot be made k-anonymous within the budget: nothing is released."""

    slug = "not-anonymisable"
    title = "Nicht anonymisierbar"


class ChangedDuringExportError(ConflictError):
    """Records changed while the export was written: the file would not be the one checked."""

    slug = "changed-during-export"
    title = "Daten während des Exports geändert"


class ExportNotFoundError(NotFoundError):
    """No export of that id, or its files are past retention."""

    slug = "export-not-found"


class ExportDamagedError(ConflictError):
    """A file on disk no longer has the SHA-256 recorded when it was written."""

    slug = "export-damaged"
    title = "Exportdatei verändert"


@dataclass(frozen=True)
class Place:
    """Where exports are kept and for how long (from the app's settings)."""

    root: Path
    retention_days: int = DEFAULT_RETENTION_DAYS


def place_of(config: Mapping[str, Any], instance_path: str | Path) -> Place:
    """The place of an app: ``<instance>/exports`` and ``EXPORT_RETENTION_DAYS``."""
    days = config.get("EXPORT_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS
    return Place(store.exports_root(Path(instance_path)), int(days))


@dataclass(frozen=True)
class Created:
    """An export just written: its row and its manifest."""

    export: Export
    manifest: dict[str, Any]


def _key(text: str) -> str:
    return _DETAIL_KEY.sub("_", text.lower())[:56]


def _details(
    request: ExportRequest, manifest: Mapping[str, Any], manifest_sha256: str
) -> dict[str, str | int]:
    """Parameters, rows per table and the SHA-256 per file: codes and counts only."""
    details: dict[str, str | int] = {
        _key(name): value if isinstance(value, int) else str(value)
        for name, value in request.parameters().items()
    }
    rows: Mapping[str, int] = manifest["rows_written"]
    details["rows"] = sum(rows.values())
    for table, count in rows.items():
        details[f"rows.{_key(table)}"] = count
    for item in manifest["files"]:
        details[f"sha256.{_key(item['name'])}"] = item["sha256"]
    details[f"sha256.{_key(MANIFEST_NAME)}"] = manifest_sha256
    return details


def _build(session: Session, request: ExportRequest) -> Any:
    try:
        return build_release(session, request)
    except NotAnonymisableError as error:
        raise NotAnonymisableExportError(
            str(error), errors={"k": ["Mit diesen Parametern nicht anonymisierbar."]}
        ) from None


def write_to(
    session: Session,
    request: ExportRequest,
    folder: Path,
    *,
    created_at: datetime,
    progress: Progress | None = None,
    file_name: str | None = None,
) -> dict[str, Any]:
    """Build the release and write its files and manifest into ``folder``; the manifest."""
    release = _build(session, request)
    try:
        return write_release(
            release,
            folder,
            request.export_format,
            parameters=request.parameters(),
            created_at=created_at,
            progress=progress,
            file_name=file_name,
        )
    except ExportChangedError as error:
        raise ChangedDuringExportError(str(error)) from None


def create_export(
    session: Session,
    actor: Actor,
    request: ExportRequest,
    *,
    today: date,
    place: Place,
    progress: Progress | None = None,
) -> Created:
    """Write an export into the instance folder, record it and audit it (one transaction).

    Exports past retention are deleted first (every request cleans up). The row and
    the event are flushed, not committed: the caller's unit of work commits them.
    """
    parameters.check(request, today)
    purge_expired(session, actor, place=place)
    export_id = uuid.uuid4()
    created_at = utcnow()
    with store.staged(place.root, str(export_id)) as partial:
        manifest = write_to(session, request, partial, created_at=created_at, progress=progress)
        manifest_sha256 = sha256_of(partial / MANIFEST_NAME)
        manifest_bytes = (partial / MANIFEST_NAME).stat().st_size
        store.publish(partial, place.root, str(export_id))
    row = Export(
        id=export_id,
        kind=request.kind,
        format=request.export_format,
        parameters=request.parameters(),
        rows=dict(manifest["rows_written"]),
        files=[
            *manifest["files"],
            {"name": MANIFEST_NAME, "sha256": manifest_sha256, "bytes": manifest_bytes},
        ],
        created_by_id=actor.user_id,
        created_at=created_at,
        expires_at=created_at + timedelta(days=place.retention_days),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "export.created",
        object_type="export",
        object_id=str(export_id),
        details=_details(request, manifest, manifest_sha256),
    )
    return Created(row, manifest)


def list_exports(session: Session, *, now: datetime | None = None) -> list[Export]:
    """The exports whose files are still kept, newest first."""
    moment = now or utcnow()
    return list(
        session.scalars(
            select(Export)
            .where(Export.deleted_at.is_(None), Export.expires_at > moment)
            .order_by(Export.created_at.desc(), Export.id)
        )
    )


def _live(session: Session, export_id: uuid.UUID, moment: datetime) -> Export:
    row = session.get(Export, export_id)
    if row is None or row.deleted_at is not None or row.expires_at <= moment:
        raise ExportNotFoundError("Export unbekannt oder nicht mehr aufbewahrt.")
    return row


@dataclass
class Download:
    """What a download hands out: an open binary file, its type and its name."""

    handle: IO[bytes]
    mimetype: str
    filename: str


def _checked(folder: Path, row: Export) -> list[Path]:
    paths = []
    for item in row.files:
        path = folder / item["name"]
        if not path.is_file() or sha256_of(path) != item["sha256"]:
            raise ExportDamagedError(
                "Eine Datei des Exports stimmt nicht mehr mit ihrer Prüfsumme überein."
            )
        paths.append(path)
    return paths


def open_download(
    session: Session,
    actor: Actor,
    export_id: uuid.UUID,
    *,
    place: Place,
    now: datetime | None = None,
) -> Download:
    """Open an export's files for download (audited ``export.downloaded``).

    XLSX and JSON: the file itself. CSV: a ZIP of the CSV files and ``manifest.json``.
    Every file is checked against its recorded SHA-256 first.
    """
    row = _live(session, export_id, now or utcnow())
    folder = store.folder_of(place.root, str(row.id))
    if folder is None:
        raise ExportNotFoundError("Export unbekannt oder nicht mehr aufbewahrt.")
    paths = _checked(folder, row)
    stem = f"mgz-export-{row.kind}-{row.created_at:%Y%m%d-%H%M%S}"
    if row.format == "csv":
        packed: IO[bytes] = SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 - sent, then closed
        with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, arcname=path.name)
        packed.seek(0)
        download = Download(packed, MIMETYPES["zip"], f"{stem}.zip")
    else:
        [data] = [path for path in paths if path.name != MANIFEST_NAME]
        download = Download(open(data, "rb"), MIMETYPES[row.format], f"{stem}.{row.format}")  # noqa: SIM115
    audit.record(
        session,
        actor,
        "export.downloaded",
        object_type="export",
        object_id=str(row.id),
        details={"kind": row.kind, "format": row.format},
    )
    return download


def purge_expired(
    session: Session, actor: Actor, *, place: Place, now: datetime | None = None
) -> int:
    """Delete the files of exports past retention (audited ``export.deleted``); how many.

    Also removes leftovers: ``.partial`` folders of interrupted exports and folders
    without a row, once they are older than ``store.LEFTOVER_GRACE_SECONDS``.
    """
    moment = now or utcnow()
    expired = session.scalars(
        select(Export).where(Export.deleted_at.is_(None), Export.expires_at <= moment)
    ).all()
    for row in expired:
        store.remove_export(place.root, str(row.id))
        row.deleted_at = moment
        audit.record(
            session,
            actor,
            "export.deleted",
            object_type="export",
            object_id=str(row.id),
            details={"kind": row.kind, "format": row.format, "reason": "retention"},
        )
    session.flush()
    known = session.scalars(select(Export.id).where(Export.deleted_at.is_(None))).all()
    store.remove_leftovers(
        store.leftovers(place.root, [str(item) for item in known], moment.timestamp())
    )
    return len(expired)


@dataclass
class Staged:
    """An export written beside ``out`` and audited, waiting for its commit to be published."""

    partial: Path
    out: Path
    export_format: str
    manifest: dict[str, Any]

    def publish(self) -> None:
        """Move the files to ``out`` (after the audit event has committed)."""
        store.publish_at(self.partial, self.out, self.export_format)

    def discard(self) -> None:
        """Remove the staged files (the audit event did not commit)."""
        store.remove_staged(self.partial)


def stage_to_path(
    session: Session,
    actor: Actor,
    request: ExportRequest,
    out: Path,
    *,
    today: date,
    progress: Progress | None = None,
) -> Staged:
    """``mgz export ... --out PATH``: write the export beside ``out`` and audit it.

    The caller commits, then calls :meth:`Staged.publish`: a file appears at ``out``
    only once its audit event is in the log (if the commit fails, :meth:`Staged.discard`).
    CSV: ``out`` is a new folder (the CSV files and ``manifest.json``); XLSX and JSON:
    ``out`` is the file and its manifest lies beside it as ``<out>.manifest.json``.
    Nothing goes into the exports table: the files are not in the instance folder and
    no retention applies to them.
    """
    parameters.check(request, today)
    file_name = None if request.export_format == "csv" else out.name
    with store.staged_beside(out) as partial:
        manifest = write_to(
            session, request, partial, created_at=utcnow(), progress=progress, file_name=file_name
        )
        details = _details(request, manifest, sha256_of(partial / MANIFEST_NAME))
        audit.record(
            session,
            actor,
            "export.created",
            object_type="export",
            details={**details, "target": "path"},
        )
    return Staged(partial, out, request.export_format, manifest)
