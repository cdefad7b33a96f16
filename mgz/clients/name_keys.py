"""Search forms of names: a folded spelling and the Cologne phonetics (Kölner Phonetik).

Why: at the intake desk a name arrives spelled as the person, an interpreter or
another authority wrote it down (Mohammed, Muhammad, Mohamad; Müller, Mueller,
Muller; Al-Hassan, Alhassan). The blind indexes of client files (mgz.clients.models)
are HMACs over these forms, so a tolerant search needs no decryption of the table:
only the rows whose index value matches are decrypted, and compared again here.

Two forms, from narrow to coarse:

* :func:`fold` - the letters a-z of the name, lower case, with diacritics removed
  (é→e, ł→l), ß→ss, the German transcriptions of umlauts reduced to the vowel
  (ae/oe/ue → a/o/u, so Müller, Mueller and Muller agree), doubled letters single,
  and a few transliteration pairs made equal (ph→f, dj/dsch/dzh→j, sch→sh, kh→h,
  q→k, ee→i, oo/ou→u). Spaces, hyphens and apostrophes disappear.
* :func:`phonetic` - the Cologne phonetics code of the folded form: digits for
  groups of consonants that sound alike in German, vowels dropped after the first
  letter. Mohammed, Muhammad and Mohamad all give ``662``. Coarse by design (see
  docs/architecture.md, "Search keys", for the false-positive rate measured by
  ``scripts/bench_search`` and for what an index value reveals).

Names in other scripts (Arabic, Cyrillic) are stored as typed; they have no folded
form here, so their search forms fall back to the normalised name and they are found
by an exact spelling only.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from mgz.crypto.blind_index import normalise

# Letters NFKD does not decompose into a base letter and a combining mark.
_SPECIAL_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)
# Applied in this order to the lower-case letters a-z of a name.
_TRANSLITERATIONS: tuple[tuple[str, str], ...] = (
    ("ae", "a"),
    ("oe", "o"),
    ("ue", "u"),
    ("dsch", "j"),
    ("dzh", "j"),
    ("dj", "j"),
    ("sch", "sh"),
    ("ph", "f"),
    ("kh", "h"),
    ("q", "k"),
    ("ee", "i"),
    ("oo", "u"),
    ("ou", "u"),
)
_NOT_A_LETTER = re.compile("[^a-z]")
_DOUBLED = re.compile(r"([a-z])\1+")


def fold(name: str) -> str:
    """The folded spelling of ``name`` (may be empty for a name in another script)."""
    text = unicodedata.normalize("NFKD", name.casefold().translate(_SPECIAL_LETTERS))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _NOT_A_LETTER.sub("", text.casefold())  # casefold again: ß → ss
    for written, folded in _TRANSLITERATIONS:
        text = text.replace(written, folded)
    return _DOUBLED.sub(r"\1", text)


# --- Cologne phonetics (Hans Joachim Postel, 1969) -----------------------------------------

_VOWELS = frozenset("aeijouyäöü")
_SIMPLE = {
    "b": "1",
    "f": "3",
    "v": "3",
    "w": "3",
    "g": "4",
    "k": "4",
    "q": "4",
    "l": "5",
    "m": "6",
    "n": "6",
    "r": "7",
    "s": "8",
    "z": "8",
    "ß": "8",
}
_C_INITIAL_HARD = frozenset("ahkloqrux")
_C_HARD = frozenset("ahkoqux")


def _letter_code(word: str, at: int) -> str:
    """The code of ``word[at]``; ``""`` for a letter without one (h)."""
    letter = word[at]
    before = word[at - 1] if at else ""
    after = word[at + 1] if at + 1 < len(word) else ""
    if letter in _VOWELS:
        return "0"
    if letter in _SIMPLE:
        return _SIMPLE[letter]
    if letter == "p":
        return "3" if after == "h" else "1"
    if letter in "dt":
        return "8" if after in ("c", "s", "z") else "2"
    if letter == "x":
        return "8" if before in ("c", "k", "q") else "48"
    if letter == "c":
        if at == 0:
            return "4" if after in _C_INITIAL_HARD else "8"
        if before in ("s", "z"):
            return "8"
        return "4" if after in _C_HARD else "8"
    return ""  # h, and anything that is not a letter a-z


def cologne_raw(word: str) -> str:
    """Step one of the Cologne phonetics: each letter's code, nothing merged yet."""
    letters = "".join(c for c in word.lower() if "a" <= c <= "z" or c in "äöüß")
    return "".join(_letter_code(letters, at) for at in range(len(letters)))


def cologne(word: str) -> str:
    """The Cologne phonetics code of ``word`` (letters a-z, ä, ö, ü, ß; others are ignored).

    Codes per letter, runs of one digit reduced to one, then every 0 dropped
    except a leading one: "Wikipedia" → ``3412``, "Müller-Lüdenscheidt" → ``65752682``.
    """
    merged: list[str] = []
    for digit in cologne_raw(word):
        if not merged or merged[-1] != digit:
            merged.append(digit)
    if not merged:
        return ""
    return merged[0] + "".join(d for d in merged[1:] if d != "0")


def folded_key(name: str) -> str:
    """The folded form for an index; a name without letters a-z keeps its normalised form."""
    return fold(name) or "=" + normalise(name)


def phonetic(name: str) -> str:
    """The phonetic form for an index: Cologne phonetics of the folded spelling.

    Folding first makes every folded variant a phonetic variant too (Djamila and
    Jamila both give ``065``). A name without letters a-z keeps its normalised form.
    """
    return cologne(fold(name)) or "=" + normalise(name)


def _year(value: date | int) -> str:
    return str(value.year if isinstance(value, date) else int(value))


def name_year_parts(first_name: str, last_name: str, born: date | int) -> tuple[str, ...]:
    """Index parts of ``client.name_year``: folded first and last name, birth year."""
    return (folded_key(first_name), folded_key(last_name), _year(born))


def phonetic_year_parts(first_name: str, last_name: str, born: date | int) -> tuple[str, ...]:
    """Index parts of ``client.phonetic_year``: phonetic first and last name, birth year."""
    return (phonetic(first_name), phonetic(last_name), _year(born))


def phonetic_birth_parts(last_name: str, birth_date: date) -> tuple[str | date, ...]:
    """Index parts of ``client.phonetic_birth``: phonetic last name, birth date."""
    return (phonetic(last_name), birth_date)
