"""``mgz privacy``: erase a file, place and release legal holds, apply retention."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from mgz.clients.models import Client
from mgz.core.actor import Actor
from mgz.core.clock import today
from mgz.core.db import session_scope
from mgz.core.errors import DomainError
from mgz.core.unit_of_work import work_scope
from mgz.privacy import erasure, holds, retention

privacy_group = AppGroup(
    "privacy", help="Datenschutz: Akten löschen, Löschsperren, Aufbewahrungsfristen."
)


def _fail(exc: DomainError) -> click.ClickException:
    detail = exc.detail or str(exc)
    if exc.errors:
        detail += " " + "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(exc.errors.items()))
    return click.ClickException(detail)


@privacy_group.command(
    "erase",
    help="Akte CASE_NUMBER löschen (Art. 17 DSGVO): Freitexte und Schlüssel vernichten; "
    "Statistikmerkmale bleiben. Fragt zur Bestätigung nach der Aktennummer.",
)
@click.argument("case_number")
@click.option(
    "--reason", required=True, help="Grund als Code der Liste erasure_reason (kein Freitext)."
)
@click.option("--yes", is_flag=True, help="Ohne Rückfrage (die Aktennummer gilt als bestätigt).")
def erase_command(case_number: str, reason: str, yes: bool) -> None:
    """Erase one client file by its case number."""
    confirm = case_number if yes else click.prompt("Aktennummer zur Bestätigung erneut eingeben")
    try:
        with work_scope(current_app) as session:
            client_id = session.scalar(select(Client.id).where(Client.case_number == case_number))
            if client_id is None:
                raise click.ClickException("Akte nicht gefunden.")
            done = erasure.erase_client(
                session,
                Actor.system("privacy erase"),
                client_id,
                reason=reason,
                confirm=confirm,
                on=today(),
            )
    except DomainError as exc:
        raise _fail(exc) from None
    click.echo(f"gelöscht: {done.case_number} ({done.reason}, {done.rows_cleared} Datensätze)")


@privacy_group.command("hold", help="Löschsperre auf Akte CASE_NUMBER setzen.")
@click.argument("case_number")
@click.option("--reason", required=True, help="Grund als Code der Liste legal_hold_reason.")
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Gilt bis einschließlich (JJJJ-MM-TT); ohne: bis zur Aufhebung.",
)
def hold_command(case_number: str, reason: str, until: object) -> None:
    """Place a legal hold on a file."""
    end: date | None = until.date() if until is not None else None  # type: ignore[attr-defined]
    try:
        with work_scope(current_app) as session:
            hold = holds.place_hold(
                session, Actor.system("privacy hold"), case_number, reason, end, today()
            )
            hold_id = hold.id
    except DomainError as exc:
        raise _fail(exc) from None
    click.echo(f"Löschsperre {hold_id} auf {case_number} ({reason})")


@privacy_group.command("release", help="Löschsperre HOLD_ID aufheben.")
@click.argument("hold_id", type=click.UUID)
def release_command(hold_id: uuid.UUID) -> None:
    """Release a legal hold."""
    try:
        with work_scope(current_app) as session:
            holds.release_hold(session, Actor.system("privacy release"), hold_id)
    except DomainError as exc:
        raise _fail(exc) from None
    click.echo(f"Löschsperre {hold_id} aufgehoben")


@privacy_group.command(
    "retention",
    help="Akten mit abgelaufener Aufbewahrungsfrist: --dry-run listet sie (Aktennummer und "
    "Daten), --apply löscht sie stapelweise (fortsetzbar nach einem Abbruch).",
)
@click.option("--dry-run", "mode", flag_value="dry-run", help="Nur auflisten, nichts löschen.")
@click.option("--apply", "mode", flag_value="apply", help="Fällige Akten löschen.")
@click.option(
    "--batch-size",
    default=100,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Akten je Transaktion.",
)
@click.option(
    "--pause",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 60),
    help="Sekunden Pause zwischen den Stapeln (schont die laufende Anwendung).",
)
def retention_command(mode: str | None, batch_size: int, pause: float) -> None:
    """List or erase the files whose retention period has passed."""
    if mode is None:
        raise click.UsageError("--dry-run oder --apply angeben.")
    periods = current_app.config["RETENTION_YEARS"]
    on = today()
    with session_scope(current_app) as session:
        if mode == "dry-run":
            due = retention.due_clients(session, periods, on)
            for item in due:
                click.echo(
                    f"{item.case_number}  letzter Kontakt {item.last_contact.isoformat()}  "
                    f"fällig seit {item.due_on.isoformat()}"
                )
            click.echo(f"{len(due)} Akten fällig (Stichtag {on.isoformat()}).", err=True)
            return
        total = len(retention.due_clients(session, periods, on))
        session.rollback()
        with click.progressbar(length=total, label="Löschung", file=sys.stderr) as bar:

            def committed(size: int, done: Sequence[retention.Due]) -> None:
                for item in done:  # committed: a run killed later does not take it back
                    click.echo(f"gelöscht: {item.case_number}")
                bar.update(size)

            erased = retention.apply_retention(
                session,
                Actor.system("privacy retention"),
                periods,
                on,
                batch_size=batch_size,
                pause=pause,
                on_batch=committed,
            )
    click.echo(f"{len(erased)} Akten gelöscht (Stichtag {on.isoformat()}).", err=True)


COMMANDS = [privacy_group]
