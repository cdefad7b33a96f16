"""Answer "is this code allowed?", and the other questions about loaded code lists.

Reading the shipped files is :mod:`mgz.reference.files`, loading them into the
database :mod:`mgz.reference.loading`.

Lookups go through a small in-process cache. Every lookup first reads the list's
newest version row (one indexed query); the cache is keyed by that row, so a load in
another process, or a load rolled back in this one, can never serve stale codes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from mgz.core.errors import NotFoundError
from mgz.core.schemas import unknown_code_message
from mgz.reference.models import (
    ReferenceCode,
    ReferenceListVersion,
)


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


# --- lookups -------------------------------------------------------------------------

_cache: dict[tuple[Any, ...], dict[str, CodeEntry]] = {}
_cache_lock = threading.Lock()
_CACHE_LIMIT = 256  # (list, version) pairs; far above the ~30 lists we ship


def clear_cache() -> None:
    """Forget every cached list (a load just changed them; the keys would miss anyway)."""
    with _cache_lock:
        _cache.clear()


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


def unknown_code(list_name: str) -> str:
    """The per-field message for a code missing from ``list_name``: names list and URL."""
    return unknown_code_message(list_name)


class CodeErrors:
    """Per-field errors for codes that are not in their code list, one message everywhere.

    Services that take codes collect their checks here (``check`` for one code,
    ``check_each`` for a list of codes, reported per position as ``field.N``) and merge
    ``errors`` into their 422. Each message names the list and where its codes are
    (``GET /api/v1/reference/{list}``): a client learns where to look, not just "no".
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.errors: dict[str, list[str]] = {}

    def check(self, path: str, list_name: str, code: str | None) -> None:
        """Report ``code`` under ``path`` unless it is None or in ``list_name``."""
        if code is not None and not is_valid(self.session, list_name, code):
            self.errors.setdefault(path, []).append(unknown_code(list_name))

    def check_each(self, path: str, list_name: str, codes: Iterable[str] | None) -> None:
        """Report every code of ``codes`` not in ``list_name`` as ``path.N``."""
        for index, code in enumerate(codes or ()):
            self.check(f"{path}.{index}", list_name, code)


def labels(session: Session, wanted: Mapping[str, set[str]]) -> dict[tuple[str, str], str]:
    """The labels of the codes ``wanted`` ({list: codes}), withdrawn ones too, in one query.

    This is the label source of ``?labels=de`` (mgz.core.schemas.OutputSchema): a
    response's codes are looked up together, whatever lists they come from.
    """
    conditions = [
        and_(ReferenceCode.list_name == name, ReferenceCode.code.in_(sorted(codes)))
        for name, codes in wanted.items()
        if codes
    ]
    if not conditions:
        return {}
    rows = session.execute(
        select(ReferenceCode.list_name, ReferenceCode.code, ReferenceCode.label).where(
            or_(*conditions)
        )
    )
    return {(row.list_name, row.code): row.label for row in rows}


def group_of(session: Session, list_name: str, code: str) -> str | None:
    """The group code of ``code`` (withdrawn codes included), or None."""
    entry = get_code(session, list_name, code)
    return entry.group if entry is not None else None
