"""Read and cross-check the code-list files shipped in ``data/`` (no database).

One TOML file per list: a title, optionally the list its groups come from, and the
codes with German labels. Everything is checked before anything is loaded: a bad
file raises :class:`ReferenceDataError` naming the list, and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mgz.reference.models import CODE_LENGTH, LABEL_LENGTH, NAME_LENGTH

LIST_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CODE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_ENTRY_KEYS = frozenset({"code", "label", "group", "attributes", "withdrawn"})
_FILE_KEYS = frozenset({"title", "group_list", "codes"})


class ReferenceDataError(ValueError):
    """A code-list file is malformed or inconsistent; nothing was written."""


@dataclass(frozen=True)
class ParsedList:
    """One list as read from its file, with the hash of its canonical content."""

    name: str
    title: str
    group_list: str | None
    entries: tuple[dict[str, Any], ...]
    sha256: str


def default_data_dir() -> Path:
    """The folder of code-list files shipped inside the package."""
    return Path(str(resources.files("mgz.reference") / "data"))


def _fail(list_name: str, message: str) -> ReferenceDataError:
    return ReferenceDataError(f"{list_name}: {message}")


def _parse_entries(name: str, raw_codes: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw_codes, list) or not raw_codes:
        raise _fail(name, "'codes' must be a non-empty array")
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_codes, start=1):
        if not isinstance(raw, dict) or set(raw) - _ENTRY_KEYS:
            raise _fail(name, f"entry {position}: unknown keys or not a table")
        code, label = raw.get("code"), raw.get("label")
        if not isinstance(code, str) or not CODE.match(code) or len(code) > CODE_LENGTH:
            raise _fail(name, f"entry {position}: invalid code {code!r}")
        if code in seen:
            raise _fail(name, f"duplicate code {code!r}")
        seen.add(code)
        if not isinstance(label, str) or not label.strip() or len(label) > LABEL_LENGTH:
            raise _fail(name, f"code {code!r}: label missing or longer than {LABEL_LENGTH}")
        group = raw.get("group")
        if group is not None and (not isinstance(group, str) or not CODE.match(group)):
            raise _fail(name, f"code {code!r}: invalid group")
        attributes = raw.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise _fail(name, f"code {code!r}: attributes must be a table")
        withdrawn = raw.get("withdrawn", False)
        if not isinstance(withdrawn, bool):
            raise _fail(name, f"code {code!r}: withdrawn must be true or false")
        entries.append(
            {
                "code": code,
                "label": label.strip(),
                "group": group,
                "attributes": attributes,
                "withdrawn": withdrawn,
                "sort_order": position,
            }
        )
    return tuple(entries)


def _canonical_hash(title: str, group_list: str | None, entries: Iterable[dict[str, Any]]) -> str:
    content = {"title": title, "group_list": group_list, "codes": list(entries)}
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def read_lists(data_dir: Path | None = None) -> dict[str, ParsedList]:
    """Parse and cross-check every ``*.toml`` in ``data_dir``; raise ReferenceDataError."""
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ReferenceDataError(f"no code-list files in {folder}")
    parsed: dict[str, ParsedList] = {}
    for path in files:
        name = path.stem
        if not LIST_NAME.match(name) or len(name) > NAME_LENGTH:
            raise _fail(name, "file name is not a valid list name")
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise _fail(name, f"not valid TOML ({exc})") from None
        if set(document) - _FILE_KEYS:
            raise _fail(name, f"unknown keys {sorted(set(document) - _FILE_KEYS)}")
        title = document.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > LABEL_LENGTH:
            raise _fail(name, "'title' missing")
        group_list = document.get("group_list")
        if group_list is not None and not isinstance(group_list, str):
            raise _fail(name, "'group_list' must be a list name")
        entries = _parse_entries(name, document.get("codes"))
        parsed[name] = ParsedList(
            name, title.strip(), group_list, entries, _canonical_hash(title, group_list, entries)
        )
    # Every group must be an active code of the named group list (in the same files).
    for item in parsed.values():
        grouped = [entry for entry in item.entries if entry["group"] is not None]
        if item.group_list is None:
            if grouped:
                raise _fail(item.name, "codes have groups but the file names no group_list")
            continue
        groups = parsed.get(item.group_list)
        if groups is None:
            raise _fail(item.name, f"group_list {item.group_list!r} has no file")
        allowed = {entry["code"] for entry in groups.entries if not entry["withdrawn"]}
        for entry in item.entries:
            if entry["group"] not in allowed:
                raise _fail(item.name, f"code {entry['code']!r}: unknown group {entry['group']!r}")
    return parsed
