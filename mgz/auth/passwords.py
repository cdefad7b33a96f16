"""Password hashing (scrypt) and the password rules.

scrypt with N=2**17, r=8, p=1 is the OWASP Password Storage Cheat Sheet's first
scrypt setting (128 MiB per hash, about half a second here); hashlib ships it, so no
extra dependency. The parameters are stored with each hash, so raising them later
re-hashes passwords at the next successful login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from functools import lru_cache

SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_DKLEN = 32
_SALT_BYTES = 16
MIN_LENGTH = 12
MAX_LENGTH = 256

# A small built-in list: the most common passwords of German and international
# leak statistics that reach 12 characters, and base words that people pad with
# digits or symbols to reach the minimum ("Passwort1234!").
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "111111111111",
        "123123123123",
        "qwertzuiop12",
        "qwertyuiop12",
        "qwertzuiopü+",
        "1q2w3e4r5t6z",
        "1q2w3e4r5t6y",
        "asdfghjklöä#",
        "passwort1234",
        "password1234",
        "passwort123!",
        "password123!",
        "hallo1234567",
        "iloveyou1234",
        "ichliebedich",
        "ichliebedich1",
        "schatzischatz",
        "fussballfan1",
        "borussiadortmund",
        "bayernmuenchen",
        "sommer2024!!",
        "winter2024!!",
        "willkommen12",
        "willkommen123",
        "welcome12345",
        "letmein12345",
        "administrator",
        "administrator1",
        "changeme1234",
        "geheim123456",
        "superman1234",
        "pokemon12345",
        "starwars1234",
        "trustno1trustno1",
        "abcdefghijkl",
        "abc123abc123",
        "qwerty123456",
        "aaaaaaaaaaaa",
        "passwortpasswort",
        "passwordpassword",
        "osnabrueck12",
        "osnabrück12!",
        "masserbeit12",
        "massarbeit123",
        "migrationszentrum",
        "landkreisosnabrueck",
        "landkreis123",
    }
)
BASE_WORDS = frozenset(
    {
        "passwort",
        "password",
        "kennwort",
        "hallo",
        "hello",
        "qwertz",
        "qwerty",
        "asdf",
        "sommer",
        "winter",
        "fruehling",
        "frühling",
        "herbst",
        "januar",
        "dezember",
        "schalke",
        "bayern",
        "borussia",
        "fussball",
        "fußball",
        "iloveyou",
        "ichliebedich",
        "welcome",
        "willkommen",
        "letmein",
        "admin",
        "administrator",
        "geheim",
        "secret",
        "master",
        "dragon",
        "monkey",
        "test",
        "testtest",
        "mgz",
        "berater",
        "beraterin",
        "osnabrueck",
        "osnabrück",
        "massarbeit",
        "maßarbeit",
        "landkreis",
        "migration",
        "changeme",
        "start",
        "login",
        "user",
        "benutzer",
        "abc",
    }
)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(24))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem: scrypt needs 128 * n * r * p bytes; leave room for OpenSSL's overhead.
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=128 * n * r * p + 32 * 1024 * 1024,
        dklen=_DKLEN,
    )


def hash_password(password: str) -> str:
    """Hash a password; the result carries algorithm, parameters and salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        return n, r, p, base64.b64decode(parts[4]), base64.b64decode(parts[5])
    except ValueError:
        return None


def verify_password(password: str, stored: str | None) -> bool:
    """Check a password against a stored hash in constant time.

    With no stored hash (unknown user) a dummy hash is checked, so the answer takes
    as long as for a real account and does not reveal which names exist.
    """
    parsed = _parse(stored) if stored else None
    if parsed is None:
        _parse_and_burn(password)
        return False
    n, r, p, salt, expected = parsed
    return hmac.compare_digest(_derive(password, salt, n, r, p), expected)


def _parse_and_burn(password: str) -> None:
    parsed = _parse(_dummy_hash())
    assert parsed is not None  # noqa: S101 - our own format
    n, r, p, salt, _expected = parsed
    _derive(password, salt, n, r, p)


def needs_rehash(stored: str) -> bool:
    """Whether the stored hash uses other parameters than the current ones."""
    parsed = _parse(stored)
    return parsed is None or parsed[:3] != (SCRYPT_N, SCRYPT_R, SCRYPT_P)


def _is_common(password: str) -> bool:
    lowered = password.casefold()
    if lowered in COMMON_PASSWORDS:
        return True
    letters = re.sub(r"[^a-zäöüß]", "", lowered)
    # A base word padded with digits/symbols, or the same base word repeated.
    if letters in BASE_WORDS:
        return True
    if any(letters == word * k for word in BASE_WORDS for k in (2, 3)):
        return True
    return len(set(lowered)) < 5


def password_problems(password: str, username: str | None = None) -> list[str]:
    """German messages for each rule the password breaks (empty list: acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Mindestens {MIN_LENGTH} Zeichen.")
    elif len(password) > MAX_LENGTH:
        problems.append(f"Höchstens {MAX_LENGTH} Zeichen.")
    elif _is_common(password):
        problems.append("Dieses Passwort ist zu verbreitet oder zu leicht zu erraten.")
    if username and len(username) >= 3 and username.casefold() in password.casefold():
        problems.append("Das Passwort darf den Benutzernamen nicht enthalten.")
    return problems


def generate_password() -> str:
    """A random password that meets the rules (for demo users and resets)."""
    return secrets.token_urlsafe(15)
