"""Walking the data-protection log's events in chain order, fast and in constant memory.

The events are read as plain tuples from a server-side cursor (PostgreSQL) or the
driver's cursor (SQLite), in chain order and in batches, so memory stays constant in
the number of events (it grows with the number of checkpoints and anchors only).
Each event is hashed from its stored columns without building objects: a fast path
that produces exactly the canonical JSON of ``chain.event_content`` when the stored
columns are in canonical form (they always are when written by mgz). Any event that
the fast path does not confirm is checked again by the exact, slow path, which alone
decides that an event is broken; so the fast path can only save time, never accept
what the slow path would refuse. ``verification`` adds the checkpoints and anchors
(as ``Marks``: hashes the chain must have at given positions) and reports.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from mgz.audit import chain
from mgz.audit.models import AuditEvent
from mgz.audit.service import content_of


class BrokenError(Exception):
    """Carries the first failure out of the checks."""

    def __init__(self, **failure: Any) -> None:
        super().__init__(failure.get("code"))
        self.failure = failure


# Each event's own content (chain.event_content without seq and prev_hash) as the
# canonical JSON text that chain.content_digest hashes, built by the database from the
# stored columns: json_quote / to_json quote strings exactly as json.dumps does
# (ensure_ascii=False), NULL becomes null, ``fields`` and ``details`` are stored as
# canonical JSON already and are embedded as they are (checked below). A column of an
# unexpected type gives NULL, i.e. the slow path. The bytes are hashed here, not there.
_SQLITE_SELECT = (
    "SELECT seq, CASE WHEN typeof(occurred_at) = 'text' AND length(occurred_at) = 26 "
    "AND substr(occurred_at, 11, 1) = ' ' AND typeof(action) = 'text' "
    "AND typeof(outcome) = 'text' AND typeof(fields) = 'text' "
    "AND typeof(actor_user_id) IN ('integer', 'null') AND typeof(actor_name) IN ('text', 'null') "
    "AND typeof(actor_role) IN ('text', 'null') AND typeof(object_type) IN ('text', 'null') "
    "AND typeof(object_id) IN ('text', 'null') AND typeof(request_id) IN ('text', 'null') "
    "AND typeof(details) IN ('text', 'null') THEN "
    "'{\"action\":' || json_quote(action) || ',\"actor_name\":' || json_quote(actor_name) "
    "|| ',\"actor_role\":' || json_quote(actor_role) "
    "|| ',\"actor_user_id\":' || json_quote(actor_user_id) "
    "|| ',\"details\":' || coalesce(details, 'null') || ',\"fields\":' || fields "
    "|| ',\"object_id\":' || json_quote(object_id) "
    "|| ',\"object_type\":' || json_quote(object_type) "
    "|| ',\"occurred_at\":\"' || substr(occurred_at, 1, 10) || 'T' || substr(occurred_at, 12) "
    '|| \'Z","outcome":\' || json_quote(outcome) '
    "|| ',\"request_id\":' || json_quote(request_id) || '}' END, "
    "fields, details, prev_hash, hash FROM audit_events"
)
_PG_SELECT = (
    "SELECT seq, '{\"action\":' || to_json(action)::text "
    "|| ',\"actor_name\":' || coalesce(to_json(actor_name)::text, 'null') "
    "|| ',\"actor_role\":' || coalesce(to_json(actor_role)::text, 'null') "
    "|| ',\"actor_user_id\":' || coalesce(actor_user_id::text, 'null') "
    "|| ',\"details\":' || coalesce(details, 'null') || ',\"fields\":' || fields "
    "|| ',\"object_id\":' || coalesce(to_json(object_id)::text, 'null') "
    "|| ',\"object_type\":' || coalesce(to_json(object_type)::text, 'null') "
    '|| \',"occurred_at":"\' '
    "|| to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
    '|| \'","outcome":\' || to_json(outcome)::text '
    "|| ',\"request_id\":' || coalesce(to_json(request_id)::text, 'null') || '}', "
    "fields, details, prev_hash, hash FROM audit_events"
)
BATCH = 10_000


def _event_rows(
    dbapi: Any, dialect: str, span: tuple[int, int] | None = None
) -> Iterator[tuple[Any, ...]]:
    """Events as tuples, in chain order, in batches (constant memory); ``span``: seq range."""
    postgresql = dialect == "postgresql"
    sql = _PG_SELECT if postgresql else _SQLITE_SELECT
    if span is not None:
        sql += " WHERE seq BETWEEN %s AND %s" if postgresql else " WHERE seq BETWEEN ? AND ?"
    sql += " ORDER BY seq"
    if postgresql:
        cursor = dbapi.cursor(name="mgz_audit_verify")  # server-side: batches of BATCH
        cursor.itersize = BATCH
    else:
        cursor = dbapi.cursor()
    try:
        cursor.execute(sql, span or ())
        while batch := cursor.fetchmany(BATCH):
            yield from batch
    finally:
        cursor.close()


# What mgz writes into ``fields`` and ``details``: canonical JSON of names, codes,
# counts and flags (see service.record). Only text of this shape is embedded as it
# is; anything else goes to the slow path.
_NAME = r'"[a-z][a-z0-9_.]{0,63}"'
_VALUE = r'(?:-?(?:0|[1-9][0-9]{0,30})|true|false|"[A-Za-z0-9_.:+-]{0,80}")'
_FIELDS_TEXT = re.compile(rf"\[(?:{_NAME}(?:,{_NAME})*)?\]")
_DETAILS_TEXT = re.compile(rf"\{{{_NAME}:{_VALUE}(?:,{_NAME}:{_VALUE})*\}}")
_CACHE_LIMIT = 4096


def _check_slowly(
    session: Session, seq: int, expected_seq: int, prev_hash: str, before_prev: str | None
) -> dict[str, Any] | None:
    """The exact check of one event that the fast path did not confirm."""
    if seq != expected_seq:
        return {"seq": expected_seq, "code": "missing"}
    stored = session.get(AuditEvent, seq)
    if stored is None:  # pragma: no cover - it was just read
        return {"seq": expected_seq, "code": "missing"}
    try:
        intact = chain.event_hash(content_of(stored)) == stored.hash
    except (TypeError, ValueError, UnicodeError):
        intact = False
    if not intact:
        if _was_shifted_by_insert(stored, before_prev):
            # This event is intact one position further down, and it links to the
            # event before the previous one: the previous one was inserted.
            return {"seq": seq - 1, "code": "inserted", "uncount": 1}
        return {"seq": seq, "code": "content_altered"}
    if stored.prev_hash != prev_hash:
        return {"seq": seq, "code": "chain_broken"}
    return None


def _was_shifted_by_insert(stored: AuditEvent, before_prev: str | None) -> bool:
    if before_prev is None or stored.prev_hash != before_prev:
        return False
    content = content_of(stored)
    content["seq"] = stored.seq - 1
    try:
        return chain.event_hash(content) == stored.hash
    except (TypeError, ValueError, UnicodeError):
        return False


Marks = dict[int, list[tuple[str, str, int | None, str | None]]]


@dataclass
class _Scan:
    """Where a fast scan stands: the next position, the last hashes, what it confirmed."""

    expected: int
    prev_hash: str
    before_prev: str | None = None
    count: int = 0
    stuck: tuple[Any, ...] | None = None  # the row the fast path could not confirm


def _fast_scan(rows: Iterator[tuple[Any, ...]], scan: _Scan, marks: Marks) -> _Scan:
    """Confirm events while the fast path can; stop at the first one it cannot.

    An event is confirmed when its position is the next one, its own content hashes
    (SHA-256 of the database-built canonical JSON) and links to the previous event
    to its stored hash, its stored prev_hash is that previous hash, and every
    checkpoint or anchor at its position names its hash.
    """
    sha256 = hashlib.sha256
    fields_ok: dict[str, bool] = {}
    details_ok: dict[str, bool] = {}
    expected, prev_hash, before_prev, count = (
        scan.expected, scan.prev_hash, scan.before_prev, scan.count,
    )  # fmt: skip
    stuck = None
    for row in rows:
        seq, own, flds, dtl, prev, h = row
        good = seq == expected and own is not None and prev == prev_hash
        if good:
            good = fields_ok.get(flds)
            if good is None:
                if len(fields_ok) > _CACHE_LIMIT:
                    fields_ok.clear()
                good = fields_ok[flds] = _FIELDS_TEXT.fullmatch(flds) is not None
        if good and dtl is not None:
            good = details_ok.get(dtl)
            if good is None:
                if len(details_ok) > _CACHE_LIMIT:
                    details_ok.clear()
                good = details_ok[dtl] = _DETAILS_TEXT.fullmatch(dtl) is not None
        if good:
            digest = sha256(own.encode()).hexdigest()
            good = sha256(f"{prev_hash}:{seq}:{digest}".encode()).hexdigest() == h
        if good and seq in marks:
            good = all(head_hash == h for head_hash, *_ in marks[seq])
        if not good:
            stuck = row
            break
        count += 1
        before_prev, prev_hash = prev_hash, h
        expected += 1
    return _Scan(expected, prev_hash, before_prev, count, stuck)


def walk(session: Session, marks: Marks) -> int:
    """Check every event in order; return the count, or raise at the first break."""
    dbapi = session.connection().connection.driver_connection
    rows = _event_rows(dbapi, session.get_bind().dialect.name)
    scan = _Scan(1, chain.GENESIS_HASH)
    try:
        while True:
            scan = _fast_scan(rows, scan, marks)
            if scan.stuck is None:
                return scan.count
            seq, h = scan.stuck[0], scan.stuck[-1]
            failure = _check_slowly(session, seq, scan.expected, scan.prev_hash, scan.before_prev)
            if failure is not None:
                uncount = failure.pop("uncount", 0)
                raise BrokenError(events=scan.count - uncount, **failure)
            for head_hash, kind, ident, where in marks.get(seq, []):
                if head_hash != h:
                    code = "checkpoint_mismatch" if kind == "checkpoint" else "anchor_mismatch"
                    raise BrokenError(
                        events=scan.count, seq=seq, code=code, checkpoint_id=ident, anchor=where
                    )
            # Exact, only not in the form the fast path takes: go on from here.
            scan = _Scan(seq + 1, h, scan.prev_hash, scan.count + 1)
    finally:
        rows.close()


# --- the same, in parallel: each worker confirms a range of positions ----------------


def _confirm_span(url: str, span: tuple[int, int], marks: Marks) -> tuple[bool, str | None, str]:
    """(all confirmed, stored prev_hash of the first event, hash of the last) of a range."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        connection = engine.raw_connection()
        try:
            rows = _event_rows(connection.driver_connection, engine.dialect.name, span)
            first = next(rows, None)
            if first is None or first[0] != span[0]:
                return False, None, ""
            scan = _fast_scan(itertools.chain([first], rows), _Scan(span[0], str(first[4])), marks)
            rows.close()
            return (
                scan.stuck is None and scan.count == span[1] - span[0] + 1,
                str(first[4]),
                scan.prev_hash,
            )
        finally:
            connection.close()
    finally:
        engine.dispose()


_MIN_EVENTS_PER_WORKER = 10_000  # below this, starting processes costs more than it saves


def walk_in_parallel(session: Session, marks: Marks, workers: int) -> int | None:
    """Confirm the whole chain with ``workers`` processes; None: let ``walk`` decide.

    Every event's check needs only its own row and its predecessor's stored hash, so
    ranges of positions are confirmed independently and their seams compared here.
    The workers read committed data through connections of their own; anything they
    cannot confirm (a break, a seam that does not fit, a concurrent change) is left
    to the sequential walk, which alone names failures.
    """
    bind = session.get_bind()
    last = session.scalar(select(func.max(AuditEvent.seq))) or 0
    if not isinstance(bind, Engine) or last < workers * _MIN_EVENTS_PER_WORKER:
        return None
    size = -(-last // (workers * 4))
    spans = [(lo, min(lo + size - 1, last)) for lo in range(1, last + 1, size)]
    url = bind.url.render_as_string(hide_password=False)
    parts = [{s: m for s, m in marks.items() if lo <= s <= hi} for lo, hi in spans]
    context = multiprocessing.get_context("fork")  # no re-import; children never use our pool
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = list(pool.map(_confirm_span, [url] * len(spans), spans, parts))
    seam = chain.GENESIS_HASH
    for confirmed, first_prev, last_hash in results:
        if not confirmed or first_prev != seam:
            return None
        seam = last_hash
    # Events appended since ``last`` was read are for the next run, as with the
    # sequential walk's snapshot.
    return last
