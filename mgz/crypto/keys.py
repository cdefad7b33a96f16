"""Master keys (KEKs), the blind-index key, and wrapping of per-subject data keys (DEKs).

Settings (secrets: environment or ``MGZ_<NAME>_FILE`` only, never a config file):

``MGZ_MASTER_KEYS``
    ``id:base64,id:base64,...`` – one or more 256-bit keys. The **first** entry is the
    active key (it wraps every new data key and is the target of ``mgz keys rotate``);
    the others only unwrap. A key file (``MGZ_MASTER_KEYS_FILE``) may hold one entry a
    line and must not be readable by group or others.
``MGZ_INDEX_KEY``
    base64 of 32 random bytes, the key of the blind indexes. It is deliberately not
    derived from a master key: rotating a master key must not change every index.

Without them a production start is refused with one line naming the setting; demo
mode generates both into the instance folder and warns on every start.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import re
import stat
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from mgz.core import config
from mgz.core.config import ConfigError, Setting

log = logging.getLogger("mgz.crypto")

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
EXTENSION = "mgz.crypto"
DEMO_MASTER_FILE = "dev-master-keys"
DEMO_INDEX_FILE = "dev-index-key"
_DEK_AD = b"mgz.dek.v1\x00"


def _decode_key(text: str, label: str) -> bytes:
    """Decode base64 (standard or URL-safe, padding optional) to exactly 32 bytes."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        raw = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{label} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"{label} must decode to {KEY_BYTES} bytes (256 bits)")
    return raw


def encode_key(raw: bytes) -> str:
    """URL-safe base64 without padding, the form ``mgz keys generate`` prints."""
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@dataclass(frozen=True, repr=False)
class MasterKeys:
    """The configured KEKs by id; ``active_id`` wraps new data keys."""

    active_id: str
    keys: Mapping[str, bytes]
    # One AESGCM per KEK: its key schedule is computed once, not per wrapped key.
    _aeads: dict[str, AESGCM] = field(default_factory=dict, init=False, compare=False)

    def __repr__(self) -> str:
        # Key bytes never appear in a repr, a log line or a debugger's config dump.
        return f"MasterKeys(active={self.active_id!r}, ids={sorted(self.keys)!r})"

    def aead(self, kek_id: str) -> AESGCM | None:
        """The AEAD of KEK ``kek_id`` (None if it is not configured)."""
        aead = self._aeads.get(kek_id)
        if aead is None:
            kek = self.keys.get(kek_id)
            if kek is None:
                return None
            aead = self._aeads[kek_id] = AESGCM(kek)
        return aead

    @property
    def active_key(self) -> bytes:
        """Bytes of the active KEK."""
        return self.keys[self.active_id]


def parse_master_keys(value: Any) -> MasterKeys:
    """Parse ``id:base64`` entries separated by commas or new lines; the first is active."""
    if isinstance(value, MasterKeys):
        return value
    text = config.parse_str(value)
    entries = [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]
    if not entries:
        raise ValueError("no key given (expected id:base64[,id:base64...])")
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not KEY_ID.match(key_id):
            raise ValueError(
                f"entry {position} must be id:base64 with an id of a-z, 0-9, - or _ "
                "(at most 32 characters)"
            )
        if key_id in keys:
            raise ValueError(f"key id {key_id} appears twice")
        raw = _decode_key(encoded, f"key {key_id}")
        if raw in keys.values():
            raise ValueError(f"key {key_id} has the same bytes as another key")
        keys[key_id] = raw
    return MasterKeys(active_id=next(iter(keys)), keys=keys)


def parse_index_key(value: Any) -> bytes:
    """Parse the base64 index key (32 bytes)."""
    if isinstance(value, bytes) and len(value) == KEY_BYTES:
        return value
    return _decode_key(config.parse_str(value), "the index key")


HEALTH_KEY_CHECK_SECONDS = config.register(
    config.Setting(
        "HEALTH_KEY_CHECK_SECONDS",
        config.int_range(0, 3600),
        "how long a passed comparison of the key check values stands for /health (0: every probe)",
    )
)


config.register(
    Setting(
        "MASTER_KEYS",
        parse_master_keys,
        "master keys id:base64[,id:base64...]; the first one is active",
        secret=True,
    )
)
config.register(
    Setting("INDEX_KEY", parse_index_key, "blind-index key, base64 of 32 bytes", secret=True)
)


@dataclass(repr=False)
class CryptoState:
    """What the field layer needs at run time, kept in ``app.extensions``."""

    master: MasterKeys
    index_key: bytes
    _index_subkeys: dict[str, bytes] = field(default_factory=dict)
    _index_macs: dict[str, crypto_hmac.HMAC] = field(default_factory=dict)

    def index_subkey(self, purpose: str) -> bytes:
        """The HMAC key of one index purpose, derived with HKDF from the index key.

        One subkey per purpose means that equal values in two different indexes (say a
        name index and a case-number index) give unrelated index values.
        """
        subkey = self._index_subkeys.get(purpose)
        if subkey is None:
            subkey = HKDF(
                algorithm=hashes.SHA256(),
                length=KEY_BYTES,
                salt=None,
                info=b"mgz.blind-index.v1\x00" + purpose.encode("utf-8"),
            ).derive(self.index_key)
            self._index_subkeys[purpose] = subkey
        return subkey

    def index_mac(self, purpose: str) -> crypto_hmac.HMAC:
        """A keyed, unused HMAC-SHA256 context of one index purpose: ``copy()`` it per value.

        Keying an HMAC costs more than hashing a short value (OpenSSL 3 looks the
        algorithm up per context), so each purpose is keyed once per process.
        """
        mac = self._index_macs.get(purpose)
        if mac is None:
            mac = self._index_macs[purpose] = crypto_hmac.HMAC(
                self.index_subkey(purpose), hashes.SHA256()
            )
        return mac


def state(app: Flask | None = None) -> CryptoState:
    """The crypto state of the current app."""
    return (app or current_app).extensions[EXTENSION]


def generate_key() -> bytes:
    """32 random bytes from the operating system."""
    return os.urandom(KEY_BYTES)


def write_secret_file(path: Path, content: str) -> None:
    """Create ``path`` with mode 0600; refuse to overwrite an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content + "\n")


def _demo_file(path: Path, make: str) -> str:
    if not path.exists():
        write_secret_file(path, make)
    return path.read_text(encoding="utf-8").strip()


def _check_key_file(environ: Mapping[str, str], name: str) -> None:
    """Refuse a key file that group or others may read."""
    path = environ.get(f"MGZ_{name}_FILE")
    if not path or f"MGZ_{name}" in environ:
        return
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # config.load has already reported an unreadable file
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"MGZ_{name}_FILE: {path} is readable by others; chmod 600 it (key files are 0600)"
        )


def _same_secret(value: Any, key: bytes) -> bool:
    """Whether a configured secret (bytes or text, raw or base64) is ``key``."""
    candidates: list[bytes] = []
    if isinstance(value, bytes | bytearray):
        candidates.append(bytes(value))
    elif isinstance(value, str):
        candidates.append(value.encode("utf-8"))
        with contextlib.suppress(ValueError):
            candidates.append(_decode_key(value, "value"))
    return any(candidate == key for candidate in candidates)


def _refuse_shared_bytes(
    master: MasterKeys, index_key: bytes, others: Iterable[tuple[str, Any]]
) -> None:
    for key_id, kek in master.keys.items():
        if index_key == kek:
            raise ConfigError(f"MGZ_INDEX_KEY: must not be the same key as master key {key_id}")
        for name, value in others:
            if value is not None and _same_secret(value, kek):
                raise ConfigError(f"MGZ_{name}: must not be the same key as master key {key_id}")


def init_app(app: Flask, environ: Mapping[str, str] | None = None) -> None:
    """Load the keys into the app; refuse to start without them (outside demo mode)."""
    environ = os.environ if environ is None else environ
    folder = Path(app.instance_path)
    demo = app.config.get("MODE") == "demo"
    if not demo:
        for name in ("MASTER_KEYS", "INDEX_KEY"):
            if app.config.get(name) is None:
                raise ConfigError(f"MGZ_{name}: required in production (or MGZ_{name}_FILE)")
            _check_key_file(environ, name)
    if app.config.get("MASTER_KEYS") is None:
        text = _demo_file(folder / DEMO_MASTER_FILE, "dev1:" + encode_key(generate_key()))
        try:
            app.config["MASTER_KEYS"] = parse_master_keys(text)
        except ValueError as exc:
            raise ConfigError(f"{folder / DEMO_MASTER_FILE}: {exc}") from None
    if app.config.get("INDEX_KEY") is None:
        text = _demo_file(folder / DEMO_INDEX_FILE, encode_key(generate_key()))
        try:
            app.config["INDEX_KEY"] = parse_index_key(text)
        except ValueError as exc:
            raise ConfigError(f"{folder / DEMO_INDEX_FILE}: {exc}") from None
    master: MasterKeys = app.config["MASTER_KEYS"]
    index_key: bytes = app.config["INDEX_KEY"]
    _refuse_shared_bytes(master, index_key, [("AUDIT_KEY", app.config.get("AUDIT_KEY"))])
    if demo:
        log.warning(
            "DEMO MODE: the master key and the index key are development keys generated "
            "into the instance folder; they are not for production",
            extra={"event": "demo_keys"},
        )
    app.extensions[EXTENSION] = CryptoState(master=master, index_key=index_key)


# --- wrapping data keys ------------------------------------------------------------------


class UnwrapError(Exception):
    """A data key could not be unwrapped (unknown KEK id or failed authentication)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _dek_ad(kek_id: str, subject_id: uuid.UUID, dek_version: int) -> bytes:
    # Binds a wrapped key to its KEK id and its subject: a wrapped key copied onto
    # another person's row does not unwrap.
    return (
        _DEK_AD
        + kek_id.encode("ascii")
        + b"\x00"
        + subject_id.bytes
        + dek_version.to_bytes(4, "big")
    )


def wrap_dek(
    master: MasterKeys, subject_id: uuid.UUID, dek_version: int, dek: bytes
) -> tuple[str, bytes]:
    """Wrap ``dek`` under the active KEK: returns (kek id, nonce + ciphertext + tag)."""
    nonce = os.urandom(NONCE_BYTES)
    kek_id = master.active_id
    aead = master.aead(kek_id)
    assert aead is not None  # noqa: S101 - the active id is one of the keys by construction
    sealed = aead.encrypt(nonce, dek, _dek_ad(kek_id, subject_id, dek_version))
    return kek_id, nonce + sealed


def unwrap_dek(
    master: MasterKeys, kek_id: str, subject_id: uuid.UUID, dek_version: int, wrapped: bytes
) -> bytes:
    """Unwrap a data key; raise UnwrapError("unknown_kek" or "dek_tag")."""
    aead = master.aead(kek_id)
    if aead is None:
        raise UnwrapError("unknown_kek")
    try:
        dek = aead.decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _dek_ad(kek_id, subject_id, dek_version)
        )
    except (InvalidTag, ValueError):
        raise UnwrapError("dek_tag") from None
    if len(dek) != KEY_BYTES:
        raise UnwrapError("dek_length")
    return dek
