r"""The stored form of one encrypted field and the codecs of its plaintext types.

Stored form (binary column)::

    version (1 byte, 0x01) | DEK version (4 bytes, big endian) | nonce (12) | ciphertext+tag

AES-256-GCM under the subject's data key; the associated data is::

    b"mgz.field.v1\\0" table b"\\0" column b"\\0" row id (16) subject id (16) header (5)

so a ciphertext moved to another row, another column, another table or another
person's row, or relabelled with another key version, fails authentication. The KEK
id is not in the field: it is on the subject's ``data_keys`` row, which is why a
rotation re-wraps one row per person instead of rewriting every field.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1
_VERSION_BYTE = bytes([FORMAT_VERSION])
HEADER_BYTES = 5
NONCE_BYTES = 12
TAG_BYTES = 16
BODY_START = HEADER_BYTES + NONCE_BYTES
MIN_STORED_BYTES = BODY_START + TAG_BYTES
MAX_PLAINTEXT_BYTES = 64 * 1024  # "small" values: a note, an address, a list of codes
SHORT_TEXT = MAX_PLAINTEXT_BYTES // 4  # characters that cannot exceed the limit in UTF-8


class FieldFormatError(Exception):
    """The stored value is not in a format this code reads, or fails authentication."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ad_prefix(table: str, column: str) -> bytes:
    """The fixed part of a field's associated data: table and column."""
    return b"mgz.field.v1\x00" + table.encode() + b"\x00" + column.encode() + b"\x00"


def ad_ids(row_id: uuid.UUID, subject_id: uuid.UUID) -> bytes:
    """The row part of the associated data: row id and subject id (16 bytes each)."""
    return ((row_id.int << 128) | subject_id.int).to_bytes(32, "big")


def header(dek_version: int) -> bytes:
    """The 5-byte header of values sealed with DEK version ``dek_version``."""
    return _VERSION_BYTE + dek_version.to_bytes(4, "big")


def seal(aead: AESGCM, header_: bytes, ad: bytes, plaintext: bytes) -> bytes:
    """Encrypt one value with a fresh random nonce; ``ad`` is prefix + ids (header added)."""
    nonce = os.urandom(NONCE_BYTES)
    return header_ + nonce + aead.encrypt(nonce, plaintext, ad + header_)


def dek_version_of(stored: bytes) -> int:
    """The DEK version named in a stored value; FieldFormatError if it is no field."""
    if len(stored) < MIN_STORED_BYTES or stored[0] != FORMAT_VERSION:
        raise FieldFormatError("format")
    return int.from_bytes(stored[1:HEADER_BYTES], "big")


def open_sealed(aead: AESGCM, ad: bytes, stored: bytes) -> bytes:
    """Decrypt and authenticate a value whose header the caller has checked.

    ``ad`` is prefix + ids; the stored header is appended here. Raises
    FieldFormatError("tag") when authentication fails.
    """
    try:
        return aead.decrypt(
            stored[HEADER_BYTES:BODY_START], stored[BODY_START:], ad + stored[:HEADER_BYTES]
        )
    except InvalidTag:
        raise FieldFormatError("tag") from None


# --- codecs: Python value <-> plaintext bytes ---------------------------------------------


@dataclass(frozen=True)
class Codec:
    """Turns one kind of Python value into plaintext bytes and back, exactly."""

    name: str

    def encode(self, value: Any) -> bytes:
        """Check and serialise a value (TypeError/ValueError on a wrong one)."""
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        """Deserialise."""
        raise NotImplementedError


def _limit(data: bytes) -> bytes:
    if len(data) > MAX_PLAINTEXT_BYTES:
        raise ValueError(f"encrypted values are limited to {MAX_PLAINTEXT_BYTES} bytes")
    return data


class StrCodec(Codec):
    """Any Python string, lone surrogates included (UTF-8 with surrogatepass)."""

    def encode(self, value: Any) -> bytes:
        """UTF-8."""
        if not isinstance(value, str):
            raise TypeError("expected a str")
        data = value.encode("utf-8", "surrogatepass")
        return data if len(data) <= MAX_PLAINTEXT_BYTES else _limit(data)

    def decode(self, data: bytes) -> str:
        """UTF-8."""
        return data.decode("utf-8", "surrogatepass")


class DateCodec(Codec):
    """A calendar date (not a datetime) as ISO 8601."""

    def encode(self, value: Any) -> bytes:
        """YYYY-MM-DD."""
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise TypeError("expected a date")
        return value.isoformat().encode("ascii")

    def decode(self, data: bytes) -> date:
        """From YYYY-MM-DD."""
        return date.fromisoformat(data.decode("ascii"))


def _check_json(value: Any, depth: int = 0) -> None:
    # Only types that come back as themselves: a tuple would come back as a list, a
    # NaN would not compare equal, a non-string key would come back as a string.
    if depth > 20:
        raise ValueError("JSON value nested too deeply")
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN and infinity are not JSON")
        return
    if isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("JSON object keys must be str")
            _check_json(item, depth + 1)
        return
    raise TypeError(f"{type(value).__name__} is not a JSON value (use list, dict, str, ...)")


# One encoder for every value: json.dumps with non-default options builds a new one
# per call, which costs more than encoding a short list.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class JsonCodec(Codec):
    """A small JSON value: dict, list, str, int, float, bool or None, nested."""

    def encode(self, value: Any) -> bytes:
        """Compact JSON, key order kept."""
        _check_json(value)
        text = _JSON.encode(value)
        return _limit(text.encode("utf-8", "surrogatepass"))

    def decode(self, data: bytes) -> Any:
        """A fresh object on every call, so changing it in place cannot go unnoticed."""
        return json.loads(data.decode("utf-8", "surrogatepass"))


CODECS: dict[Any, Codec] = {
    str: StrCodec("str"),
    date: DateCodec("date"),
    "json": JsonCodec("json"),
    list: JsonCodec("json"),
    dict: JsonCodec("json"),
}
