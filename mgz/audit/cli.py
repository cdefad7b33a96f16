"""``mgz audit verify|checkpoint|keygen|export|grant-*-role`` for the DPO, cron and operators."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import secrets
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from mgz.audit import anchors, chain, checkpoints, grants, reading, service, verification
from mgz.core.actor import Actor
from mgz.core.config import ConfigError
from mgz.core.db import session_scope
from mgz.core.files import write_atomically
from mgz.core.unit_of_work import work_scope

audit_group = AppGroup("audit", help="Datenschutzprotokoll prüfen, signieren, exportieren.")

EXPORT_COLUMNS = (
    "seq", "occurred_at", "actor_user_id", "actor_name", "actor_role", "action",
    "object_type", "object_id", "fields", "request_id", "outcome", "details",
    "prev_hash", "hash",
)  # fmt: skip


def _grant(role: str, grant: Any, command: str) -> None:
    with work_scope(current_app) as session:
        try:
            statements = grant(session.connection(), role)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        service.record(
            session,
            Actor.system(f"audit {command}"),
            f"audit.{command.replace('-', '_')}",
            object_type="database_role",
            object_id=role,
        )
    for statement in statements:
        click.echo(statement)


@audit_group.command(
    "grant-app-role",
    help="Der PostgreSQL-Rolle ROLE der Anwendung nur die nötigen Rechte geben "
    "(als Eigentümer-Rolle ausführen).",
)
@click.argument("role")
def grant_app_role_command(role: str) -> None:
    """Give the application's PostgreSQL ROLE least privilege (run as the owner role)."""
    _grant(role, grants.grant_app_role, "grant-app-role")


@audit_group.command(
    "grant-checkpoint-role",
    help="Der PostgreSQL-Rolle ROLE des Prüfpunkt-Jobs Lesen und Prüfpunkte erlauben "
    "(als Eigentümer-Rolle ausführen).",
)
@click.argument("role")
def grant_checkpoint_role_command(role: str) -> None:
    """Let the checkpoint job's PostgreSQL ROLE read the log and add checkpoints (as owner)."""
    _grant(role, grants.grant_checkpoint_role, "grant-checkpoint-role")


def _anchor_files(given: tuple[Path, ...]) -> list[Path]:
    if given:
        return list(given)
    configured = current_app.config.get("AUDIT_ANCHOR_PATH")
    return [Path(configured)] if configured and Path(configured).exists() else []


@audit_group.command(
    "verify",
    help="Hash-Kette, Prüfpunkte und Anker prüfen; Exit-Code 1 nennt die erste Abweichung.",
)
@click.option("--anchors", "anchor_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ankerdatei(en) oder Syslog-Export; ohne: MGZ_AUDIT_ANCHOR_PATH.")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 32), default=min(os.cpu_count() or 1, 4),
              show_default=True, help="Prozesse, die Teile der Kette parallel prüfen.")  # fmt: skip
def verify_command(anchor_files: tuple[Path, ...], workers: int) -> None:
    """Walk the chain, the checkpoints and the anchors; exit 1 and name the first break."""
    config = current_app.config
    with session_scope(current_app) as db:
        result = verification.verify(
            db,
            config["AUDIT_PUBLIC_KEY"],
            audit_key=config["AUDIT_KEY"],
            anchor_lines=anchors.read(_anchor_files(anchor_files)),
            workers=workers,
        )
    report(result)


def report(result: verification.VerifyResult) -> None:
    """Print the outcome of a verification; exit 1 when the log is broken."""
    if result.ok:
        click.echo(
            f"ok: {result.events} Ereignisse, {result.checkpoints} Prüfpunkte "
            f"(letzter bei {result.last_checkpoint_seq}), {result.anchors} Anker "
            f"(neuester bei {result.last_anchor_seq})"
        )
        return
    click.echo(
        f"FEHLER bei Ereignis {result.seq}: {result.reason} [{result.code}]"
        + (f" (Prüfpunkt {result.checkpoint_id})" if result.checkpoint_id else "")
        + (f" (Anker {result.anchor})" if result.anchor else ""),
        err=True,
    )
    sys.exit(1)


@audit_group.command(
    "checkpoint",
    help="Den aktuellen Kopf der Kette signieren (regelmäßig ausführen, z. B. stündlich per cron).",
)
def checkpoint_command() -> None:
    """Sign the head of the chain and anchor it (the checkpoint job, e.g. hourly from cron).

    Needs MGZ_AUDIT_SIGNING_KEY, which only this job holds, and a database role that
    may insert checkpoints (``mgz audit grant-checkpoint-role``).
    """
    key = current_app.config.get("AUDIT_SIGNING_KEY")
    if key is None:
        raise ConfigError(
            "MGZ_AUDIT_SIGNING_KEY: required for mgz audit checkpoint "
            "(or MGZ_AUDIT_SIGNING_KEY_FILE)"
        )
    with work_scope(current_app) as db:
        checkpoint = checkpoints.create_checkpoint(db, key)
    try:
        anchors.write_from_config(current_app.config, checkpoints.checkpoint_anchor(checkpoint))
    except OSError as exc:
        raise click.ClickException(
            f"Prüfpunkt {checkpoint.id} gespeichert, Anker aber nicht geschrieben: {exc.strerror}"
        ) from None
    click.echo(f"Prüfpunkt {checkpoint.id}: Ereignis {checkpoint.seq} {checkpoint.head_hash}")


@audit_group.command(
    "keygen",
    help="Neues Ed25519-Schlüsselpaar für den Prüfpunkt-Job ausgeben.",
)
def keygen_command() -> None:
    """Print a new Ed25519 key pair for the checkpoint job (private key: keep it there)."""
    private = secrets.token_bytes(32)
    public = chain.public_key_of(private)
    click.echo(f"MGZ_AUDIT_SIGNING_KEY={base64.b64encode(private).decode('ascii')}")
    click.echo(f"MGZ_AUDIT_PUBLIC_KEY={base64.b64encode(public).decode('ascii')}")


def _rows(db: Any, filters: reading.EventFilter) -> Iterator[dict[str, Any]]:
    for event in reading.iter_events(db, filters):
        yield reading.event_as_dict(event)


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
    filters = reading.EventFilter(
        action=action,
        object_id=object_id,
        since=since.replace(tzinfo=UTC) if since else None,
        until=until.replace(tzinfo=UTC) if until else None,
    )
    write = _write_csv if fmt == "csv" else _write_json
    sha256 = ""
    with work_scope(current_app) as db:
        if output is None:
            count = write(_rows(db, filters), sys.stdout)  # type: ignore[arg-type]
        else:
            count, sha256 = write_atomically(
                output,
                lambda handle: write(_rows(db, filters), handle),  # type: ignore[arg-type]
                prefix=".audit-export-",
            )
        details: dict[str, str | int | bool] = {"format": fmt, "count": count}
        if output is not None:
            details["sha256"] = sha256
        reading.record_log_read(
            db, Actor.system("audit export"), filters, "audit.export", **details
        )
    if output is not None:
        click.echo(f"{count} Ereignisse nach {output} (SHA-256 {sha256})", err=True)


COMMANDS = [audit_group]
