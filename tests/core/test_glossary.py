"""docs/glossary.md matches the code: every name it gives exists, unless marked planned."""

from __future__ import annotations

import re
from pathlib import Path

from mgz.consultations.models import KINDS

REPO = Path(__file__).resolve().parents[2]
GLOSSARY = REPO / "docs" / "glossary.md"
PLANNED = "*(planned)*"


def _rows() -> list[list[str]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]  # without the header


def _code_text() -> str:
    # Code and shipped code lists; a list is named by its file (key_factor.toml).
    paths = [p for p in (REPO / "mgz").rglob("*") if p.suffix in {".py", ".toml"}]
    return "\n".join([*(p.read_text(encoding="utf-8") for p in paths), *(p.stem for p in paths)])


def test_every_name_in_the_code_column_exists_in_the_code():
    code = _code_text()
    missing = []
    for german, name, *_ in _rows():
        if PLANNED in name:
            continue
        for identifier in re.findall(r"`([^`]+)`", name):
            for word in re.findall(r"[a-z][a-z0-9_]+", identifier):
                if word not in {"mgz", "keys", "reference", "load", "kind"} and word not in code:
                    missing.append(f"{german}: {word}")
    assert missing == []


def test_consultation_kinds_are_named_as_the_api_names_them():
    rows = {german: name for german, name, *_ in _rows()}
    assert "`kind` = `first`" in rows["Erstgespräch"]
    assert "`kind` = `follow_up`" in rows["Folgegespräch"]
    assert set(KINDS) == {"first", "follow_up"}
    assert "initial_consultation" not in GLOSSARY.read_text(encoding="utf-8")
