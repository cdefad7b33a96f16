"""``mgz keys``: generate, status, rotate, retire, reindex.

``generate`` works without a configured app (it makes the first key); the others load
the app and call the service functions. ``status`` loads it without the start-up key
check, so that it can show which check fails.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import AppGroup, ScriptInfo

from mgz.core.actor import Actor
from mgz.core.db import session_scope
from mgz.core.errors import DomainError
from mgz.core.unit_of_work import work_scope
from mgz.crypto import key_checks, reindex, service
from mgz.crypto.keys import KEY_ID, encode_key, generate_key, state, write_secret_file

keys_group = AppGroup(
    "keys", help="Schlüssel: erzeugen, Status, rotieren, stilllegen, Suchindizes füllen."
)


@keys_group.command(
    "generate",
    with_appcontext=False,
    help="Neuen 256-Bit-Hauptschlüssel (oder Index-Schlüssel) aus der Zufallsquelle des Systems "
    "erzeugen.",
)
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


_CHECK_TEXT = {
    key_checks.OK: "Prüfwert stimmt",
    key_checks.ABSENT: "noch kein Prüfwert (wird beim nächsten Start angelegt)",
    key_checks.UNUSED: "nicht konfiguriert, umschließt keine Datenschlüssel",
    key_checks.MISMATCH: "FALSCH: nicht der Schlüssel, mit dem die Daten geschrieben wurden",
    key_checks.UNCONFIGURED: "NICHT KONFIGURIERT, umschließt aber Datenschlüssel",
}


@keys_group.command(
    "status",
    with_appcontext=False,
    help="Hauptschlüssel im Einsatz, die Datenschlüssel je Hauptschlüssel und die "
    "Schlüsselprüfungen anzeigen.",
)
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the master key ids in use, the data keys each wraps, and the key checks."""
    info = ctx.ensure_object(ScriptInfo)
    info.data["verify_keys"] = False  # show the failing check instead of stopping
    with info.load_app().app_context():
        _status()


def _status() -> None:
    crypto = state()
    master = crypto.master
    with session_scope() as session:
        report = service.key_status(session, master)
        checks = key_checks.inspect(session, crypto)
        unindexed = reindex.index_backlog(session)
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
    click.echo(f"ohne Suchindex (mgz keys reindex): {unindexed}")
    click.echo("Schlüsselprüfung:")
    for check in checks:
        name = "Index-Schlüssel" if check.kind == key_checks.INDEX else check.key_id
        click.echo(f"  {name:<20} {_CHECK_TEXT[check.status]}")
    failed = [check for check in checks if check.failed]
    if report.unreadable:
        click.echo(
            "FEHLER: Datenschlüssel unter nicht konfigurierten Hauptschlüsseln: "
            + ", ".join(report.unreadable),
            err=True,
        )
    for check in failed:
        if check.status == key_checks.MISMATCH:
            click.echo(f"FEHLER: {check.message}", err=True)
    if report.unreadable or failed:
        sys.exit(1)


@keys_group.command(
    "rotate",
    help="Alle Datenschlüssel unter dem aktiven Hauptschlüssel neu verpacken (im Betrieb, "
    "fortsetzbar).",
)
@click.option(
    "--batch-size",
    default=service.ROTATE_BATCH,
    show_default=True,
    type=int,
    help="Datenschlüssel je Transaktion.",
)
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


@keys_group.command(
    "retire",
    help="Hauptschlüssel KEK_ID stilllegen; verweigert, solange ein Datenschlüssel ihn braucht.",
)
@click.argument("kek_id")
def retire(kek_id: str) -> None:
    """Retire master key KEK_ID; refused while any data key still needs it."""
    master = state().master
    try:
        # A refusal is audited too: the unit of work keeps its event.
        with work_scope() as session:
            service.retire(session, Actor.system("keys retire"), master, kek_id)
    except DomainError as exc:
        raise click.ClickException(exc.detail or str(exc)) from None
    click.echo(
        f"{kek_id} stillgelegt. Entfernen Sie ihn aus MGZ_MASTER_KEYS und vernichten Sie ihn."
    )


@keys_group.command(
    "reindex",
    help="Fehlende Suchindizes (Blind-Index) aus den entschlüsselten Werten berechnen, "
    "z. B. nach einem Update, das neue Suchindizes anlegt (im Betrieb, fortsetzbar).",
)
@click.option(
    "--batch-size",
    default=reindex.REINDEX_BATCH,
    show_default=True,
    type=click.IntRange(1, 100000),
    help="Datensätze je Transaktion.",
)
def reindex_command(batch_size: int) -> None:
    """Compute the missing blind indexes from the decrypted values (online, resumable)."""
    actor = Actor.system("keys reindex")
    with session_scope() as session:
        total = reindex.index_backlog(session)
        session.rollback()
        with click.progressbar(length=total, label="Suchindizes", file=sys.stderr) as bar:
            done = reindex.reindex(session, actor, batch_size=batch_size, on_batch=bar.update)
    click.echo(f"{done} Datensätze neu indiziert.")


COMMANDS = [keys_group]
