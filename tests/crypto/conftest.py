"""A small test-only model with encrypted fields, on its own metadata.

The tables live outside ``mgz.models.metadata`` (so the models-vs-migrations check
is not disturbed) and are created inside each test's transaction, or committed into
a fresh database for tests that need real commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import ForeignKey, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from mgz.core.db import NAMING_CONVENTION, database, session_scope
from mgz.crypto.types import blind_index_column, encrypted_column


class ProbeBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {uuid.UUID: Uuid()}


class Person(ProbeBase):
    """Stands in for the client of the next issue: the data subject itself."""

    __tablename__ = "probe_persons"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_number: Mapped[str | None] = mapped_column(String(20))
    first_name: Mapped[str | None] = encrypted_column(str, subject="id")
    last_name: Mapped[str | None] = encrypted_column(str, subject="id")
    birth_date: Mapped[date | None] = encrypted_column(date, subject="id")
    nationalities: Mapped[list[str] | None] = encrypted_column(list, subject="id")
    extra: Mapped[Any] = encrypted_column("json", subject="id")
    name_index: Mapped[str | None] = blind_index_column(
        "last_name", "birth_date", purpose="probe.name_birth"
    )


class Visit(ProbeBase):
    """Stands in for a consultation: encrypted with the person's data key."""

    __tablename__ = "probe_visits"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("probe_persons.id"))
    notes: Mapped[str | None] = encrypted_column(str, subject="person_id")


@pytest.fixture
def pdb(app: Flask, db: Session) -> Iterator[Session]:
    """The test's session, in an app context, with the probe tables created inside its
    transaction."""
    ProbeBase.metadata.create_all(db.connection())
    with app.app_context():
        yield db


class Fresh:
    """A migrated database of its own (real commits) and apps on it."""

    def __init__(self, url: str, make_app: Any) -> None:
        self.url = url
        self._make_app = make_app
        self.app = self.make_app()
        engine = database(self.app).engine
        ProbeBase.metadata.create_all(engine)

    def make_app(self, **overrides: Any) -> Flask:
        """Another app on the same database (e.g. with other keys)."""
        return self._make_app(self.url, **overrides)

    def session(self, app: Flask | None = None) -> Any:
        """A session of ``app`` (default: the first app) for a with-block."""
        return session_scope(app or self.app)


@pytest.fixture
def fresh(backend: Any, make_app: Any) -> Fresh:
    """A fresh migrated database with the probe tables, committed."""
    return Fresh(backend.new_database(), make_app)
