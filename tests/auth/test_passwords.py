"""Password hashing and rules (no database)."""

import pytest

from mgz.auth import passwords
from tests.factories import TEST_PASSWORD, password_hash


def test_hash_uses_owasp_scrypt_parameters_and_a_salt():
    stored = password_hash()
    algorithm, n, r, p, _salt, _digest = stored.split("$")
    assert (algorithm, int(n), int(r), int(p)) == ("scrypt", 2**17, 8, 1)
    assert TEST_PASSWORD not in stored
    assert passwords.verify_password(TEST_PASSWORD, stored)
    assert not passwords.verify_password(TEST_PASSWORD + "x", stored)
    assert not passwords.needs_rehash(stored)


def test_old_parameters_ask_for_a_rehash():
    assert passwords.needs_rehash("scrypt$16384$8$1$c2FsdA==$ZGlnZXN0")
    assert passwords.needs_rehash("md5$whatever")


def test_unknown_user_check_costs_a_real_hash_and_fails():
    assert passwords.verify_password("anything-at-all", None) is False
    assert passwords.verify_password("anything-at-all", "garbage") is False


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kurz-11-zch", "Mindestens 12 Zeichen."),
        ("Passwort1234", "zu verbreitet"),
        ("password1234!", "zu verbreitet"),
        ("123456789012", "zu verbreitet"),
        ("Sommer2026!!", "zu verbreitet"),
        ("aaaaaaaaaaaaaaa", "zu verbreitet"),
        ("x" * 257, "Höchstens 256 Zeichen."),
        ("mein-name-ist-j.doe!", "Benutzernamen"),
    ],
)
def test_weak_passwords_are_refused(password, problem):
    problems = passwords.password_problems(password, "j.doe")
    assert any(problem in item for item in problems)
    assert all(password not in item for item in problems)


def test_a_long_unusual_passphrase_is_accepted():
    assert passwords.password_problems("Kaffeetasse-Radweg-Hasetor-17", "j.doe") == []
    assert passwords.password_problems(passwords.generate_password(), "j.doe") == []
