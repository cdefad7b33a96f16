"""Layered configuration: defaults in config/ -> MGZ_CONFIG file -> MGZ_* environment.

Every setting is declared once with a parser, so a wrong value stops start-up with
one line naming the setting instead of failing later in some request. Secrets are
declared ``secret=True``: they are read only from the environment (``MGZ_NAME``) or
from a key file (``MGZ_NAME_FILE``), never from a config file that might be shared,
committed or printed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "MGZ_"
CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
DEFAULTS_FILE = CONFIG_DIR / "defaults.toml"


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it and never echoes a secret."""


@dataclass(frozen=True)
class Setting:
    """One declared setting: its parser, whether it is a secret, and its help line."""

    name: str
    parse: Callable[[Any], Any]
    help: str
    secret: bool = False
    required: bool = False

    @property
    def env_name(self) -> str:
        """Name of the environment variable that sets it."""
        return ENV_PREFIX + self.name


_REGISTRY: dict[str, Setting] = {}


def register(setting: Setting) -> Setting:
    """Declare a setting; areas call this at import time for their own settings."""
    existing = _REGISTRY.get(setting.name)
    if existing is not None and existing != setting:
        raise RuntimeError(f"setting {setting.name} declared twice")
    _REGISTRY[setting.name] = setting
    return setting


def settings() -> Mapping[str, Setting]:
    """All declared settings by name."""
    return dict(_REGISTRY)


# --- parsers ---------------------------------------------------------------------------


def parse_str(value: Any) -> str:
    """Accept a string as it is."""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def parse_bool(value: Any) -> bool:
    """Accept true/false, yes/no, on/off, 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def int_range(minimum: int, maximum: int) -> Callable[[Any], int]:
    """Build a parser for an integer within [minimum, maximum]."""

    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
        if not minimum <= number <= maximum:
            raise ValueError(f"must be between {minimum} and {maximum}")
        return number

    return parse


def choice(*options: str) -> Callable[[Any], str]:
    """Build a parser that accepts one of the given options."""

    def parse(value: Any) -> str:
        text = str(value).strip()
        if text not in options:
            raise ValueError("must be one of " + ", ".join(options))
        return text

    return parse


def parse_database_url(value: Any) -> str:
    """Accept SQLite or PostgreSQL (psycopg 3) URLs; plain postgresql:// means psycopg."""
    text = parse_str(value).strip()
    if text == "":
        return ""
    if text.startswith(("postgresql://", "postgres://")):
        text = "postgresql+psycopg://" + text.split("://", 1)[1]
    if not text.startswith(("sqlite:///", "postgresql+psycopg://")):
        raise ValueError("must be an sqlite:/// or postgresql:// URL")
    return text


def min_length_secret(length: int) -> Callable[[Any], str]:
    """Build a parser for a secret string of at least ``length`` characters."""

    def parse(value: Any) -> str:
        text = parse_str(value).strip()
        if len(text) < length:
            raise ValueError(f"must be at least {length} characters long")
        return text

    return parse


register(Setting("MODE", choice("production", "demo"), "production or demo"))
register(Setting("DATABASE_URL", parse_database_url, "database URL", secret=True))
register(Setting("MAX_CONTENT_LENGTH", int_range(1024, 1 << 30), "largest request body in bytes"))
register(Setting("LOG_FORMAT", choice("json", "text"), "json or text"))
register(Setting("LOG_LEVEL", choice("DEBUG", "INFO", "WARNING", "ERROR"), "lowest level logged"))
register(Setting("DB_POOL_SIZE", int_range(1, 200), "connections per process (PostgreSQL)"))
register(Setting("DB_POOL_TIMEOUT", int_range(1, 300), "seconds to wait for a connection"))
register(
    Setting(
        "TRUSTED_PROXIES",
        int_range(0, 5),
        "reverse proxies in front of mgz whose X-Forwarded-For/-Proto are trusted",
    )
)
register(
    Setting(
        "SECRET_KEY",
        min_length_secret(32),
        "signs session cookies; generated only in demo mode",
        secret=True,
    )
)


# --- loading ---------------------------------------------------------------------------


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{label}: file {path} not found") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{label}: cannot read {path}: {exc}") from None


def _from_file(path: Path, label: str, *, allow_secrets: bool) -> dict[str, Any]:
    raw = _read_toml(path, label)
    values: dict[str, Any] = {}
    for name, value in raw.items():
        setting = _REGISTRY.get(name)
        if setting is None:
            raise ConfigError(f"{label}: unknown setting {name} in {path}")
        if setting.secret and not allow_secrets and value not in ("", None):
            raise ConfigError(
                f"{setting.env_name}: secrets may not stand in a config file; "
                f"set {setting.env_name} or {setting.env_name}_FILE in the environment"
            )
        values[name] = value
    return values


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    known = {"MGZ_CONFIG", "MGZ_INSTANCE_PATH"}
    for setting in _REGISTRY.values():
        known.add(setting.env_name)
        if setting.secret:
            known.add(setting.env_name + "_FILE")
        if setting.env_name in environ:
            values[setting.name] = environ[setting.env_name]
        elif setting.secret and setting.env_name + "_FILE" in environ:
            key_file = Path(environ[setting.env_name + "_FILE"])
            try:
                values[setting.name] = key_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"{setting.env_name}_FILE: cannot read {key_file}: {exc.strerror}"
                ) from None
    unknown = sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in known)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown setting (typo?)")
    return values


def load(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Merge the layers and parse every value; raise ConfigError naming the first bad one."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = _from_file(DEFAULTS_FILE, "config/defaults.toml", allow_secrets=False)
    config_path = environ.get("MGZ_CONFIG")
    if config_path:
        merged.update(_from_file(Path(config_path), "MGZ_CONFIG", allow_secrets=False))
    merged.update(_from_environment(environ))
    if overrides:
        for name, value in overrides.items():
            if name not in _REGISTRY:
                raise ConfigError(f"{ENV_PREFIX}{name}: unknown setting")
            merged[name] = value
    parsed: dict[str, Any] = {}
    for name, setting in _REGISTRY.items():
        if name not in merged or merged[name] is None:
            if setting.required:
                raise ConfigError(f"{setting.env_name}: required but not set")
            continue
        try:
            parsed[name] = setting.parse(merged[name])
        except ValueError as exc:
            # Never echo the value: it may be a secret or a typo of one.
            raise ConfigError(f"{setting.env_name}: {exc}") from None
    return parsed
