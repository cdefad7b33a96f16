"""``mgz keys``: generate, status, rotate, retire.

``generate`` works without a configured app (it makes the first key); the others load
the app and call the service functions.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from mgz.core.actor import Actor
from mgz.core.db import session_scope
from mgz.core.errors import DomainError
from mgz.crypto import service
from mgz.crypto.keys import KEY_ID, encode_key, generate_key, state, write_secret_file

keys_group = AppGroup("keys", help="Schlüssel: erzeugen, Status, rotieren, stilllegen.")


@keys_group.command("generate", with_appcontext=False)
@click.option("--id", "key_id", help="Schlüssel-ID (Standard: k<JJJJMMTT>).")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="In diese Datei schreiben (Rechte 0600) statt auszugeben.",
)
@click.option("--index", is_flag=True, help="Einen Index-Schlüssel (MGZ_INDEX_KEY) erzeugen.")
def generate(key_id: str | None, path: Path | None, index: bool) -> None:
    """Generate a new 256-bit master key (or index key) from the OS random source."""
    encoded = encode_key(generate_key())
    if index:
        name, value = "MGZ_INDEX_KEY", encoded
    else:
        key_id = key_id or datetime.now(UTC).strftime("k%Y%m%d")
        if not KEY_ID.match(key_id):
            raise click.BadParameter("a-z, 0-9, - und _, höchstens 32 Zeichen", param_hint="--id")
        name, value = "MGZ_MASTER_KEYS", f"{key_id}:{encoded}"
    if path is None:
        click.echo(f"{name}={value}")
        if not index:
            click.echo(
                "# Neuen Schlüssel VORN einfügen (Komma-getrennt), neu starten, dann "
                "`mgz keys rotate`.",
                err=True,
            )
        return
    try:
        write_secret_file(path, value)
    except FileExistsError:
        raise click.ClickException(f"{path} existiert bereits; nicht überschrieben.") from None
    click.echo(f"Schlüssel geschrieben: {path} (0600). Setzen Sie {name}_FILE={path}")


@keys_group.command("status")
def status() -> None:
    """Show which master key ids are in use and how many data keys each wraps."""
    master = state().master
    with session_scope() as session:
        report = service.key_status(session, master)
    for key in report.keys:
        flags = [
            label
            for label, on in (
                ("aktiv", key.active),
                ("konfiguriert", key.configured and not key.active),
                ("NICHT KONFIGURIERT", not key.configured),
                ("stillgelegt", key.retired),
            )
            if on
        ]
        click.echo(f"{key.kek_id:<20} {key.data_keys:>8} Datenschlüssel  {', '.join(flags)}")
    click.echo(f"vernichtet (Crypto-Shredding): {report.shredded}")
    click.echo(f"noch zu rotieren: {report.pending_rotation}")
    if report.unreadable:
        click.echo(
            "FEHLER: Datenschlüssel unter nicht konfigurierten Hauptschlüsseln: "
            + ", ".join(report.unreadable),
            err=True,
        )
        sys.exit(1)


@keys_group.command("rotate")
@click.option("--batch-size", default=service.ROTATE_BATCH, show_default=True, type=int)
def rotate(batch_size: int) -> None:
    """Re-wrap every data key under the active master key (online, resumable)."""
    master = state().master
    actor = Actor.system("keys rotate")
    with session_scope() as session:
        total = service.rotation_backlog(session, master)
        session.rollback()
        with click.progressbar(length=total, label="Datenschlüssel", file=sys.stderr) as bar:
            try:
                result = service.rotate(
                    session, actor, master, batch_size=batch_size, on_batch=bar.update
                )
            except DomainError as exc:
                raise click.ClickException(exc.detail or str(exc)) from None
    click.echo(f"{result.rewrapped} Datenschlüssel unter {master.active_id} neu umschlossen.")


@keys_group.command("retire")
@click.argument("kek_id")
def retire(kek_id: str) -> None:
    """Retire master key KEK_ID; refused while any data key still needs it."""
    master = state().master
    with session_scope() as session:
        try:
            service.retire(session, Actor.system("keys retire"), master, kek_id)
            session.commit()
        except DomainError as exc:
            session.commit()  # the refusal is audited, too
            raise click.ClickException(exc.detail or str(exc)) from None
    click.echo(
        f"{kek_id} stillgelegt. Entfernen Sie ihn aus MGZ_MASTER_KEYS und vernichten Sie ihn."
    )


COMMANDS = [keys_group]
