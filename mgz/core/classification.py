"""The data classification as code: every database column carries its class.

A value lives in exactly one class, and the class decides how it is stored and who
may see it (see ``docs/architecture.md``, "Data classification"):

``identifying``
    Names, birth date and place, address, phone, e-mail, nationality, free text,
    health remarks: personal data of a client. Always encrypted per field
    (``encrypted_column`` sets this class).
``search_key``
    Keyed HMAC blind indexes of identifying values, for exact search
    (``blind_index_column`` sets this class).
``statistical``
    Coarse plaintext attributes (birth year, gender, citizenship group, residence
    status, dates of entry and move-in, municipality, codes of courses, needs and
    placements). Never encrypted: statistics read them without any key.
``pseudonymous``
    References that single out a client without naming them: the client's UUID (and
    every ``client_id``), the case number, the subject of a data key.
``staff``
    Data about members of staff: user names, the actor's name in the audit log, the
    address a login came from, who retired a key. Plaintext, never in statistics.
``technical``
    Row ids of non-person tables and of records, versions, timestamps, code lists, the
    audit hash chain, key ids: data about the system, not about a person.
``secret``
    Password and token hashes, wrapped keys, key check values, TOTP seeds: never
    exported, never logged, never shown.

Columns declare their class with ``info=classified("statistical")`` (or set it through
``encrypted_column`` / ``blind_index_column``); ``unclassified_columns`` is what the
test suite uses to refuse a column without one.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, MetaData, inspect
from sqlalchemy import column as column_clause
from sqlalchemy import table as table_clause
from sqlalchemy.orm import Mapper
from sqlalchemy.sql.expression import TableClause

CLASS_INFO = "class"
# The attribute name services use, when it differs from the mapped attribute
# (an encrypted field's stored bytes sit under ``<name>_ciphertext``).
FIELD_INFO = "field"


class DataClass(StrEnum):
    """The classes a column can belong to."""

    IDENTIFYING = "identifying"
    SEARCH_KEY = "search_key"
    STATISTICAL = "statistical"
    PSEUDONYMOUS = "pseudonymous"
    STAFF = "staff"
    TECHNICAL = "technical"
    SECRET = "secret"  # noqa: S105 - the name of a class, not a password


def classified(data_class: str, **info: Any) -> dict[str, Any]:
    """The ``info`` of a column in ``data_class`` (a fresh dict; unknown classes raise)."""
    return {**info, CLASS_INFO: DataClass(data_class)}


def class_of(column: Column[Any]) -> DataClass | None:
    """The class a column declares, or None."""
    value = column.info.get(CLASS_INFO)
    return DataClass(value) if value is not None else None


def unclassified_columns(metadata: MetaData) -> list[str]:
    """``table.column`` of every column in ``metadata`` without a (known) class."""
    missing = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            value = column.info.get(CLASS_INFO)
            if value not in DataClass.__members__.values():
                missing.append(f"{table.name}.{column.name}")
    return missing


def field_name(mapper: Mapper[Any], column: Column[Any]) -> str:
    """The attribute name services use for ``column`` of ``mapper``'s class."""
    name = column.info.get(FIELD_INFO)
    return name if name is not None else mapper.get_property_by_column(column).key


def fields_of(model: type, *classes: str) -> tuple[str, ...]:
    """Attribute names of ``model``'s columns in ``classes``, in declaration order.

    Audit events name fields by these names; services take their lists from here
    instead of keeping tuples by hand.
    """
    wanted = {DataClass(item) for item in classes}
    mapper: Mapper[Any] = inspect(model)
    return tuple(
        field_name(mapper, column)
        for column in _declared(mapper)
        if column.info.get(CLASS_INFO) in wanted
    )


def _declared(mapper: Mapper[Any]) -> Iterable[Column[Any]]:
    # Encrypted fields add their storage columns after the class body has run, so
    # their position comes from the field order the model declares, not the mapper's.
    columns = [prop.columns[0] for prop in mapper.column_attrs]
    order = {name: index for index, name in enumerate(vars(mapper.class_))}

    def position(column: Column[Any]) -> int:
        return order.get(field_name(mapper, column), len(order))

    return sorted(columns, key=position)


def statistical_table(metadata: MetaData, name: str, *classes: str) -> TableClause:
    """Table ``name`` of ``metadata`` with only its statistical and pseudonymous columns.

    For statistics and exports, which may not import models with encrypted fields
    (import-linter): they query this lightweight table, which has no other columns,
    so a query cannot even name an identifying one. ``classes`` replaces the default
    (``statistical``, ``pseudonymous``), e.g. to add ``technical`` row ids for a join.
    """
    wanted = {
        DataClass(item) for item in classes or (DataClass.STATISTICAL, DataClass.PSEUDONYMOUS)
    }
    wanted -= {DataClass.IDENTIFYING, DataClass.SECRET}
    source = metadata.tables[name]
    columns = [
        column_clause(c.name, c.type) for c in source.columns if c.info.get(CLASS_INFO) in wanted
    ]
    return table_clause(name, *columns)
