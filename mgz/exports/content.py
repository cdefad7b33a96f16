"""What an export releases, independent of the file format it is written in.

The two kinds of export (aggregate tables, microdata) decide *what* is released;
the writers (CSV, XLSX, JSON) decide only *how* it is laid out on disk. This module
is the seam between them, so that each side can be built and tested on its own and
no writer ever needs to know what an age band or a suppressed cell is.

A table's rows are a callable that opens a fresh stream: the writer pulls one row at
a time straight from a server-side cursor and nothing holds all rows in a list
(issue 19: constant memory). Values are already what people are to read: ``str``
(codes, German labels, the suppression mark), ``int`` (counts, years) or ``None``
(empty); a writer never reformats them beyond its format's rules (decimal comma in
CSV).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["aggregates", "microdata"]
Value = str | int | None
Row = Sequence[Value]


@dataclass(frozen=True)
class Table:
    """One released table: one CSV file, one XLSX sheet, one member of the JSON file.

    ``name`` is an ASCII slug for file names and JSON keys; ``title`` is the German
    sheet title (at most 31 characters, Excel's limit); ``columns`` are the German
    headers; ``description`` (German) goes to the definitions sheet.
    """

    name: str
    title: str
    columns: tuple[str, ...]
    rows: Callable[[], Iterator[Row]]
    description: str = ""


@dataclass(frozen=True)
class Definition:
    """One German term of the definitions sheet and what it means."""

    term: str
    meaning: str


@dataclass(frozen=True)
class Release:
    """Everything one export releases, before it is written.

    ``manifest`` holds the kind-specific entries of the manifest (parameters, the
    generalisation chosen, rows in and suppressed, the smallest class, the checks
    made); the writer adds the definition and software versions, the time, the row
    counts written and the SHA-256 of every file.
    """

    kind: Kind
    tables: tuple[Table, ...]
    definitions: tuple[Definition, ...]
    manifest: Mapping[str, object] = field(default_factory=dict)
