"""Client files: intake with duplicate check, reading under the access policy, search.

Every function takes the session and the acting adviser and writes its audit event in
the caller's transaction. Personal values never reach the audit log, logs or errors:
events name fields; search events carry hit counts and case numbers, never terms.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.auth.models import User
from mgz.clients import access, derive, name_keys
from mgz.clients.access import CaseAccess, OpenedFile
from mgz.clients.case_numbers import allocate_case_number
from mgz.clients.models import Client, client_advisers
from mgz.clients.schemas import ClientCreate, ClientSearch, ClientUpdate, IdentitySearch
from mgz.core.actor import Actor
from mgz.core.classification import DataClass, fields_of
from mgz.core.clock import today
from mgz.core.errors import ConflictError, InvalidInputError
from mgz.core.versions import check_version
from mgz.crypto.blind_index import normalise
from mgz.crypto.types import blind_index_for, decrypt_fields

# Field names for the audit log, from the columns' classification (mgz.core.classification).
PERSONAL_FIELDS = fields_of(Client, DataClass.IDENTIFYING)
LIST_FIELDS = ("first_name", "last_name", "birth_date")
STATISTICAL_FIELDS = fields_of(Client, DataClass.STATISTICAL)
# An identity search decrypts at most this many candidates (see search_identity).
MAX_CANDIDATES = 200


class DuplicateClientError(ConflictError):
    """Same last name and birth date as an existing client."""

    slug = "duplicate-client"
    title = "Mögliche Dublette"


@dataclass(frozen=True)
class SearchHit:
    """One search hit; ``names_shown``: the adviser may open the file without a reason.

    ``match`` (identity search only): ``exact`` or ``similar``.
    """

    client: Client
    names_shown: bool
    match: str | None = None


@dataclass
class SearchPage:
    """One page of search hits."""

    items: list[SearchHit]
    total: int
    page: int
    per_page: int


# --- derivations and checks ---------------------------------------------------------------


def _same_person(client: Client, last_name: str, birth_date: date) -> bool:
    # The blind index is truncated on purpose, so equal index values only make a
    # candidate; the decrypted values decide.
    return client.birth_date == birth_date and normalise(client.last_name or "") == normalise(
        last_name
    )


def find_by_identity(session: Session, last_name: str, birth_date: date) -> list[Client]:
    """Clients with this last name and birth date, found through the blind index."""
    key = blind_index_for(Client, "identity_index", last_name, birth_date)
    candidates = session.scalars(
        select(Client).where(Client.identity_index == key).order_by(Client.case_number)
    ).all()
    return [c for c in candidates if _same_person(c, last_name, birth_date)]


def record_read(
    session: Session, actor: Actor, client: Client, fields: Iterable[str] = PERSONAL_FIELDS
) -> None:
    """Log that a response carries these personal fields of ``client``.

    The fields are decrypted first: a field that fails to decrypt raises here, before
    the event is recorded, so the log never claims a read that did not happen.
    """
    fields = list(fields)
    decrypt_fields(client)
    record(
        session,
        actor,
        "client.read",
        object_type="client",
        object_id=client.case_number,
        fields=list(fields),
    )


# --- operations ---------------------------------------------------------------------------


def create_client(session: Session, actor: Actor, data: ClientCreate) -> OpenedFile:
    """Open a client file; refuse a likely duplicate unless confirmed as another person.

    The creating adviser becomes responsible for the file. Writes ``client.create``
    and, because the response shows the file, ``client.read``. A refused duplicate
    leaves its ``client.duplicate_check`` event (kept by the unit of work).
    """
    values = dict(data)
    confirmed = values.pop("confirmed_different_person", False)
    errors = {**derive.check_codes(session, values), **derive.check_dates(values)}
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)

    duplicates = find_by_identity(session, values["last_name"], values["birth_date"])
    if duplicates and not confirmed:
        numbers = [c.case_number for c in duplicates]
        record(
            session,
            actor,
            "client.duplicate_check",
            object_type="client",
            object_id=numbers[0],
            outcome="denied",
            details={"matches": len(numbers)},
        )
        raise DuplicateClientError(
            "Es gibt bereits eine Akte mit diesem Nachnamen und Geburtsdatum. Prüfen Sie "
            "die genannten Aktenzeichen oder bestätigen Sie mit "
            "confirmed_different_person=true, dass es eine andere Person ist.",
            extra={"duplicates": numbers},
        )

    client = Client(id=uuid.uuid4(), case_number=allocate_case_number(session, today().year))
    for name, value in values.items():
        setattr(client, name, value)
    client.created_by_id = actor.user_id
    derive.derive(session, client)
    session.add(client)
    session.flush()
    advisers = [] if actor.user_id is None else [actor.user_id]
    for user_id in advisers:
        session.execute(client_advisers.insert().values(client_id=client.id, user_id=user_id))
    written = sorted(name for name in values if name in PERSONAL_FIELDS)
    record(
        session,
        actor,
        "client.create",
        object_type="client",
        object_id=client.case_number,
        fields=written + sorted(n for n in values if n in STATISTICAL_FIELDS),
        details={"confirmed_different_person": True} if duplicates else None,
    )
    record_read(session, actor, client)
    return OpenedFile(client, advisers)


def open_client(case: CaseAccess, client_id: uuid.UUID) -> OpenedFile:
    """Read one client file under the access policy; writes ``client.read``."""
    opened = case.open_file(client_id)
    record_read(case.session, case.actor, opened.client)
    return opened


def update_client(case: CaseAccess, client_id: uuid.UUID, data: ClientUpdate) -> OpenedFile:
    """Change fields of a client file if ``data["version"]`` is current.

    A stale version gives 409 and changes nothing. Writes ``client.update`` with the
    changed field names and ``client.read`` for the returned file.
    """
    session = case.session
    values = dict(data)
    expected = values.pop("version")
    opened = case.open_file(client_id)
    client = opened.client
    check_version(client, expected, "Die Akte wurde inzwischen geändert. Laden Sie sie neu.")
    merged = {
        name: getattr(client, name) for name in ("birth_date", "entered_germany_on", "moved_in_on")
    }
    merged.update(values)
    errors = {**derive.check_codes(session, values), **derive.check_dates(merged)}
    if "birth_date" in values and values["birth_date"] is None:
        errors["birth_date"] = ["Darf nicht leer sein."]
    for required in ("first_name", "last_name", "gender", "municipality"):
        if required in values and values[required] is None:
            errors[required] = ["Darf nicht leer sein."]
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
    for name, value in values.items():
        setattr(client, name, value)
    derive.derive(session, client)
    session.flush()  # a concurrent change: StaleDataError, answered 409 (mgz.core.versions)
    record(
        session,
        case.actor,
        "client.update",
        object_type="client",
        object_id=client.case_number,
        fields=sorted(values),
    )
    record_read(session, case.actor, client)
    return opened


def set_advisers(case: CaseAccess, client_id: uuid.UUID, user_ids: list[int]) -> list[int]:
    """Replace the responsible advisers; each must be an active adviser.

    Under the ``assigned`` policy only a responsible adviser may hand the file on.
    Break glass opens a file once; it never lets anyone make the file their own.
    """
    session, actor = case.session, case.actor
    client = access.load_client(session, client_id)
    if case.policy.mode != "team" and not case.is_responsible(client):
        record(
            session,
            actor,
            "client.set_advisers",
            object_type="client",
            object_id=client.case_number,
            outcome="denied",
        )
        raise access.NotResponsibleError(
            "Nur zuständige Berater*innen können die Zuständigkeit ändern."
        )
    errors: dict[str, list[str]] = {}
    for index, user_id in enumerate(user_ids):
        user = session.get(User, user_id)
        if user is None or user.is_disabled or "adviser" not in user.roles:
            errors[f"adviser_ids.{index}"] = ["Keine aktive Beraterin / kein aktiver Berater."]
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
    session.execute(client_advisers.delete().where(client_advisers.c.client_id == client.id))
    for user_id in sorted(set(user_ids)):
        session.execute(client_advisers.insert().values(client_id=client.id, user_id=user_id))
    record(
        session,
        actor,
        "client.set_advisers",
        object_type="client",
        object_id=client.case_number,
        fields=["adviser_ids"],
        details={"count": len(set(user_ids))},
    )
    return sorted(set(user_ids))


def search_clients(case: CaseAccess, params: ClientSearch) -> SearchPage:
    """Case number and statistical filters (GET: no names, see :func:`search_identity`).

    Names are shown only for files the adviser may open without a reason; other hits
    show the case number only, so the adviser can break glass deliberately. One
    ``client.search`` event records the hit count, never the search terms.
    """
    session = case.session
    # Erased (crypto-shredded) files are gone for everyone, search included.
    query = select(Client).where(access.not_erased())
    mode = "filter"
    if "case_number" in params:
        query = query.where(Client.case_number == params["case_number"])
        mode = "case_number"
    for name in (
        "municipality",
        "citizenship_group",
        "residence_status",
        "gender",
        "receives_sgb2",
    ):
        if name in params:
            query = query.where(getattr(Client, name) == params[name])  # type: ignore[literal-required]
    page, per_page = params.get("page", 1), params.get("per_page", 25)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(
        session.scalars(
            query.order_by(Client.case_number).offset((page - 1) * per_page).limit(per_page)
        )
    )
    record(
        session,
        case.actor,
        "client.search",
        object_type="client",
        details={"by": mode, "hits": total, "returned": len(items)},
    )
    return SearchPage(_shown(case, [(client, None) for client in items]), total, page, per_page)


def _shown(case: CaseAccess, found: list[tuple[Client, str | None]]) -> list[SearchHit]:
    """The hits of a page; one read event per file whose names the page shows."""
    hits = [SearchHit(client, case.opens_without_reason(client), match) for client, match in found]
    # One read event per file whose names the page shows keeps "who saw X" answerable.
    for hit in hits:
        if hit.names_shown:
            record_read(case.session, case.actor, hit.client, LIST_FIELDS)
    return hits


# Ranks of a hit: the same spelling (after normalise), the same folded spelling, the
# same Cologne phonetics.
_EXACT, _FOLDED, _PHONETIC = 0, 1, 2


def _rank(client: Client, params: IdentitySearch) -> int | None:
    """How well the decrypted ``client`` matches; None if it does not (an index collision)."""
    if "birth_date" in params:
        if client.birth_date != params["birth_date"]:
            return None
    elif client.birth_date is None or client.birth_date.year != params.get("birth_year"):
        return None
    pairs = [(client.last_name or "", params["last_name"])]
    if "first_name" in params:
        pairs.append((client.first_name or "", params["first_name"]))
    if all(normalise(stored) == normalise(given) for stored, given in pairs):
        return _EXACT
    if not params.get("similar"):
        return None
    if all(name_keys.folded_key(stored) == name_keys.folded_key(given) for stored, given in pairs):
        return _FOLDED
    if all(name_keys.phonetic(stored) == name_keys.phonetic(given) for stored, given in pairs):
        return _PHONETIC
    return None


def _index_conditions(params: IdentitySearch) -> tuple[str, list[ColumnElement[bool]]]:
    """The search mode and the blind-index lookups that find the candidates."""
    last, similar = params["last_name"], params.get("similar", False)
    if "birth_date" in params:
        born = params["birth_date"]
        found = [Client.identity_index == blind_index_for(Client, "identity_index", last, born)]
        if similar:
            key = blind_index_for(Client, "phonetic_birth_index", last, born)
            found.append(Client.phonetic_birth_index == key)
        return "identity", found
    first, year = params["first_name"], params["birth_year"]
    # The folded index finds the exact spellings too; the phonetic one every similar one.
    column = "phonetic_year_index" if similar else "name_year_index"
    key = blind_index_for(Client, column, first, last, year)
    return "name_year", [getattr(Client, column) == key]


def search_identity(case: CaseAccess, params: IdentitySearch) -> SearchPage:
    """Find a person by last name + birth date or by first + last name + birth year.

    The blind indexes find the candidates (mgz.clients.name_keys); only those rows
    are decrypted, and compared again, which drops the collisions of the truncated
    indexes. With ``similar`` the phonetic indexes widen the search; exact spellings
    rank first, then the same folded spelling, then the same Cologne phonetics.
    More than MAX_CANDIDATES candidates is refused (422) before anything is
    decrypted: a search is not a way to decrypt a large part of the table. One
    ``client.search`` event records the mode and the counts, never the terms; one
    ``client.read`` per file whose names the page shows.
    """
    session = case.session
    mode, conditions = _index_conditions(params)
    query = (
        select(Client)
        .where(or_(*conditions), access.not_erased())
        .order_by(Client.case_number)
        .limit(MAX_CANDIDATES + 1)
    )
    candidates = session.scalars(query).all()
    similar = params.get("similar", False)
    if len(candidates) > MAX_CANDIDATES:
        record(
            session,
            case.actor,
            "client.search",
            object_type="client",
            outcome="denied",
            details={"by": mode, "similar": similar, "candidates": len(candidates)},
        )
        raise InvalidInputError(
            errors={"_schema": ["Zu viele mögliche Treffer; bitte genauer suchen."]}
        )
    ranked: list[tuple[int, str, Client]] = []
    for client in candidates:
        rank = _rank(client, params)
        if rank is not None:
            ranked.append((rank, client.case_number, client))
    ranked.sort(key=lambda item: (item[0], item[1]))
    page, per_page = params.get("page", 1), params.get("per_page", 25)
    chosen = ranked[(page - 1) * per_page : page * per_page]
    record(
        session,
        case.actor,
        "client.search",
        object_type="client",
        details={
            "by": mode,
            "similar": similar,
            "candidates": len(candidates),
            "hits": len(ranked),
            "returned": len(chosen),
        },
    )
    found = [(client, "exact" if rank == _EXACT else "similar") for rank, _, client in chosen]
    return SearchPage(_shown(case, found), len(ranked), page, per_page)
