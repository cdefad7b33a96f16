"""Load the code lists shipped in ``data/`` and answer "is this code allowed?".

Loading is idempotent: a list whose canonical content is unchanged is left alone; a
changed list gets a new version in which new codes are added, codes missing from the
file (or marked ``withdrawn``) are withdrawn, and labels, groups and attributes are
updated. Codes are never deleted, so records that use a withdrawn code stay valid.

Lookups go through a small in-process cache. Every lookup first reads the list's
newest version row (one indexed query); the cache is keyed by that row, so a load in
another process, or a load rolled back in this one, can never serve stale codes.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mgz.audit import service as audit
from mgz.core.actor import Actor
from mgz.core.errors import NotFoundError
from mgz.reference.models import (
    CODE_LENGTH,
    LABEL_LENGTH,
    NAME_LENGTH,
    ReferenceCode,
    ReferenceListVersion,
)

LIST_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CODE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_ENTRY_KEYS = frozenset({"code", "label", "group", "attributes", "withdrawn"})
_FILE_KEYS = frozenset({"title", "group_list", "codes"})


class ReferenceDataError(ValueError):
    """A code-list file is malformed or inconsistent; nothing was written."""


class UnknownListError(NotFoundError):
    """No code list of that name has been loaded."""

    def __init__(self, list_name: str) -> None:
        super().__init__("Diese Codeliste gibt es nicht.")
        self.list_name = list_name


@dataclass(frozen=True)
class CodeEntry:
    """One code of a list as the rest of the application sees it."""

    code: str
    label: str
    group: str | None
    sort_order: int
    added_in_version: int
    withdrawn_in_version: int | None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_withdrawn(self) -> bool:
        """Whether the code is refused for new input."""
        return self.withdrawn_in_version is not None


@dataclass(frozen=True)
class ListInfo:
    """A loaded list: its newest version and title."""

    name: str
    title: str
    version: int
    sha256: str


@dataclass(frozen=True)
class ListChange:
    """What loading did to one list."""

    list_name: str
    version: int
    is_changed: bool
    added: tuple[str, ...] = ()
    withdrawn: tuple[str, ...] = ()
    reactivated: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the CLI, e.g. ``country: new version 2 (+1 −3)``."""
        if not self.is_changed:
            return f"{self.list_name}: unchanged (version {self.version})"
        line = (
            f"{self.list_name}: new version {self.version} "
            f"(+{len(self.added)} −{len(self.withdrawn)}"
        )
        if self.reactivated:
            line += f", {len(self.reactivated)} reactivated"
        if self.updated:
            line += f", {len(self.updated)} updated"
        return line + ")"


@dataclass(frozen=True)
class LoadReport:
    """The outcome of :func:`load_reference_data`, one entry per list in the files."""

    lists: tuple[ListChange, ...]

    @property
    def changed(self) -> tuple[ListChange, ...]:
        """The lists that got a new version."""
        return tuple(change for change in self.lists if change.is_changed)


@dataclass(frozen=True)
class _ParsedList:
    name: str
    title: str
    group_list: str | None
    entries: tuple[dict[str, Any], ...]
    sha256: str


# --- reading the files ---------------------------------------------------------------


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


def read_lists(data_dir: Path | None = None) -> dict[str, _ParsedList]:
    """Parse and cross-check every ``*.toml`` in ``data_dir``; raise ReferenceDataError."""
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ReferenceDataError(f"no code-list files in {folder}")
    parsed: dict[str, _ParsedList] = {}
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
        parsed[name] = _ParsedList(
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


# --- loading into the database -------------------------------------------------------


def _newest_version(session: Session, list_name: str) -> ReferenceListVersion | None:
    return session.scalars(
        select(ReferenceListVersion)
        .where(ReferenceListVersion.list_name == list_name)
        .order_by(ReferenceListVersion.version.desc())
        .limit(1)
    ).first()


def _apply(session: Session, item: _ParsedList, version: int) -> ListChange:
    existing = {
        row.code: row
        for row in session.scalars(
            select(ReferenceCode).where(ReferenceCode.list_name == item.name)
        )
    }
    added: list[str] = []
    withdrawn: list[str] = []
    reactivated: list[str] = []
    updated: list[str] = []
    in_file: set[str] = set()
    for entry in item.entries:
        code = entry["code"]
        in_file.add(code)
        row = existing.get(code)
        attributes = entry["attributes"] or None
        if row is None:
            session.add(
                ReferenceCode(
                    list_name=item.name,
                    code=code,
                    label=entry["label"],
                    group_code=entry["group"],
                    sort_order=entry["sort_order"],
                    added_in_version=version,
                    # A code shipped as withdrawn exists for old records only.
                    withdrawn_in_version=version if entry["withdrawn"] else None,
                    attributes=attributes,
                )
            )
            added.append(code)
            if entry["withdrawn"]:
                withdrawn.append(code)
            continue
        if entry["withdrawn"] and row.withdrawn_in_version is None:
            row.withdrawn_in_version = version
            withdrawn.append(code)
        elif not entry["withdrawn"] and row.withdrawn_in_version is not None:
            row.withdrawn_in_version = None
            reactivated.append(code)
        new_values = (entry["label"], entry["group"], entry["sort_order"], attributes)
        if (row.label, row.group_code, row.sort_order, row.attributes) != new_values:
            row.label, row.group_code, row.sort_order = new_values[:3]
            row.attributes = attributes
            updated.append(code)
    for code, row in existing.items():
        if code not in in_file and row.withdrawn_in_version is None:
            row.withdrawn_in_version = version
            withdrawn.append(code)
    return ListChange(
        item.name,
        version,
        True,
        tuple(added),
        tuple(withdrawn),
        tuple(reactivated),
        tuple(updated),
    )


def _record_audit(session: Session, actor: Actor, change: ListChange, sha256: str) -> None:
    audit.record(
        session,
        actor,
        "reference.load",
        object_type="reference_list",
        object_id=change.list_name,
        details={
            "version": change.version,
            "added": len(change.added),
            "withdrawn": len(change.withdrawn),
            "reactivated": len(change.reactivated),
            "updated": len(change.updated),
            "sha256": sha256,
        },
    )


def load_reference_data(session: Session, actor: Actor, data_dir: Path | None = None) -> LoadReport:
    """Load every code list from ``data_dir`` (default: the shipped files).

    Unchanged lists are left alone; a changed list gets a new version, and one
    ``reference.load`` audit event is written per changed list. Flushes but does not
    commit: the caller commits (the CLI and the demo step do).
    """
    parsed = read_lists(data_dir)
    changes: list[ListChange] = []
    with _cache_lock:
        _cache.clear()
    for name in sorted(parsed):
        item = parsed[name]
        newest = _newest_version(session, name)
        if newest is not None and newest.sha256 == item.sha256:
            changes.append(ListChange(name, newest.version, False))
            continue
        version = 1 if newest is None else newest.version + 1
        change = _apply(session, item, version)
        session.add(
            ReferenceListVersion(
                list_name=name, version=version, title=item.title, sha256=item.sha256
            )
        )
        session.flush()
        _record_audit(session, actor, change, item.sha256)
        changes.append(change)
    session.flush()
    return LoadReport(tuple(changes))


# --- lookups -------------------------------------------------------------------------

_cache: dict[tuple[Any, ...], dict[str, CodeEntry]] = {}
_cache_lock = threading.Lock()
_CACHE_LIMIT = 256  # (list, version) pairs; far above the ~30 lists we ship


def _entries(session: Session, list_name: str) -> tuple[ListInfo, dict[str, CodeEntry]]:
    newest = session.execute(
        select(
            ReferenceListVersion.id,
            ReferenceListVersion.version,
            ReferenceListVersion.title,
            ReferenceListVersion.sha256,
            ReferenceListVersion.loaded_at,
        )
        .where(ReferenceListVersion.list_name == list_name)
        .order_by(ReferenceListVersion.version.desc())
        .limit(1)
    ).first()
    if newest is None:
        raise UnknownListError(list_name)
    info = ListInfo(list_name, newest.title, newest.version, newest.sha256)
    # The database URL and the version row's id and load time identify one load event:
    # a rolled-back load or another database can never hit this entry.
    key = (str(session.get_bind().engine.url), list_name, *newest)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return info, cached
    rows = session.scalars(
        select(ReferenceCode)
        .where(ReferenceCode.list_name == list_name)
        .order_by(ReferenceCode.sort_order, ReferenceCode.code)
    )
    entries = {
        row.code: CodeEntry(
            row.code,
            row.label,
            row.group_code,
            row.sort_order,
            row.added_in_version,
            row.withdrawn_in_version,
            dict(row.attributes or {}),
        )
        for row in rows
    }
    with _cache_lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[key] = entries
    return info, entries


def list_info(session: Session, list_name: str) -> ListInfo:
    """The newest version of a list; raise UnknownListError if it was never loaded."""
    return _entries(session, list_name)[0]


def list_names(session: Session) -> list[ListInfo]:
    """Every loaded list with its newest version, by name."""
    newest = (
        select(ReferenceListVersion.list_name, func.max(ReferenceListVersion.version).label("v"))
        .group_by(ReferenceListVersion.list_name)
        .subquery()
    )
    rows = session.execute(
        select(ReferenceListVersion)
        .join(
            newest,
            (ReferenceListVersion.list_name == newest.c.list_name)
            & (ReferenceListVersion.version == newest.c.v),
        )
        .order_by(ReferenceListVersion.list_name)
    ).scalars()
    return [ListInfo(row.list_name, row.title, row.version, row.sha256) for row in rows]


def codes(session: Session, list_name: str, include_withdrawn: bool = False) -> list[CodeEntry]:
    """The codes of a list in display order; withdrawn ones only if asked for."""
    _info, entries = _entries(session, list_name)
    return [e for e in entries.values() if include_withdrawn or not e.is_withdrawn]


def get_code(session: Session, list_name: str, code: str) -> CodeEntry | None:
    """One code (withdrawn or not), or None if the list has no such code."""
    return _entries(session, list_name)[1].get(code)


def is_valid(session: Session, list_name: str, code: str, *, allow_withdrawn: bool = False) -> bool:
    """Whether ``code`` is in the list; withdrawn codes count only with ``allow_withdrawn``.

    New input passes the default (refuse withdrawn codes); reading or re-validating an
    old record passes ``allow_withdrawn=True``. Raises UnknownListError for a list
    that was never loaded (a programming error, not bad input).
    """
    entry = get_code(session, list_name, code)
    return entry is not None and (allow_withdrawn or not entry.is_withdrawn)


def group_of(session: Session, list_name: str, code: str) -> str | None:
    """The group code of ``code`` (withdrawn codes included), or None."""
    entry = get_code(session, list_name, code)
    return entry.group if entry is not None else None
