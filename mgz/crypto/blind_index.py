"""Blind indexes: a keyed, truncated HMAC of a normalised value, for exact-match search.

Why 32 bits (8 hex characters)
    The index must find a person's record and spot duplicates at intake without
    decrypting every row, but it must not become a pseudonym that identifies a person
    by itself.

    * Search: a lookup compares one value against the stored ones. With a million
      stored entries the chance that a lookup hits an unrelated entry is about
      10**6 / 2**32 ≈ 1 in 4,300; such a false candidate is discarded by decrypting and
      comparing the few rows found, so collisions cost a decryption, never a wrong hit.
    * Privacy: HMAC with a secret key means that without the index key the values
      reveal only which rows share a value. Even with the key, a 32-bit value does not
      pin down one input: plausible inputs (for "last name + birth date" roughly a
      million names × 36,500 dates ≈ 2**35) outnumber the 2**32 index values, so each
      value stands for several possible people, and across the stored rows several
      different people share an index value once there are tens of thousands of rows.
    * Longer tags (64 bits) would make every index value unique and turn the index
      into a stable identifier; shorter ones (24 bits) would give about 60 false
      candidates per lookup among a million entries.

Normalisation: Unicode NFKC, case folding, German umlauts and ß folded (ä→ae, ö→oe,
ü→ue, ß→ss), runs of whitespace collapsed to one space and trimmed. So "Müller",
"MUELLER" and " mueller " share an index value; "Muller" does not (a different name).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date

from cryptography.hazmat.primitives import hmac

from mgz.crypto.keys import state

INDEX_BITS = 32
INDEX_LENGTH = INDEX_BITS // 4  # hex characters stored
_PART_SEPARATOR = "\x1f"  # ASCII unit separator: cannot survive normalisation inside a part


def normalise(value: str) -> str:
    """NFKC, case-folded, umlauts and ß folded, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", value)
    # casefold can leave a non-normalised sequence behind (e.g. İ → i + dot), hence NFKC
    # again; casefold already turns ß and ẞ into "ss".
    text = unicodedata.normalize("NFKC", text.casefold())
    if not text.isascii():  # (str.translate with a table is ten times slower)
        text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return " ".join(text.split())


def _part(value: str | date) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError("blind index parts must be str or date")
    return normalise(value).replace(_PART_SEPARATOR, " ")


def blind_index(value: str | date, *, purpose: str) -> str:
    """The blind index (8 hex characters) of ``value`` for ``purpose`` (needs an app context).

    ``purpose`` names the index (e.g. ``"client.name_birth"``); each purpose has its
    own HMAC key derived from the index key, so indexes cannot be joined with each other.
    """
    return blind_index_of([value], purpose=purpose)


def blind_index_of(parts: Sequence[str | date], *, purpose: str) -> str:
    """The blind index of several values together, e.g. last name and birth date."""
    return blind_index_with(state().index_mac(purpose), parts)


def blind_index_with(mac: hmac.HMAC, parts: Sequence[str | date]) -> str:
    """The blind index of ``parts`` under a purpose's keyed HMAC context (left unused).

    The flush hook looks the context up once per batch of rows, not per row.
    """
    message = _PART_SEPARATOR.join(map(_part, parts)).encode("utf-8", "surrogatepass")
    digest = mac.copy()
    digest.update(message)
    return digest.finalize().hex()[:INDEX_LENGTH]
