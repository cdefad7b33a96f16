"""Domain errors of the crypto area; no message ever names a value or a key."""

from __future__ import annotations

from mgz.core.errors import ConflictError, DomainError


class DecryptionError(DomainError):
    """An encrypted field could not be read: wrong key, missing data key or damaged value.

    The request fails closed (never a plaintext fallback); the caller has written an
    audit event naming table, column and row id, never a value.
    """

    status = 500
    slug = "decryption-failed"
    title = "Entschlüsselung fehlgeschlagen"

    def __init__(self, detail: str | None = None, *, reason: str = "invalid") -> None:
        super().__init__(
            detail
            or (
                "Ein verschlüsseltes Feld konnte nicht gelesen werden. Der Vorfall wurde "
                "protokolliert; bitte nennen Sie dem Support die request_id."
            )
        )
        # A code for the audit log and the tests: format, tag, missing_key, unknown_kek, ...
        self.reason = reason


class SubjectShreddedError(DecryptionError):
    """The data key of this person was destroyed (crypto-shredding): the data is gone."""

    status = 410
    slug = "erased"
    title = "Daten gelöscht"

    def __init__(self) -> None:
        super().__init__(
            "Die personenbezogenen Daten wurden gelöscht (Schlüssel vernichtet).",
            reason="shredded",
        )


class KeyInUseError(ConflictError):
    """A master key cannot be retired while data keys still need it."""

    slug = "key-in-use"


class KeyNotUsableError(ConflictError):
    """A master key needed for an operation is not configured, or is retired."""

    slug = "key-not-usable"
