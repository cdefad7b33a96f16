"""Checklist templates (Kompetenzerfassung, goal 41): drafts, publishing, versions.

An admin creates a draft, edits it, and publishes it; a published version never
changes (409), a change starts the next version as a draft. Any role may read
published versions; drafts are the admins' own. The shipped templates are loaded
(and re-versioned when they change) by ``mgz checklists load``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.competences.models import Checklist
from mgz.competences.schemas import ChecklistCreate, ChecklistItemSchema, ChecklistUpdate
from mgz.competences.seed import SEED_TEMPLATES
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.errors import ConflictError, InvalidInputError, NotFoundError, flatten_messages
from mgz.reference import service as reference


class ChecklistPublishedError(ConflictError):
    """A published checklist version cannot be changed."""

    slug = "checklist-published"
    title = "Checkliste veröffentlicht"


class ChecklistDraftExistsError(ConflictError):
    """A template has at most one draft at a time."""

    slug = "checklist-draft-exists"
    title = "Entwurf vorhanden"


# --- checklists --------------------------------------------------------------------------


def checklist_id(checklist: Checklist) -> str:
    """The pseudonymous id of a checklist version for audit details."""
    return f"{checklist.key}.v{checklist.version}"


def _checklist_event(
    session: Session, actor: Actor, action: str, checklist: Checklist, **details: Any
) -> None:
    record(
        session,
        actor,
        action,
        object_type="checklist",
        object_id=checklist_id(checklist),
        details={"items": len(checklist.items), **details},
    )


def _check_items(session: Session, items: list[dict[str, Any]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        if item.get("code_list"):
            try:
                reference.list_info(session, item["code_list"])
            except reference.UnknownListError:
                errors[f"items.{index}.code_list"] = ["Diese Codeliste gibt es nicht."]
    return errors


def raise_if(errors: Mapping[str, list[str]]) -> None:
    """Raise a 422 with these per-field errors, if there are any."""
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=dict(errors))


def _newest(session: Session, key: str) -> Checklist | None:
    return session.scalars(
        select(Checklist).where(Checklist.key == key).order_by(Checklist.version.desc()).limit(1)
    ).first()


def _add_checklist(session: Session, checklist: Checklist) -> None:
    try:
        with session.begin_nested():
            session.add(checklist)
    except IntegrityError:
        raise ConflictError(
            "Gleichzeitig wurde eine andere Version dieser Checkliste angelegt.",
            errors={"key": ["Version bereits vergeben."]},
        ) from None


def list_checklists(
    session: Session, actor: Actor, *, key: str | None = None, status: str | None = None
) -> list[Checklist]:
    """Checklist versions by key and version; drafts only for admins."""
    query = select(Checklist).order_by(Checklist.key, Checklist.version)
    if key is not None:
        query = query.where(Checklist.key == key)
    if status is not None:
        query = query.where(Checklist.status == status)
    if not actor.has_role("admin"):
        query = query.where(Checklist.status == "published")
    return list(session.scalars(query))


def get_checklist(session: Session, actor: Actor, checklist_id: uuid.UUID) -> Checklist:
    """One checklist version; a draft is 404 for everyone but admins."""
    checklist = session.get(Checklist, checklist_id)
    if checklist is None or (checklist.status != "published" and not actor.has_role("admin")):
        raise NotFoundError("Checkliste nicht gefunden.")
    return checklist


def create_checklist(session: Session, actor: Actor, data: ChecklistCreate) -> Checklist:
    """Create version 1 of a new template as a draft; 409 if the key exists."""
    raise_if(_check_items(session, data["items"]))
    if _newest(session, data["key"]) is not None:
        raise ConflictError(
            "Eine Checkliste mit diesem Schlüssel gibt es schon; legen Sie eine neue Version an.",
            errors={"key": ["Schlüssel bereits vergeben."]},
        )
    checklist = Checklist(
        id=uuid.uuid4(),
        key=data["key"],
        version=1,
        status="draft",
        title=data["title"],
        description=data.get("description"),
        items=list(data["items"]),
        created_by_id=actor.user_id,
    )
    _add_checklist(session, checklist)
    _checklist_event(session, actor, "checklist.create", checklist)
    return checklist


def _draft(session: Session, actor: Actor, checklist_id: uuid.UUID) -> Checklist:
    checklist = get_checklist(session, actor, checklist_id)
    if checklist.status == "published":
        raise ChecklistPublishedError(
            "Eine veröffentlichte Version ist unveränderlich. Legen Sie mit "
            "POST /checklists/{id}/versions eine neue Version als Entwurf an."
        )
    return checklist


def update_checklist(
    session: Session, actor: Actor, checklist_id: uuid.UUID, data: ChecklistUpdate
) -> Checklist:
    """Change a draft; a published version gives 409 and stays as it is."""
    checklist = _draft(session, actor, checklist_id)
    if "items" in data:
        raise_if(_check_items(session, data["items"]))
    for name, value in data.items():
        setattr(checklist, name, list(value) if name == "items" else value)
    session.flush()
    _checklist_event(session, actor, "checklist.update", checklist)
    return checklist


def _publish(session: Session, actor: Actor, checklist: Checklist, action: str) -> None:
    checklist.status = "published"
    checklist.published_at = utcnow()
    session.flush()
    _checklist_event(session, actor, action, checklist)


def publish_checklist(session: Session, actor: Actor, checklist_id: uuid.UUID) -> Checklist:
    """Publish a draft: from now on it is immutable and may be answered."""
    checklist = _draft(session, actor, checklist_id)
    _publish(session, actor, checklist, "checklist.publish")
    return checklist


def new_version(session: Session, actor: Actor, checklist_id: uuid.UUID) -> Checklist:
    """Start the next version of a template as a draft copy of this one."""
    source = get_checklist(session, actor, checklist_id)
    newest = _newest(session, source.key)
    assert newest is not None  # noqa: S101 - source itself exists
    if newest.status == "draft":
        raise ChecklistDraftExistsError(
            "Für diese Checkliste gibt es schon einen Entwurf; bearbeiten Sie ihn.",
            extra={"draft_id": str(newest.id)},
        )
    checklist = Checklist(
        id=uuid.uuid4(),
        key=source.key,
        version=newest.version + 1,
        status="draft",
        title=source.title,
        description=source.description,
        items=[dict(item) for item in source.items],
        created_by_id=actor.user_id,
    )
    _add_checklist(session, checklist)
    _checklist_event(session, actor, "checklist.create", checklist, based_on=source.version)
    return checklist


@dataclass(frozen=True)
class SeedResult:
    """What loading one shipped template did."""

    key: str
    version: int
    outcome: str  # "created", "unchanged" or "skipped_draft"


def _content(source: Mapping[str, Any]) -> tuple[Any, ...]:
    return (source["title"], source.get("description"), list(source["items"]))


def load_seed_templates(
    session: Session, actor: Actor, templates: Iterable[Mapping[str, Any]] = SEED_TEMPLATES
) -> list[SeedResult]:
    """Publish each shipped template whose content is new (idempotent).

    An unchanged template is left alone; a changed one becomes the next published
    version (older assessments keep theirs); a key with an open draft is skipped.
    Items are validated like an admin's input. Flushes; the caller commits.
    """
    results: list[SeedResult] = []
    for template in templates:
        try:
            items = ChecklistItemSchema(many=True).load(template["items"])
        except ValidationError as exc:
            raise InvalidInputError(
                "Mitgelieferte Checkliste ungültig.", errors=flatten_messages(exc.messages)
            ) from None
        raise_if(_check_items(session, items))
        newest = _newest(session, template["key"])
        content = (template["title"], template.get("description"), items)
        if newest is not None and newest.status == "draft":
            results.append(SeedResult(template["key"], newest.version, "skipped_draft"))
            continue
        if (
            newest is not None
            and _content(
                {"title": newest.title, "description": newest.description, "items": newest.items}
            )
            == content
        ):
            results.append(SeedResult(template["key"], newest.version, "unchanged"))
            continue
        checklist = Checklist(
            id=uuid.uuid4(),
            key=template["key"],
            version=1 if newest is None else newest.version + 1,
            status="draft",
            title=template["title"],
            description=template.get("description"),
            items=items,
            created_by_id=actor.user_id,
        )
        session.add(checklist)
        session.flush()
        _publish(session, actor, checklist, "checklist.load")
        results.append(SeedResult(checklist.key, checklist.version, "created"))
    return results
