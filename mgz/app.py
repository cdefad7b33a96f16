"""The application factory."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from mgz.audit import cli as audit_cli
from mgz.audit import settings as audit_settings
from mgz.audit import views as audit_views
from mgz.auth import cli as auth_cli
from mgz.auth import policy as auth_policy
from mgz.auth import views as auth_views
from mgz.clients import cli as clients_cli  # noqa: F401 - registers the demo step
from mgz.clients import views as clients_views
from mgz.competences import cli as competences_cli
from mgz.competences import views as competences_views
from mgz.consultations import synthetic as consultations_synthetic  # noqa: F401 - registers the demo records
from mgz.consultations import views as consultations_views
from mgz.core import apidocs, config, errors, health, migrations
from mgz.core import cli as core_cli
from mgz.core.api import init_api
from mgz.core.db import Database
from mgz.core.logs import configure_logging
from mgz.core.outage import App, register_outage_handlers
from mgz.courses import synthetic as courses_synthetic  # noqa: F401 - registers the demo step
from mgz.courses import views as courses_views
from mgz.crypto import cli as crypto_cli
from mgz.crypto import key_checks
from mgz.crypto import keys as crypto_keys
from mgz.exports import cli as exports_cli
from mgz.exports import views as exports_views
from mgz.placements import synthetic as placements_synthetic  # noqa: F401 - registers the demo records
from mgz.placements import views as placements_views
from mgz.privacy import cli as privacy_cli
from mgz.privacy import consent_views, erasure_views
from mgz.privacy import report_views as privacy_report_views
from mgz.profiling import views as profiling_views
from mgz.reference import cli as reference_cli
from mgz.reference import views as reference_views
from mgz.statistics import cli as statistics_cli
from mgz.statistics import course_report_views
from mgz.statistics import replica as statistics_replica
from mgz.statistics import views as statistics_views

log = logging.getLogger("mgz.app")

# Explicit list, no auto-discovery: a newcomer sees every part of the API here.
API_BLUEPRINTS = [
    health.blp,
    auth_views.blp,
    audit_views.blp,
    reference_views.blp,
    clients_views.blp,
    consultations_views.blp,
    profiling_views.blp,
    competences_views.checklists_blp,
    competences_views.blp,
    placements_views.blp,
    placements_views.follow_ups_blp,
    placements_views.benefits_blp,
    placements_views.measures_blp,
    courses_views.blp,
    courses_views.referrals_blp,
    consent_views.blp,
    erasure_views.blp,
    course_report_views.blp,
    privacy_report_views.blp,
    statistics_views.blp,
    exports_views.blp,
]
CLI_GROUPS: list[Any] = [
    *core_cli.COMMANDS,
    *auth_cli.COMMANDS,
    *audit_cli.COMMANDS,
    *crypto_cli.COMMANDS,
    *reference_cli.COMMANDS,
    *competences_cli.COMMANDS,
    *statistics_cli.COMMANDS,
    *privacy_cli.COMMANDS,
    *exports_cli.COMMANDS,
]


def instance_path(environ: Mapping[str, str] | None = None) -> Path:
    """The instance folder: MGZ_INSTANCE_PATH or ``instance/`` beside the package."""
    environ = os.environ if environ is None else environ
    if environ.get("MGZ_INSTANCE_PATH"):
        return Path(environ["MGZ_INSTANCE_PATH"]).resolve()
    return Path(__file__).resolve().parents[1] / "instance"


def _demo_secret(path: Path) -> str:
    """Read or create a development secret file (0600) in the instance folder."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def _prepare_sqlite_file(path: Path) -> None:
    """Create the SQLite file private to this user before SQLite creates it 0644.

    It holds only ciphertext for personal data, but case numbers, statistics and the
    audit log are nobody else's business on a shared machine. SQLite gives its WAL
    and shared-memory files the main file's permissions.
    """
    if str(path) in {":memory:", ""}:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError as exc:
        raise config.ConfigError(
            f"MGZ_DATABASE_URL: cannot create the SQLite file ({exc.strerror})"
        ) from None


def _resolve_settings(settings: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Fill the embedded defaults; refuse a production start without its secrets."""
    if settings["MODE"] == "demo" or not settings.get("DATABASE_URL"):
        # The instance folder holds development keys and the embedded database: private.
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not settings.get("DATABASE_URL"):
        settings["DATABASE_URL"] = f"sqlite:///{folder / 'mgz.sqlite3'}"
    if settings["MODE"] == "demo":
        if "SECRET_KEY" not in settings:
            settings["SECRET_KEY"] = _demo_secret(folder / "dev-secret-key")
    elif "SECRET_KEY" not in settings:
        raise config.ConfigError("MGZ_SECRET_KEY: required in production (or MGZ_SECRET_KEY_FILE)")
    return settings


def create_app(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    verify_keys: bool = True,
) -> Flask:
    """Build the app from the configuration layers; raise ConfigError on a bad setting.

    A key that does not match its stored check value is a bad setting, too (see
    ``mgz.crypto.key_checks``). ``verify_keys=False`` defers that check to the first
    request, for ``mgz keys status``, which shows the checks instead of stopping.
    """
    folder = instance_path(environ)
    settings = _resolve_settings(config.load(overrides, environ), folder)
    if settings["DATABASE_URL"].startswith("sqlite:///"):
        _prepare_sqlite_file(Path(settings["DATABASE_URL"].removeprefix("sqlite:///")))

    app = App("mgz", instance_path=str(folder), instance_relative_config=True, static_folder=None)
    app.config.update(settings)
    # Inside ProxyFix: a probe through a proxy sees the forwarded scheme (HSTS).
    app.wsgi_app = health.HealthProbe(app)  # type: ignore[method-assign]
    if settings["TRUSTED_PROXIES"]:
        hops = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.config["DEMO"] = settings["MODE"] == "demo"
    app.json.sort_keys = False  # type: ignore[attr-defined]

    configure_logging(settings["LOG_FORMAT"], settings["LOG_LEVEL"])
    if app.config["DEMO"]:
        log.warning(
            "DEMO MODE: development keys from the instance folder are in use; "
            "never use this mode for real data",
            extra={"event": "demo_mode"},
        )

    crypto_keys.init_app(app, environ)
    audit_settings.init_app(app)
    Database().init_app(app)
    # Read the migration files once, at start: every health probe compares with the head.
    migrations.head_revision()
    statistics_replica.init_app(app)
    api = init_api(app)
    # Before the login check: with a failed key check every request is refused (503).
    key_checks.init_app(app, verify_now=verify_keys)
    auth_policy.init_app(app)  # after init_api: its hook needs the request id
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(apidocs.bp)
    errors.register_error_handlers(app)
    register_outage_handlers(app)
    for group in CLI_GROUPS:
        app.cli.add_command(group)
    return app
