"""The ``mgz`` console script: the areas' command groups plus ``serve`` and ``demo``.

Every group hangs on the top-level group itself, not only on the app's ``cli``: the
app is built only when a command that needs it runs, so ``--help`` of every group and
command works without any configuration, and a command that needs configuration
fails with one line (exit 2) instead of the app's error escaping while the commands
are listed. ``serve`` and ``demo`` build the app themselves (``demo`` forces demo
mode), so they are plain click commands.
"""

from __future__ import annotations

import runpy
import socket
import sys
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo
from gunicorn.app.base import BaseApplication

from mgz.app import CLI_GROUPS, create_app
from mgz.clients.cli import run_seed
from mgz.core import migrations
from mgz.core.actor import Actor
from mgz.core.config import ConfigError
from mgz.core.db import database
from mgz.core.demo import ORDER_DATA, run_demo_steps
from mgz.core.german_help import germanise
from mgz.core.server_log import logger_class
from mgz.crypto import key_checks


def _run_gunicorn(
    app_factory: Any, bind: str, workers: int, log_format: str, ready: str | None = None
) -> None:
    """Serve with gunicorn on config/gunicorn.conf.py; print ``ready`` once it listens."""

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            # BaseApplication has no config-file loader of its own: read the settings
            # the file defines and apply those gunicorn knows.
            path = Path(__file__).resolve().parents[1] / "config" / "gunicorn.conf.py"
            for name, value in runpy.run_path(str(path)).items():
                if name in self.cfg.settings:
                    self.cfg.set(name, value)
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("logger_class", logger_class(log_format))
            if ready:
                self.cfg.set("when_ready", lambda _arbiter: click.echo(ready))

        def load(self) -> Flask:
            return app_factory()

    _Server().run()


def _refuse_busy_port(host: str, port: int) -> None:
    """One clear line instead of gunicorn's retries when something listens already."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise click.ClickException(
                f"Port {port} auf {host} ist belegt. Wählen Sie einen anderen, "
                f"z. B. mit --port {port + 1}."
            ) from None


def _server_options(*, port: int) -> Any:
    """--host, --port and --workers, the same for `mgz serve` and `mgz demo`."""

    def decorate(command: Any) -> Any:
        for option in reversed(
            (
                click.option(
                    "--host",
                    default="127.0.0.1",
                    show_default=True,
                    help="Adresse, auf der gelauscht wird.",
                ),
                click.option(
                    "--port",
                    default=port,
                    show_default=True,
                    type=click.IntRange(1, 65535),
                    help="TCP-Port.",
                ),
                click.option(
                    "--workers",
                    default=2,
                    show_default=True,
                    type=click.IntRange(1, 64),
                    help="Anzahl der gunicorn-Prozesse.",
                ),
            )
        ):
            command = option(command)
        return command

    return decorate


def _demo_factory() -> Flask:
    return create_app({"MODE": "demo", "LOG_FORMAT": "text"})


@click.command("serve", help="Die API mit gunicorn bereitstellen (auch im Demo-Modus).")
@_server_options(port=8000)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API with gunicorn (also in demo mode)."""
    app = create_app()
    _refuse_busy_port(host, port)
    demo_mode = app.config["DEMO"]
    _run_gunicorn(
        _demo_factory if demo_mode else create_app,
        f"{host}:{port}",
        workers,
        app.config["LOG_FORMAT"],
        ready=f"mgz (Demo) läuft: http://{host}:{port}/api/v1/docs" if demo_mode else None,
    )


def _demo_app() -> Flask:
    app = create_app({"MODE": "demo", "LOG_FORMAT": "text"})
    with app.app_context():
        migrations.upgrade(database(app).engine)
    # A fresh demo database could not be checked before it was migrated: check (and
    # store the check values of) the development keys before any data is written.
    try:
        key_checks.verify_app(app, Actor.system("demo"))
    except key_checks.KeyCheckError as error:
        raise ConfigError(str(error)) from None
    return app


@click.group(
    "demo",
    invoke_without_command=True,
    help="Eingebettete Demo einrichten (SQLite, Entwicklungsschlüssel, Demodaten) und starten.",
)
@_server_options(port=5000)
@click.option("--no-serve", is_flag=True, help="Demo einrichten, nicht starten.")
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, workers: int, no_serve: bool) -> None:
    """Set up the embedded demo (SQLite, development keys, demo data) and start it."""
    if ctx.invoked_subcommand is not None:
        return
    if not no_serve:
        _refuse_busy_port(host, port)  # before minutes of set-up, not after
    app = _demo_app()
    with app.app_context():
        lines = run_demo_steps(app)
    click.echo("mgz Demo – NICHT für echte Daten. Entwicklungsschlüssel im Instanzordner:")
    click.echo(f"  {app.instance_path}")
    for line in lines:
        click.echo(line)
    url = f"http://{host}:{port}/api/v1/docs"
    click.echo(f"API-Dokumentation: {url}")
    if not no_serve:
        database(app).dispose()  # gunicorn forks; each worker opens its own
        _run_gunicorn(
            _demo_factory,
            f"{host}:{port}",
            workers,
            "text",
            ready=f"mgz Demo läuft: http://{host}:{port}/api/v1/health",
        )


@demo.command(
    "seed", help="COUNT synthetische Akten mit Gesprächen in die Demo-Datenbank schreiben."
)
@click.option(
    "--clients",
    "count",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 10**7),
    help="Anzahl der Akten.",
)
@click.option(
    "--seed",
    default=1,
    show_default=True,
    type=int,
    help="Startwert; gleicher Wert, gleiche Daten.",
)
def demo_seed(count: int, seed: int) -> None:
    """Add COUNT synthetic client files with consultations to the demo database."""
    app = _demo_app()
    with app.app_context():
        run_demo_steps(app, below=ORDER_DATA)  # users and code lists the data refers to
        started = time.perf_counter()
        clients, talks = run_seed(app, count, seed)
    seconds = time.perf_counter() - started
    click.echo(f"{clients} Akten, {talks} Gespräche in {seconds:.1f} s (Seed {seed}).")


def _factory() -> Flask:
    # A command may ask for the app without the start-up key check (`keys status`).
    info = click.get_current_context().find_object(ScriptInfo)
    return create_app(verify_keys=info is None or info.data.get("verify_keys", True))


@click.group(name="mgz", help="mgz – Fallverwaltung des Migrationszentrums Landkreis Osnabrück.")
def cli() -> None:
    """The top-level group; its subcommands do the work."""


cli.add_command(serve)
cli.add_command(demo)
for _group in CLI_GROUPS:
    cli.add_command(_group)
# Help pages in German throughout, click's own words included (mgz.core.german_help).
germanise(cli)


def main() -> None:
    """Run the CLI; a configuration error is one line on stderr and exit code 2."""
    # The app's command groups (flask AppGroup) load the app through this object,
    # only when one of their commands runs.
    info = ScriptInfo(create_app=_factory, set_debug_flag=False, load_dotenv_defaults=False)
    try:
        cli.main(prog_name="mgz", obj=info)
    except ConfigError as exc:
        click.echo(f"mgz: configuration error: {exc}", err=True)
        sys.exit(2)
