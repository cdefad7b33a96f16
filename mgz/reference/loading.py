"""Load the shipped code lists into the database, versioned and audited.

Loading is idempotent: a list whose canonical content is unchanged is left alone; a
changed list gets a new version in which new codes are added, codes missing from the
file (or marked ``withdrawn``) are withdrawn, and labels, groups and attributes are
updated. Codes are never deleted, so records that use a withdrawn code stay valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mgz.audit import service as audit
from mgz.core.actor import Actor
from mgz.reference import service
from mgz.reference.files import ParsedList, read_lists
from mgz.reference.models import ReferenceCode, ReferenceListVersion


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


def _newest_version(session: Session, list_name: str) -> ReferenceListVersion | None:
    return session.scalars(
        select(ReferenceListVersion)
        .where(ReferenceListVersion.list_name == list_name)
        .order_by(ReferenceListVersion.version.desc())
        .limit(1)
    ).first()


def _apply(session: Session, item: ParsedList, version: int) -> ListChange:
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
    service.clear_cache()
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
