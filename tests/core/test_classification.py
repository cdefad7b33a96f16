"""Every column carries its data class, and the classes keep their storage rules."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mgz import models
from mgz.clients import service as clients
from mgz.clients.models import Client
from mgz.consultations import service as consultations
from mgz.consultations.models import Consultation
from mgz.core.classification import (
    CLASS_INFO,
    DataClass,
    class_of,
    classified,
    fields_of,
    statistical_table,
    unclassified_columns,
)
from mgz.crypto.registry import BLIND_INFO
from mgz.crypto.types import ENCRYPTED_INFO, blind_index_column, encrypted_column


def _columns():
    for table in models.metadata.sorted_tables:
        for column in table.columns:
            yield f"{table.name}.{column.name}", column


def test_every_column_of_every_model_has_a_class():
    assert unclassified_columns(models.metadata) == []


def test_a_model_that_gains_an_unclassified_column_is_caught():
    class Throwaway(DeclarativeBase):
        metadata = MetaData()

    class Record(Throwaway):
        __tablename__ = "throwaway_records"

        id: Mapped[int] = mapped_column(Integer, primary_key=True, info=classified("technical"))
        gender: Mapped[str] = mapped_column(String(12), info=classified("statistical"))
        # The column somebody forgot to classify:
        nickname: Mapped[str] = mapped_column(String(40))

    Table(
        "throwaway_links",
        Throwaway.metadata,
        Column("record_id", Integer, info=classified("pseudonymous")),
        Column("note", String(10), info={CLASS_INFO: "personal"}),  # not a known class
    )

    assert Record.__table__ is not None
    assert unclassified_columns(Throwaway.metadata) == [
        "throwaway_links.note",
        "throwaway_records.nickname",
    ]


def test_an_unknown_class_is_refused_where_it_is_declared():
    with pytest.raises(ValueError):
        classified("personal")
    with pytest.raises(TypeError):
        encrypted_column(str, subject="id", data_class="statistical")


def test_encrypted_and_blind_index_columns_set_their_class():
    class Throwaway(DeclarativeBase):
        metadata = MetaData()

    class Person(Throwaway):
        __tablename__ = "throwaway_people"

        id: Mapped[uuid.UUID] = mapped_column(primary_key=True, info=classified("pseudonymous"))
        last_name: Mapped[str | None] = encrypted_column(str, subject="id")
        name_index: Mapped[str | None] = blind_index_column("last_name", purpose="t.name")

    table = Person.__table__
    assert class_of(table.c.last_name) is DataClass.IDENTIFYING
    assert class_of(table.c.name_index) is DataClass.SEARCH_KEY
    assert unclassified_columns(Throwaway.metadata) == []
    assert fields_of(Person, "identifying") == ("last_name",)


def test_identifying_data_is_always_encrypted_and_statistics_never_are():
    for name, column in _columns():
        data_class = class_of(column)
        is_encrypted = bool(column.info.get(ENCRYPTED_INFO))
        if data_class is DataClass.IDENTIFYING:
            assert is_encrypted, name
            assert isinstance(column.type, LargeBinary), name
        if data_class in (DataClass.STATISTICAL, DataClass.PSEUDONYMOUS, DataClass.SEARCH_KEY):
            assert not is_encrypted, name
            assert not isinstance(column.type, LargeBinary), name
        if is_encrypted:
            assert data_class in (DataClass.IDENTIFYING, DataClass.SECRET), name
        if data_class is DataClass.SEARCH_KEY:
            assert BLIND_INFO in column.info, name
        if BLIND_INFO in column.info:
            assert data_class is DataClass.SEARCH_KEY, name


def test_the_audit_field_lists_come_from_the_classification():
    assert clients.PERSONAL_FIELDS == (
        "first_name",
        "last_name",
        "birth_date",
        "birth_place",
        "nationality",
        "address",
        "phone",
        "email",
        "notes",
    )
    assert fields_of(Client, "identifying") == clients.PERSONAL_FIELDS
    assert set(clients.STATISTICAL_FIELDS) >= {
        "gender",
        "residence_status",
        "entered_germany_on",
        "moved_in_on",
        "moved_in_from_abroad",
        "municipality",
        "receives_sgb2",
        "languages",
        "interpreter_needed",
    }
    assert fields_of(Client, "statistical") == clients.STATISTICAL_FIELDS
    assert consultations.PERSONAL_FIELDS == ("next_steps", "notes")
    assert fields_of(Consultation, "identifying") == consultations.PERSONAL_FIELDS


def test_statistical_table_reads_statistics_without_identifying_columns(app, db):
    stats = statistical_table(models.metadata, "clients")
    names = {c.name for c in stats.columns}
    assert names == set(fields_of(Client, "statistical", "pseudonymous"))
    assert not names & set(clients.PERSONAL_FIELDS)
    with app.app_context():
        client = Client(id=uuid.uuid4(), case_number="T-CLASS-1", version=1)
        client.first_name, client.last_name = "Testa", "Beispielfrau"
        client.birth_year, client.gender, client.citizenship_group = 1990, "female", "eu"
        client.municipality = "03459024"
        db.add(client)
        db.flush()
        rows = db.execute(
            select(stats.c.birth_year, stats.c.gender).where(stats.c.case_number == "T-CLASS-1")
        ).all()
    assert [tuple(row) for row in rows] == [(1990, "female")]
