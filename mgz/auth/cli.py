"""``mgz users …`` and ``mgz tokens …`` for administrators, and the demo users."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from mgz.auth import passwords, service
from mgz.auth.settings import TOKEN_MAX_DAYS, totp_required_roles
from mgz.core.access import ROLES
from mgz.core.actor import Actor
from mgz.core.db import session_scope
from mgz.core.demo import demo_step
from mgz.core.errors import DomainError
from mgz.core.schemas import MAX_INT32
from mgz.core.unit_of_work import work_scope

users_group = AppGroup("users", help="Konten verwalten.")
tokens_group = AppGroup("tokens", help="Persönliche API-Tokens verwalten.")
_ROLE_OPTION = click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="mehrfach"
)


def _fail(error: DomainError) -> None:
    messages = [error.detail or "Fehler"]
    for field, items in error.errors.items():
        messages.append(f"  {field}: {' '.join(items)}")
    click.echo("\n".join(messages), err=True)
    sys.exit(1)


def _password(generate: bool) -> tuple[str, bool]:
    if generate:
        return passwords.generate_password(), True
    value = click.prompt("Passwort", hide_input=True, confirmation_prompt="Wiederholen")
    return value, False


@users_group.command(
    "create", help="Konto anlegen (Passwort wird abgefragt oder erzeugt und einmal angezeigt)."
)
@click.argument("username")
@_ROLE_OPTION
@click.option("--generate-password", is_flag=True, help="Passwort erzeugen und einmal anzeigen.")
def users_create(username: str, roles: tuple[str, ...], generate_password: bool) -> None:
    """Create an account (password prompted, or generated and shown once)."""
    password, generated = _password(generate_password)
    with work_scope(current_app) as db:
        try:
            user = service.create_user(db, Actor.system("users create"), username, password, roles)
        except DomainError as error:
            _fail(error)
    click.echo(f"Konto {user.username} (id {user.id}) angelegt: {', '.join(sorted(user.roles))}")
    if generated:
        click.echo(f"Passwort (wird nicht wieder angezeigt): {password}")


@users_group.command("list", help="Konten mit Rollen und Zustand anzeigen.")
def users_list() -> None:
    """List accounts with roles and state."""
    with session_scope(current_app) as db:
        for user in service.list_users(db):
            state = "gesperrt" if user.is_disabled else "aktiv"
            factor = " 2FA" if user.has_totp else ""
            click.echo(
                f"{user.id}\t{user.username}\t{','.join(sorted(user.roles))}\t{state}{factor}"
            )


@users_group.command("set-roles", help="Die Rollen eines Kontos ersetzen.")
@click.argument("username")
@_ROLE_OPTION
def users_set_roles(username: str, roles: tuple[str, ...]) -> None:
    """Replace the roles of an account."""
    with work_scope(current_app) as db:
        try:
            user = service.user_by_name(db, username)
            service.set_roles(db, Actor.system("users set-roles"), user, roles)
        except DomainError as error:
            _fail(error)
    click.echo(f"{user.username}: {', '.join(sorted(user.roles))}")


@users_group.command(
    "disable", help="Konto sperren; seine Sitzungen enden, seine Tokens gelten nicht mehr."
)
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable an account; its sessions end and its tokens stop working."""
    with work_scope(current_app) as db:
        try:
            user = service.user_by_name(db, username)
            service.disable_user(db, Actor.system("users disable"), user)
        except DomainError as error:
            _fail(error)
    click.echo(f"{user.username} gesperrt")


@users_group.command(
    "enable", help="Gesperrtes Konto wieder freigeben (alte Tokens bleiben widerrufen)."
)
@click.argument("username")
def users_enable(username: str) -> None:
    """Enable a disabled account again (its old tokens stay revoked)."""
    with work_scope(current_app) as db:
        try:
            user = service.user_by_name(db, username)
            service.enable_user(db, Actor.system("users enable"), user)
        except DomainError as error:
            _fail(error)
    click.echo(f"{user.username} entsperrt")


@users_group.command(
    "reset-password", help="Neues Passwort setzen; die Sitzungen des Kontos enden."
)
@click.argument("username")
@click.option("--generate-password", is_flag=True, help="Passwort erzeugen und einmal anzeigen.")
def users_reset_password(username: str, generate_password: bool) -> None:
    """Set a new password; the account's sessions end."""
    password, generated = _password(generate_password)
    with work_scope(current_app) as db:
        try:
            user = service.user_by_name(db, username)
            service.reset_password(db, Actor.system("users reset-password"), user, password)
        except DomainError as error:
            _fail(error)
    click.echo(f"Passwort von {username} gesetzt")
    if generated:
        click.echo(f"Passwort (wird nicht wieder angezeigt): {password}")


@users_group.command(
    "enable-totp",
    help="Zweiten Faktor (TOTP) einrichten; zeigt die otpauth://-URI einmal (für den QR-Code).",
)
@click.argument("username")
def users_enable_totp(username: str) -> None:
    """Enrol a TOTP second factor; prints the otpauth:// URI once (for the QR code)."""
    with work_scope(current_app) as db:
        try:
            user = service.user_by_name(db, username)
            uri = service.enable_totp(db, Actor.system("users enable-totp"), user)
        except DomainError as error:
            _fail(error)
    click.echo(f"In die Authenticator-App übernehmen (wird nicht wieder angezeigt):\n{uri}")


@tokens_group.command(
    "create",
    help="Persönliches API-Token erstellen; es wird einmal angezeigt und nur als Hash gespeichert.",
)
@click.argument("username")
@click.option("--label", required=True, help="Zweck, z. B. 'Statistik-Skript'.")
@click.option(
    "--days",
    default=90,
    show_default=True,
    type=click.IntRange(1, TOKEN_MAX_DAYS),
    help="Gültigkeit in Tagen.",
)
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(ROLES),
    help="Rolle, die das Token nutzen darf (mehrfach); ohne Angabe die Rollen des Kontos "
    "ohne Zugriff auf Klientendaten. Rollen mit zweitem Faktor oder mit Klientendaten "
    "werden abgelehnt.",
)
def tokens_create(username: str, label: str, days: int, roles: tuple[str, ...]) -> None:
    """Create a personal API token; it is shown once and stored only as a hash."""
    with work_scope(current_app) as db:
        try:
            user = service.user_by_name(db, username)
            token, raw = service.create_token(
                db,
                Actor.system("tokens create"),
                user,
                label,
                timedelta(days=days),
                roles or None,
                totp_required_roles=totp_required_roles(current_app.config),
            )
        except DomainError as error:
            _fail(error)
    click.echo(
        f"Token {token.id} für {user.username} ({', '.join(token.role_list)}), "
        f"gültig bis {token.expires_at:%Y-%m-%d}"
    )
    click.echo(f"Token (wird nicht wieder angezeigt): {raw}")


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "-"


@tokens_group.command(
    "list",
    help="API-Tokens mit Konto, Rollen, Erstellung, Ablauf, letzter Nutzung und Widerruf "
    "anzeigen (ohne Geheimnis).",
)
@click.option("--user", "username", default=None, help="Nur die Tokens dieses Kontos.")
def tokens_list(username: str | None) -> None:
    """List API tokens with user, roles, creation, expiry, last use and revocation."""
    with session_scope(current_app) as db:
        try:
            user = service.user_by_name(db, username) if username is not None else None
        except DomainError as error:
            _fail(error)
        names = {u.id: u.username for u in service.list_users(db)}
        click.echo("id\tKonto\tRollen\terstellt\tläuft ab\tzuletzt genutzt\twiderrufen")
        for token in service.list_tokens(db, user):
            click.echo(
                "\t".join(
                    [
                        str(token.id),
                        names.get(token.user_id, "-"),
                        ",".join(token.role_list) or "-",
                        _day(token.created_at),
                        _day(token.expires_at),
                        _day(token.last_used_at),
                        _day(token.revoked_at),
                    ]
                )
            )


@tokens_group.command("revoke", help="API-Token sofort widerrufen.")
@click.argument("token_id", type=click.IntRange(1, MAX_INT32))
def tokens_revoke(token_id: int) -> None:
    """Revoke an API token at once."""
    with work_scope(current_app) as db:
        try:
            service.revoke_token(db, Actor.system("tokens revoke"), token_id)
        except DomainError as error:
            _fail(error)
    click.echo(f"Token {token_id} widerrufen")


DEMO_USERS = {role: f"demo-{role}" for role in ROLES}


def _demo_passwords(path: Path) -> dict[str, str]:
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    return {}


@demo_step
def demo_users(app: Flask) -> list[str]:
    """Create one demo user per role (idempotent) and return their credentials to print.

    The passwords are generated once and kept in the instance folder (0600), which
    only demo mode uses; a demo user whose password is not known there gets a new one.
    """
    if not app.config.get("DEMO"):
        return []
    path = Path(app.instance_path) / "demo-users.json"
    known = _demo_passwords(path)
    lines = ["Demo-Konten (nur Demo):"]
    with work_scope(app) as db:
        for role, username in DEMO_USERS.items():
            user = service.find_user(db, username)
            actor = Actor.system("demo")
            if user is None:
                known[username] = passwords.generate_password()
                service.create_user(db, actor, username, known[username], [role])
            elif username not in known:
                known[username] = passwords.generate_password()
                service.reset_password(db, actor, user, known[username])
            lines.append(f"  {role:<13} {username:<18} {known[username]}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(known, handle)
    return lines


COMMANDS = [users_group, tokens_group]
