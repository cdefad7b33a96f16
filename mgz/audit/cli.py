"""``mgz audit verify|checkpoint|export|grant-app-role`` for the DPO, cron and operators."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from mgz.audit import grants, service
from mgz.core.actor import Actor
from mgz.core.db import session_scope

audit_group = AppGroup("audit", help="Datenschutzprotokoll prüfen, signieren, exportieren.")

EXPORT_COLUMNS = (
    "seq", "occurred_at", "actor_user_id", "actor_name", "actor_role", "action",
    "object_type", "object_id", "fields", "request_id", "outcome", "details",
    "prev_hash", "hash",
)  # fmt: skip


@audit_group.command(
    "grant-app-role",
    help="Der PostgreSQL-Rolle ROLE der Anwendung nur die nötigen Rechte geben (als "
    "Eigentümer-Rolle ausführen).",
)
@click.argument("role")
def grant_app_role_command(role: str) -> None:
    """Give the application's PostgreSQL ROLE least privilege (run as the owner role)."""
    with session_scope(current_app) as session:
        try:
            statements = grants.grant_app_role(session.connection(), role)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        service.record(
            session,
            Actor.system("audit grant-app-role"),
            "audit.grant_app_role",
            object_type="database_role",
            object_id=role,
        )
        session.commit()
    for statement in statements:
        click.echo(statement)


@audit_group.command(
    "verify",
    help="Hash-Kette und Prüfpunkte prüfen; Exit-Code 1 nennt das erste fehlerhafte Ereignis.",
)
def verify_command() -> None:
    """Walk the hash chain and checkpoints; exit 1 and name the first broken event."""
    with session_scope(current_app) as db:
        result = service.verify(db, current_app.config["AUDIT_KEY"])
    if result.ok:
        click.echo(
            f"ok: {result.events} Ereignisse, {result.checkpoints} Prüfpunkte "
            f"(letzter bei {result.last_checkpoint_seq})"
        )
        return
    click.echo(
        f"FEHLER bei Ereignis {result.seq}: {result.reason} [{result.code}]"
        + (f" (Prüfpunkt {result.checkpoint_id})" if result.checkpoint_id else ""),
        err=True,
    )
    sys.exit(1)


@audit_group.command(
    "checkpoint",
    help="Den aktuellen Kopf der Kette signieren (regelmäßig ausführen, z. B. stündlich per cron).",
)
def checkpoint_command() -> None:
    """Sign the current head of the chain (run periodically, e.g. hourly from cron)."""
    with session_scope(current_app) as db:
        checkpoint = service.create_checkpoint(db, current_app.config["AUDIT_KEY"])
        db.commit()
        click.echo(f"Prüfpunkt {checkpoint.id}: Ereignis {checkpoint.seq} {checkpoint.head_hash}")


def _rows(db: Any, filters: service.EventFilter) -> Iterator[dict[str, Any]]:
    for event in service.iter_events(db, filters):
        yield service.event_as_dict(event)


def _write_csv(rows: Iterator[dict[str, Any]], handle: io.TextIOBase) -> int:
    writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS, delimiter=";")
    writer.writeheader()
    count = 0
    for row in rows:
        row["fields"] = ",".join(row["fields"])
        row["details"] = json.dumps(row["details"], sort_keys=True) if row["details"] else ""
        writer.writerow(row)
        count += 1
    return count


def _write_json(rows: Iterator[dict[str, Any]], handle: io.TextIOBase) -> int:
    # A JSON array written element by element: constant memory for any log size.
    handle.write("[")
    count = 0
    for row in rows:
        handle.write(("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False))
        count += 1
    handle.write("\n]\n")
    return count


@audit_group.command(
    "export",
    help="Ereignisse exportieren (CSV mit ';' für Excel oder JSON), gestreamt; der Export wird "
    "protokolliert.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", help="Format der Ausgabe."
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Datei (atomar geschrieben); ohne: Standardausgabe.")  # fmt: skip
@click.option("--action", default=None, help="Nur Ereignisse dieser Aktion.")
@click.option("--object-id", default=None, help="Nur Ereignisse zu diesem Objekt.")
@click.option("--since", type=click.DateTime(), default=None, help="UTC")
@click.option("--until", type=click.DateTime(), default=None, help="UTC")
def export_command(
    fmt: str,
    output: Path | None,
    action: str | None,
    object_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Export events (CSV with ';' for German Excel, or JSON), streamed; the export is logged."""
    filters = service.EventFilter(
        action=action,
        object_id=object_id,
        since=since.replace(tzinfo=UTC) if since else None,
        until=until.replace(tzinfo=UTC) if until else None,
    )
    write = _write_csv if fmt == "csv" else _write_json
    digest = hashlib.sha256()
    with session_scope(current_app) as db:
        if output is None:
            count = write(_rows(db, filters), sys.stdout)  # type: ignore[arg-type]
        else:
            fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=".audit-export-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                    count = write(_rows(db, filters), handle)  # type: ignore[arg-type]
                with open(tmp, "rb") as written:
                    for chunk in iter(lambda: written.read(1 << 16), b""):
                        digest.update(chunk)
                os.replace(tmp, output)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        details: dict[str, str | int | bool] = {"format": fmt, "count": count}
        if output is not None:
            details["sha256"] = digest.hexdigest()
        service.record(db, Actor.system("audit export"), "audit.export", details=details)
        db.commit()
    if output is not None:
        click.echo(f"{count} Ereignisse nach {output} (SHA-256 {digest.hexdigest()})", err=True)


COMMANDS = [audit_group]
