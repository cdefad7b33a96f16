"""Synthetic client files for demos and benchmarks, and the records other areas add.

Reproducible from a seed; names are built from syllables so no generated person can
be mistaken for a real one. Distributions are rough pictures of the MgZ's caseload
(many Syrian, Ukrainian and Afghan clients, arrival peaks 2015/16 and 2022, most
clients in the larger towns) – good enough for demos and load tests, not for any
statistic.

Areas whose records belong to a client file (consultations) register a maker with
:func:`synthetic_records`; :func:`seed_clients` calls each for every client of a
batch, from the same random generator, so the whole caseload follows from the seed
without this module importing those areas.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients.case_numbers import format_case_number
from mgz.clients.derive import age_on
from mgz.clients.models import CaseNumberCounter, Client, client_advisers
from mgz.core.actor import Actor
from mgz.core.clock import today
from mgz.reference import service as reference

# nationality: (weight, residence statuses with weights)
NATIONALITIES: dict[str, tuple[int, list[tuple[str, int]]]] = {
    "SY": (24, [("AE_25_2_GFK", 5), ("AE_25_2_SUBS", 4), ("NE_26", 1), ("GESTATTUNG", 1)]),
    "UA": (20, [("AE_24", 10)]),
    "AF": (12, [("AE_25_2_GFK", 3), ("AE_25_3", 2), ("GESTATTUNG", 3), ("DULDUNG_60A", 2)]),
    "IQ": (7, [("AE_25_2_SUBS", 3), ("GESTATTUNG", 2), ("DULDUNG_60A", 2), ("AE_25_5", 1)]),
    "TR": (6, [("GESTATTUNG", 3), ("AE_30", 2), ("AE_18A", 1)]),
    "IR": (4, [("AE_25_2_GFK", 2), ("GESTATTUNG", 2)]),
    "ER": (3, [("AE_25_2_GFK", 3), ("AE_36A", 1)]),
    "SO": (2, [("AE_25_2_SUBS", 2), ("DULDUNG_60A", 1)]),
    "RO": (5, [("EU_FREIZUEGIG", 1)]),
    "PL": (4, [("EU_FREIZUEGIG", 1)]),
    "BG": (3, [("EU_FREIZUEGIG", 1)]),
    "RU": (2, [("AE_30", 1), ("GESTATTUNG", 1)]),
    "NG": (1, [("AE_16B", 1), ("DULDUNG_60A", 1)]),
    "IN": (2, [("BLUE_CARD_18G", 2), ("AE_18B", 1)]),
    "XX": (1, [("AE_25_2_GFK", 1)]),
    "XK": (2, [("AE_19C", 2), ("AE_30", 1)]),
    "VN": (2, [("AE_16A", 2), ("AE_18A", 1)]),
}
LANGUAGES = {
    "SY": "ar",
    "UA": "uk",
    "AF": "prs",
    "IQ": "ar",
    "TR": "tr",
    "IR": "fa",
    "ER": "ti",
    "SO": "so",
    "RO": "ro",
    "PL": "pl",
    "BG": "bg",
    "RU": "ru",
    "NG": "en",
    "IN": "hi",
    "XX": "ar",
    "XK": "sq",
    "VN": "vi",
}
MUNICIPALITY_WEIGHTS = {  # roughly by population
    "03459024": 46,
    "03459019": 32,
    "03459014": 31,
    "03459033": 23,
    "03459030": 14,
    "03459008": 14,
    "03459003": 15,
    "03459012": 15,
    "03459013": 13,
    "03459029": 10,
    "03459004": 11,
    "03459015": 10,
    "03459022": 10,
    "03459021": 8,
    "03459020": 7,
    "03459006": 8,
    "03459005": 9,
    "03459034": 7,
    "03459010": 9,
    "03459002": 7,
    "03459017": 7,
    "03459027": 5,
    "03459031": 4,
    "03459001": 4,
    "unknown": 2,
}
ARRIVAL_YEAR_WEIGHTS = {
    2015: 14,
    2016: 12,
    2017: 6,
    2018: 5,
    2019: 5,
    2020: 3,
    2021: 5,
    2022: 18,
    2023: 12,
    2024: 9,
    2025: 7,
    2026: 4,
}
_SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "su",
    "te",
    "no",
    "vi",
    "da",
    "ze",
    "ha",
    "ri",
    "mu",
    "se",
    "ta",
    "ni",
    "ko",
    "li",
    "ba",
    "yo",
]


@dataclass
class SeedReport:
    """What a seeding run created: clients, and records by kind (``consultations``)."""

    clients: int
    records: dict[str, int] = field(default_factory=dict)

    @property
    def consultations(self) -> int:
        """How many consultations were made (0 without their maker)."""
        return self.records.get("consultations", 0)


# A maker gets the generator, a new client (not yet flushed), the adviser's user id
# and today, and yields records of that client for the session.
RecordMaker = Callable[[random.Random, Client, int | None, date], Iterable[object]]
_MAKERS: dict[str, RecordMaker] = {}


def synthetic_records(kind: str) -> Callable[[RecordMaker], RecordMaker]:
    """Register the maker of synthetic ``kind`` records (e.g. ``"consultations"``).

    Makers run in registration order, after the clients of each batch are made.
    """

    def register(maker: RecordMaker) -> RecordMaker:
        existing = _MAKERS.setdefault(kind, maker)
        if existing is not maker:
            raise RuntimeError(f"synthetic {kind} registered twice")
        return maker

    return register


def weighted(rng: random.Random, table: dict[str, int] | list[tuple[str, int]]) -> str:
    """One key of ``table``, drawn with the weights it gives."""
    items = list(table.items()) if isinstance(table, dict) else table
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


def _day_in(rng: random.Random, start: date, end: date) -> date:
    span = max((end - start).days, 0)
    return start + timedelta(days=rng.randint(0, span))


def _client(rng: random.Random, groups: dict[str, dict[str, str | None]], now: date) -> Client:
    nationality = weighted(rng, {k: v[0] for k, v in NATIONALITIES.items()})
    status = weighted(rng, NATIONALITIES[nationality][1])
    arrival_year = int(weighted(rng, {str(y): w for y, w in ARRIVAL_YEAR_WEIGHTS.items()}))
    entered = _day_in(rng, date(arrival_year, 1, 1), min(date(arrival_year, 12, 31), now))
    moved = min(entered + timedelta(days=rng.choice([0, 0, 7, 30, 90, 200])), now)
    age_at_arrival = rng.choices(
        [rng.randint(0, 17), rng.randint(18, 60), rng.randint(61, 80)], weights=[15, 80, 5]
    )[0]
    birth = entered - timedelta(days=age_at_arrival * 365 + rng.randint(1, 364))
    country_group = groups["country"][nationality]
    status_group = groups["residence_status"][status]
    client = Client(id=uuid.UUID(int=rng.getrandbits(128), version=4))
    client.first_name = _name(rng, 2)
    client.last_name = _name(rng, 3)
    client.birth_date = birth
    client.birth_place = _name(rng, 2) + "stadt"
    client.nationality = [nationality]
    client.address = f"{_name(rng, 2)}weg {rng.randint(1, 99)}"
    client.phone = f"+49 5{rng.randint(100, 999)} {rng.randint(10000, 999999)}"
    client.email = None
    client.notes = None
    client.birth_year = birth.year
    client.gender = weighted(
        rng, [("female", 47), ("male", 51), ("diverse", 1), ("unspecified", 1)]
    )
    # The country list groups every state into the client's own citizenship groups.
    client.citizenship_group = country_group or "unknown"
    client.residence_status = status
    client.residence_status_group = status_group
    client.is_protection_seeker = status_group in groups["protection_seeker"]
    client.entered_germany_on = entered
    client.moved_in_on = moved
    client.moved_in_from_abroad = rng.random() < 0.8
    client.age_at_move_in = age_on(birth, moved)
    client.municipality = weighted(rng, MUNICIPALITY_WEIGHTS)
    client.receives_sgb2 = status_group == "protection_recognised" and rng.random() < 0.7
    client.languages = [LANGUAGES[nationality]] + (["en"] if rng.random() < 0.3 else [])
    client.interpreter_needed = rng.random() < 0.5
    return client


def _reserve_case_numbers(session: Session, year: int, count: int) -> int:
    """Reserve ``count`` consecutive numbers; returns the first."""
    bump = (
        update(CaseNumberCounter)
        .where(CaseNumberCounter.year == year)
        .values(last_value=CaseNumberCounter.last_value + count)
        .returning(CaseNumberCounter.last_value)
        .execution_options(synchronize_session=False)
    )
    last = session.execute(bump).scalar_one_or_none()
    if last is None:
        session.add(CaseNumberCounter(year=year, last_value=count))
        session.flush()
        last = count
    return last - count + 1


def seed_clients(
    session: Session,
    actor: Actor,
    *,
    count: int,
    seed: int,
    adviser_id: int | None = None,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Create ``count`` synthetic clients and their records, committing per batch.

    Records come from the registered makers (consultations). Each batch writes one
    ``demo.seed`` audit event with its counts.
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    now = today()
    groups = {
        "country": {c.code: c.group for c in reference.codes(session, "country")},
        "residence_status": {c.code: c.group for c in reference.codes(session, "residence_status")},
        "protection_seeker": {
            c.code: c.code
            for c in reference.codes(session, "residence_status_group")
            if c.attributes.get("protection_seeker")
        },
    }
    created = 0
    made = dict.fromkeys(_MAKERS, 0)
    while created < count:
        size = min(batch_size, count - created)
        first = _reserve_case_numbers(session, now.year, size)
        batch = []
        for offset in range(size):
            client = _client(rng, groups, now)
            client.case_number = format_case_number(now.year, first + offset)
            client.created_by_id = adviser_id
            batch.append(client)
        session.add_all(batch)
        records = {
            kind: [r for client in batch for r in maker(rng, client, adviser_id, now)]
            for kind, maker in _MAKERS.items()
        }
        session.flush()
        for items in records.values():
            session.add_all(items)
        if adviser_id is not None:
            session.execute(
                client_advisers.insert(),
                [{"client_id": c.id, "user_id": adviser_id} for c in batch],
            )
        record(
            session,
            actor,
            "demo.seed",
            object_type="client",
            details={
                "clients": size,
                **{kind: len(items) for kind, items in records.items()},
                "seed": seed,
            },
        )
        session.commit()
        session.expunge_all()
        created += size
        for kind, items in records.items():
            made[kind] += len(items)
        if progress:
            progress(size)
    return SeedReport(created, made)


def seeded_count(session: Session) -> int:
    """How many clients exist (the demo seeds only an empty database)."""
    return len(session.scalars(select(Client.id).limit(1)).all())
