import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import mgz.app  # noqa: F401 - every area declares its settings on import
from mgz.core import config
from mgz.core.config import ConfigError

REPO = Path(__file__).resolve().parents[2]
MGZ = str(Path(sys.executable).parent / "mgz")


def test_defaults_come_from_config_folder():
    values = config.load(environ={})
    assert values["MODE"] == "production"
    assert values["MAX_CONTENT_LENGTH"] == 1048576


def test_config_file_overrides_defaults_and_environment_overrides_file(tmp_path):
    file = tmp_path / "mgz.toml"
    file.write_text('LOG_LEVEL = "WARNING"\nMAX_CONTENT_LENGTH = 4096\n')
    values = config.load(environ={"MGZ_CONFIG": str(file), "MGZ_MAX_CONTENT_LENGTH": "8192"})
    assert values["LOG_LEVEL"] == "WARNING"
    assert values["MAX_CONTENT_LENGTH"] == 8192


def test_secret_in_config_file_is_refused(tmp_path):
    file = tmp_path / "mgz.toml"
    file.write_text('SECRET_KEY = "' + "s" * 40 + '"\n')
    with pytest.raises(ConfigError, match="MGZ_SECRET_KEY: secrets may not stand"):
        config.load(environ={"MGZ_CONFIG": str(file)})


def test_secret_from_key_file(tmp_path):
    key = tmp_path / "secret"
    key.write_text("k" * 40 + "\n")
    values = config.load(environ={"MGZ_SECRET_KEY_FILE": str(key)})
    assert values["SECRET_KEY"] == "k" * 40


def test_invalid_value_names_setting_without_echoing_it():
    with pytest.raises(ConfigError) as info:
        config.load(environ={"MGZ_SECRET_KEY": "short-secret-value"})
    assert str(info.value).startswith("MGZ_SECRET_KEY:")
    assert "short-secret-value" not in str(info.value)


def test_unknown_mgz_variable_is_refused():
    with pytest.raises(ConfigError, match="MGZ_DATABSE_URL: unknown setting"):
        config.load(environ={"MGZ_DATABSE_URL": "sqlite:///x"})


def test_unknown_setting_in_config_file_is_refused(tmp_path):
    file = tmp_path / "mgz.toml"
    file.write_text("COLOUR = 1\n")
    with pytest.raises(ConfigError, match="unknown setting COLOUR"):
        config.load(environ={"MGZ_CONFIG": str(file)})


def test_plain_postgresql_url_means_psycopg():
    values = config.load(environ={"MGZ_DATABASE_URL": "postgresql://u@h/d"})
    assert values["DATABASE_URL"] == "postgresql+psycopg://u@h/d"


def test_foreign_database_url_is_refused():
    with pytest.raises(ConfigError, match="MGZ_DATABASE_URL: must be"):
        config.load(environ={"MGZ_DATABASE_URL": "mysql://u@h/d"})


def _run_cli(env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MGZ_")}
    env.update({"MGZ_INSTANCE_PATH": str(tmp_path)}, **env_extra)
    return subprocess.run(
        [MGZ, "db", "current"], capture_output=True, text=True, env=env, cwd=REPO, timeout=60
    )


def test_cli_stops_with_one_clear_line_on_bad_setting(tmp_path):
    result = _run_cli({"MGZ_MODE": "demo", "MGZ_LOG_LEVEL": "LOUD"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "mgz: configuration error: MGZ_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR"
    )
    assert "Traceback" not in result.stderr


def test_production_start_without_secret_key_is_refused(tmp_path):
    result = _run_cli({}, tmp_path)
    assert result.returncode == 2
    assert "MGZ_SECRET_KEY: required in production" in result.stderr


def test_embedded_sqlite_file_is_private(tmp_path):
    import stat

    from mgz import create_app

    folder = tmp_path / "instance"
    app = create_app({"MODE": "demo"}, environ={"MGZ_INSTANCE_PATH": str(folder)})
    from mgz.core.db import database

    database(app).engine.dispose()
    database_file = folder / "mgz.sqlite3"
    assert stat.S_IMODE(database_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


# Not secret, but each installation's own, so no default can exist: production refuses
# to start without it (one line), demo mode generates it (mgz audit keygen makes one).
PER_INSTALLATION = {"AUDIT_PUBLIC_KEY"}


def test_every_setting_has_its_default_in_defaults_toml_and_nowhere_else():
    with config.DEFAULTS_FILE.open("rb") as handle:
        defaults = tomllib.load(handle)
    declared = config.settings()
    missing = sorted(
        name
        for name, setting in declared.items()
        if not setting.secret and name not in defaults and name not in PER_INSTALLATION
    )
    assert missing == []
    values = config.load(environ={})
    assert values["SESSION_IDLE_MINUTES"] == 30
    assert values["TOTP_REQUIRED_ROLES"] == frozenset()
    assert values["CLIENT_ACCESS_POLICY"] == "assigned"
    assert values["CONSULTATION_MOVE_IN_MARGIN_DAYS"] == 90
