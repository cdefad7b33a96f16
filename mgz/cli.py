"""The ``mgz`` console script: the Flask CLI plus ``serve`` and ``demo``.

``serve`` and ``demo`` build the app themselves (``demo`` forces demo mode), so they
are plain click commands beside the app's command groups.
"""

from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup
from gunicorn.app.base import BaseApplication
from werkzeug.serving import run_simple

from mgz.app import create_app
from mgz.clients.cli import run_seed
from mgz.core import migrations
from mgz.core.config import ConfigError
from mgz.core.db import database
from mgz.core.demo import ORDER_DATA, run_demo_steps
from mgz.core.server_log import logger_class
from mgz.crypto.cli import keys_group


def _run_gunicorn(app_factory: Any, bind: str, workers: int, log_format: str) -> None:
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

        def load(self) -> Flask:
            return app_factory()

    _Server().run()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API: gunicorn in production, the development server in demo mode."""
    app = create_app()
    if app.config["DEMO"]:
        click.echo(f"mgz (Demo) läuft auf http://{host}:{port}/api/v1/docs")
        _serve_development(app, host, port)
    else:
        _run_gunicorn(create_app, f"{host}:{port}", workers, app.config["LOG_FORMAT"])


def _demo_app() -> Flask:
    app = create_app({"MODE": "demo", "LOG_FORMAT": "text"})
    with app.app_context():
        migrations.upgrade(database(app).engine)
    return app


@click.group("demo", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Set up the demo and exit.")
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, no_serve: bool) -> None:
    """Set up the embedded demo (SQLite, development keys, demo data) and start it."""
    if ctx.invoked_subcommand is not None:
        return
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
        click.echo(f"mgz Demo läuft: http://{host}:{port}/api/v1/health")
        _serve_development(app, host, port)


@demo.command("seed")
@click.option("--clients", "count", default=1000, show_default=True, type=click.IntRange(1, 10**7))
@click.option("--seed", default=1, show_default=True, type=int, help="Reproducible from this.")
def demo_seed(count: int, seed: int) -> None:
    """Add COUNT synthetic client files with consultations to the demo database."""
    app = _demo_app()
    with app.app_context():
        run_demo_steps(app, below=ORDER_DATA)  # users and code lists the data refers to
        started = time.perf_counter()
        clients, talks = run_seed(app, count, seed)
    seconds = time.perf_counter() - started
    click.echo(f"{clients} Akten, {talks} Gespräche in {seconds:.1f} s (Seed {seed}).")


def _serve_development(app: Flask, host: str, port: int) -> None:
    # Flask's app.run() refuses to run under its own CLI; werkzeug's server is what
    # it would start anyway (threaded, no reloader, no debugger: the debugger would
    # show locals, i.e. personal data, in the browser).
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


def _factory() -> Flask:
    return create_app()


cli = FlaskGroup(
    name="mgz",
    create_app=_factory,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="mgz – Fallverwaltung des Migrationszentrums Landkreis Osnabrück.",
)
cli.add_command(serve)
cli.add_command(demo)
# On the top-level group (not only the app's), so `mgz keys generate` works before any
# key is configured, when the app itself refuses to start.
cli.add_command(keys_group)


def main() -> None:
    """Run the CLI; a configuration error is one line on stderr and exit code 2."""
    try:
        cli.main(prog_name="mgz")
    except ConfigError as exc:
        click.echo(f"mgz: configuration error: {exc}", err=True)
        sys.exit(2)
