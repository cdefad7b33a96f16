"""The access report (Art. 15 DSGVO): everything mgz holds about one client, readable.

Which record types it contains is not a hand-kept list: :func:`section_models` takes
every mapped model whose table refers to ``clients.id`` (each encrypted model of a
client is one, see :mod:`mgz.crypto.registry`), so a new record type appears in the
report as soon as it is mapped; a table that refers to another section's table
(course referral steps to their referral) is shown under its parent record. Every
column is shown, decrypted and with its German label, except search keys and
secrets (HMACs and key material mean nothing to a person and reveal nothing about
them) and the housekeeping columns in :data:`HIDDEN_FIELDS`.

The data-protection log part lists the events that name this client (by case number
or UUID): when, what (German), outcome, the actor's role and, for staff, the name.
Hash chain, request ids, token ids, details and other clients stay out.

Only the file's responsible advisers get the report (either access policy, no break
glass): it shows the other advisers' break-glass reasons and the file's log, which
:mod:`mgz.clients.break_glass` keeps to them too. One ``client.access_report`` event
naming the sections records the whole report (no per-record read events).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, MetaData, Table, func, select
from sqlalchemy.orm import Mapper, Session

from mgz.audit.models import AuditEvent
from mgz.audit.service import record
from mgz.auth.models import User
from mgz.clients.access import CaseAccess, adviser_ids, load_client
from mgz.clients.models import Client
from mgz.competences.models import Checklist
from mgz.core.classification import DataClass, class_of, field_name, fields_of
from mgz.core.db import Base, utcnow
from mgz.courses.models import Course
from mgz.crypto.registry import registered_models
from mgz.crypto.types import decrypt_fields
from mgz.privacy import report_sections as texts
from mgz.reference.service import labels as code_labels

# Columns never shown: their values mean nothing to the person (row ids, the client's
# own id that every row repeats, optimistic-locking counters).
HIDDEN_FIELDS = frozenset({"id", "client_id", "version"})
HIDDEN_CLASSES = frozenset({DataClass.SEARCH_KEY, DataClass.SECRET})
# Tables that refer to a client but hold no data about them: the client's data key
# (wrapped key material; its destruction is the erasure itself).
NOT_PERSONAL_TABLES = frozenset({"data_keys"})
# The newest events of the log shown in one report; the total says how many exist.
LOG_LIMIT = 5000
# Columns by which the rows of a section are put in order, the first one present.
_ORDER_COLUMNS = ("created_at", "recorded_at", "accessed_at")
FORMATS = ("json", "html")


@dataclass(frozen=True)
class SectionModel:
    """One record type of the report: a mapped class, how it names the client, its parent."""

    cls: type
    table: str
    subject: str  # attribute that holds the client's id
    parent: str | None = None  # table of the section it is shown under
    parent_key: str | None = None  # attribute that holds the parent record's id


def _refers_to(column: Column[Any], table: str) -> bool:
    return any(fk.column.table.name == table for fk in column.foreign_keys)


def section_models(metadata: MetaData = Base.metadata) -> list[SectionModel]:
    """Every record type about a client in ``metadata``'s mapped models, clients first.

    Derived from the ORM registry: a model is a client's record if a column refers
    to ``clients.id``; it is a child of another section if a column refers to that
    section's table. Tables in :data:`NOT_PERSONAL_TABLES` are left out.
    """
    found: dict[str, tuple[type, Mapper[Any]]] = {}
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if not isinstance(table, Table) or table.metadata is not metadata:
            continue
        if table.name == Client.__tablename__ or (
            table.name not in NOT_PERSONAL_TABLES
            and any(_refers_to(column, Client.__tablename__) for column in table.columns)
        ):
            found[table.name] = (mapper.class_, mapper)
    sections = []
    for name, (cls, mapper) in found.items():
        if cls is Client:
            sections.append(SectionModel(cls, name, "id"))
            continue
        subject = next(
            field_name(mapper, c) for c in mapper.columns if _refers_to(c, Client.__tablename__)
        )
        parent = next(
            (
                (fk.column.table.name, field_name(mapper, c))
                for c in mapper.columns
                for fk in c.foreign_keys
                if fk.column.table.name in found and fk.column.table.name != Client.__tablename__
            ),
            (None, None),
        )
        sections.append(SectionModel(cls, name, subject, *parent))
    # In the order report_sections names them (clients first); unnamed ones after.
    order = {table: index for index, table in enumerate(texts.SECTIONS)}
    return sorted(
        sections,
        key=lambda s: (
            s.cls is not Client,
            s.parent is not None,
            order.get(s.table, len(order)),
            s.table,
        ),
    )


def client_models(metadata: MetaData = Base.metadata) -> list[type]:
    """Every registered encrypted model whose subject is a client (not staff, not keys)."""
    result = []
    for spec in registered_models(metadata):
        column = spec.cls.__table__.columns.get(spec.subject)  # type: ignore[attr-defined]
        if spec.cls is Client or (column is not None and _refers_to(column, "clients")):
            result.append(spec.cls)
    return result


def missing_sections(
    sections: Iterable[SectionModel], metadata: MetaData = Base.metadata
) -> list[str]:
    """Encrypted client models (by table) that ``sections`` leaves out: must be empty."""
    shown = {section.cls for section in sections}
    return sorted(cls.__tablename__ for cls in client_models(metadata) if cls not in shown)  # type: ignore[attr-defined]


def shown_columns(section: SectionModel) -> list[tuple[str, Column[Any]]]:
    """(field name, column) of every column the report shows for ``section``."""
    mapper: Mapper[Any] = section.cls.__mapper__  # type: ignore[attr-defined]
    shown = []
    for column in mapper.columns:
        name = field_name(mapper, column)
        if class_of(column) in HIDDEN_CLASSES or name in HIDDEN_FIELDS:
            continue
        if name == section.parent_key:
            continue
        shown.append((name, column))
    order = {name: index for index, name in enumerate(fields_of(section.cls, *DataClass))}
    return sorted(shown, key=lambda item: order.get(item[0], len(order)))


def unlabelled(sections: Iterable[SectionModel]) -> list[str]:
    """``table`` or ``table.field`` of everything the report would show without German text."""
    missing = []
    for section in sections:
        if section.table not in texts.SECTIONS:
            missing.append(section.table)
        missing += [
            f"{section.table}.{name}"
            for name, _column in shown_columns(section)
            if texts.field_text(section.table, name) is None
        ]
    return missing


# --- the report as data --------------------------------------------------------------------


@dataclass
class ReportField:
    """One field of one record: its German label, its value and, for codes, their labels."""

    name: str
    label: str
    value: Any
    value_label: str | list[str | None] | None = None


@dataclass
class ReportRecord:
    """One record, its fields in declaration order, and the sections shown under it."""

    fields: list[ReportField]
    children: list[ReportSection] = field(default_factory=list)


@dataclass
class ReportSection:
    """All records of one type, with the purpose and legal basis of keeping them."""

    key: str
    title: str
    purpose: str
    legal_basis: str
    records: list[ReportRecord] = field(default_factory=list)


@dataclass(frozen=True)
class LogEntry:
    """One event of the data-protection log about this file, as the person may see it."""

    occurred_at: datetime
    action: str
    description: str
    outcome: str
    role: str | None
    staff_name: str | None
    fields: list[str]


@dataclass
class AccessReport:
    """The whole report of one client."""

    client_id: uuid.UUID
    case_number: str
    generated_at: datetime
    sections: list[ReportSection]
    advisers: list[str]
    log: list[LogEntry]
    log_total: int

    @property
    def log_truncated(self) -> bool:
        """Whether older events than those shown exist (see :data:`LOG_LIMIT`)."""
        return self.log_total > len(self.log)


def _plain(value: Any) -> Any:
    """A value as JSON can carry it (dates ISO 8601, UUIDs as text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


class _Builder:
    """Collects the records of every section, then looks up names and code labels at once."""

    def __init__(self, session: Session, client: Client) -> None:
        self.session = session
        self.client = client
        self.user_fields: list[tuple[ReportField, int]] = []
        self.course_fields: list[tuple[ReportField, uuid.UUID]] = []
        self.checklist_fields: list[tuple[ReportField, uuid.UUID]] = []
        self.code_fields: list[tuple[ReportField, str, bool]] = []

    def rows(self, section: SectionModel) -> list[Any]:
        query = select(section.cls).where(getattr(section.cls, section.subject) == self.client.id)
        columns = section.cls.__table__.columns  # type: ignore[attr-defined]
        order = [getattr(section.cls, name) for name in _ORDER_COLUMNS if name in columns]
        pk = [getattr(section.cls, c.key) for c in section.cls.__table__.primary_key]  # type: ignore[attr-defined]
        rows = list(self.session.scalars(query.order_by(*order[:1], *pk)).unique())
        # A field that fails to decrypt raises here, before the read is recorded.
        decrypt_fields(*rows)
        return rows

    def make_record(self, section: SectionModel, row: Any) -> ReportRecord:
        fields = []
        for name, column in shown_columns(section):
            text = texts.field_text(section.table, name)
            value = getattr(row, name)
            item = ReportField(name, text.label if text else name, _plain(value))
            fields.append(item)
            if value is None:
                continue
            if _refers_to(column, "users"):
                self.user_fields.append((item, value))
            elif _refers_to(column, Course.__tablename__):
                self.course_fields.append((item, value))
            elif _refers_to(column, Checklist.__tablename__):
                self.checklist_fields.append((item, value))
            elif text is not None and text.code_list is not None:
                self.code_fields.append((item, text.code_list, isinstance(value, list)))
            elif name in texts.WORDED_FIELDS and isinstance(value, str):
                item.value_label = texts.VALUE_LABELS.get(value)
        return ReportRecord(fields)

    def resolve(self) -> None:
        """Names of staff, courses and checklists, and code labels, in one query each."""
        session = self.session
        if self.user_fields:
            ids = {user_id for _item, user_id in self.user_fields}
            names = {
                row.id: row.username
                for row in session.execute(select(User.id, User.username).where(User.id.in_(ids)))
            }
            for item, user_id in self.user_fields:
                item.value = names.get(user_id)
        if self.checklist_fields:
            ids = {key for _item, key in self.checklist_fields}
            titles = {
                row.id: f"{row.title} (Version {row.version})"
                for row in session.execute(
                    select(Checklist.id, Checklist.title, Checklist.version).where(
                        Checklist.id.in_(ids)
                    )
                )
            }
            for item, key in self.checklist_fields:
                item.value_label = titles.get(key)
        wanted: dict[str, set[str]] = {}
        courses: dict[uuid.UUID, Any] = {}
        if self.course_fields:
            ids = {key for _item, key in self.course_fields}
            for row in session.execute(
                select(Course.id, Course.provider, Course.course_type, Course.starts_on).where(
                    Course.id.in_(ids)
                )
            ):
                courses[row.id] = row
                wanted.setdefault("course_type", set()).add(row.course_type)
        for item, list_name, is_list in self.code_fields:
            values = item.value if is_list else [item.value]
            wanted.setdefault(list_name, set()).update(v for v in values if isinstance(v, str))
        found = code_labels(session, wanted) if wanted else {}
        for item, list_name, is_list in self.code_fields:
            if is_list:
                item.value_label = [found.get((list_name, v)) for v in item.value]
            else:
                item.value_label = found.get((list_name, item.value))
        for item, key in self.course_fields:
            course = courses.get(key)
            if course is not None:
                kind = found.get(("course_type", course.course_type), course.course_type)
                item.value_label = f"{kind}, {course.provider}, ab {course.starts_on:%d.%m.%Y}"


def _section(section: SectionModel) -> ReportSection:
    text = texts.SECTIONS.get(section.table)
    return ReportSection(
        section.table,
        text.title if text else section.table,
        text.purpose if text else "",
        text.legal_basis if text else texts.TASK_BASIS,
    )


def _sections(session: Session, client: Client) -> list[ReportSection]:
    builder = _Builder(session, client)
    models = section_models()
    by_table: dict[str, ReportSection] = {}
    # Records of parent sections by their id, for their children.
    records_by_id: dict[tuple[str, Any], ReportRecord] = {}
    top = []
    for model in models:  # parents come before their children (section_models sorts)
        report_section = _section(model)
        by_table[model.table] = report_section
        for row in builder.rows(model):
            made = builder.make_record(model, row)
            records_by_id[(model.table, getattr(row, "id", None))] = made
            if model.parent is None:
                report_section.records.append(made)
                continue
            parent = records_by_id.get((model.parent, getattr(row, model.parent_key or "")))
            if parent is None:
                report_section.records.append(made)  # its parent is another client's: shown alone
                continue
            child = next((c for c in parent.children if c.key == model.table), None)
            if child is None:
                child = _section(model)
                parent.children.append(child)
            child.records.append(made)
        if model.parent is None or report_section.records:
            top.append(report_section)
    builder.resolve()
    return top


def _field_label(object_type: str | None, name: str) -> str:
    """The German label of a field an event names, from the table of its record type."""
    text = texts.field_text(f"{object_type}s", name) if object_type else None
    if text is None:
        text = texts.field_text("clients", name) or texts.LOG_FIELDS.get(name)
    if text is None:
        text = next((t[name] for t in texts.FIELDS.values() if name in t), None)
    return text.label if text else name


def _log(session: Session, client: Client) -> tuple[list[LogEntry], int]:
    names = (client.case_number, str(client.id))
    condition = AuditEvent.object_id.in_(names)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(condition)) or 0
    # Only what the person may see: never the chain, request ids, details or ids.
    rows = session.execute(
        select(
            AuditEvent.occurred_at,
            AuditEvent.action,
            AuditEvent.outcome,
            AuditEvent.actor_role,
            AuditEvent.actor_user_id,
            AuditEvent.actor_name,
            AuditEvent.fields,
            AuditEvent.object_type,
        )
        .where(condition)
        .order_by(AuditEvent.seq.desc())
        .limit(LOG_LIMIT)
    ).all()
    entries = [
        LogEntry(
            occurred_at=row.occurred_at,
            action=row.action,
            description=texts.action_label(row.action),
            outcome=texts.OUTCOME_LABELS.get(row.outcome, row.outcome),
            role=texts.ROLE_LABELS.get(row.actor_role, row.actor_role) if row.actor_role else None,
            # Staff are named; the system's actor name is a command, not a person.
            staff_name=row.actor_name if row.actor_user_id is not None else None,
            fields=[_field_label(row.object_type, name) for name in json.loads(row.fields or "[]")],
        )
        for row in reversed(rows)
    ]
    return entries, total


def _walk(sections: Iterable[ReportSection]) -> Iterator[ReportSection]:
    for section in sections:
        yield section
        for item in section.records:
            yield from _walk(item.children)


def subject_access_report(case: CaseAccess, client_id: uuid.UUID, fmt: str) -> AccessReport:
    """The access report of ``client_id`` for one of its responsible advisers.

    404 for an unknown file, 410 for an erased one, 403 (the refusal kept in the
    log) for anyone not responsible for it. Writes one ``client.access_report`` event
    naming the sections shown (``fields``), the format and the number of records of
    each (``details``), in the caller's transaction.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}")
    session = case.session
    client = load_client(session, client_id)
    case.require_responsible(
        client,
        "client.access_report",
        "Die Auskunft nach Art. 15 DSGVO erstellen nur die zuständigen Berater*innen der Akte.",
    )
    sections = _sections(session, client)
    advisers = list(
        session.scalars(
            select(User.username)
            .where(User.id.in_(adviser_ids(session, client)))
            .order_by(User.username)
        )
    )
    log, log_total = _log(session, client)
    counts: dict[str, int] = {}
    for section in _walk(sections):
        counts[section.key] = counts.get(section.key, 0) + len(section.records)
    record(
        session,
        case.actor,
        "client.access_report",
        object_type="client",
        object_id=client.case_number,
        fields=[*counts, "client_advisers", "audit_events"],
        details={"format": fmt, **counts, "audit_events": len(log)},
    )
    return AccessReport(
        client_id=client.id,
        case_number=client.case_number,
        generated_at=utcnow(),
        sections=sections,
        advisers=advisers,
        log=log,
        log_total=log_total,
    )
