"""Synthetic placements, benefit periods and measures for the synthetic client files.

Registered with :func:`mgz.clients.synthetic.synthetic_records`, so ``seed_clients``
makes them from the same random generator as the clients (reproducible from the
seed; ``mgz demo seed`` and the demo start-up both get them). The mix is a rough
picture of the MgZ's work, not a statistic: about one adult in six placed, most into
SVB jobs, Minijobs and training, some into an Einstiegsqualifizierung or a
Praktikum; the snapshot is the file's status (protection seekers on SGB II among
them, so indicator 10 has data); follow-ups recorded for most placements whose six
months are over, the rest due. Benefits follow the residence status (SGB II for
recognised refugees with SGB II, AsylbLG for open procedures); measures for some.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select

from mgz.clients.models import Client
from mgz.clients.synthetic import synthetic_records, weighted
from mgz.core.clock import today
from mgz.core.db import session_scope
from mgz.core.demo import ORDER_DATA, demo_step
from mgz.placements.models import Benefit, Measure, Placement
from mgz.placements.service.placements import six_months_after

KINDS = [
    ("SVB", 38),
    ("MINIJOB", 18),
    ("AUSBILDUNG", 15),
    ("PRAKTIKUM", 10),
    ("EINSTIEGSQUALIFIZIERUNG", 7),
    ("OEFFENTLICH_GEFOERDERT", 8),
    ("SELBSTAENDIG", 4),
]
HOURS = {
    "SVB": [20, 30, 38.5, 39, 40],
    "MINIJOB": [6, 8, 10, 12],
    "AUSBILDUNG": [39, 40],
    "PRAKTIKUM": [20, 30, 35],
    "EINSTIEGSQUALIFIZIERUNG": [20, 39],
    "OEFFENTLICH_GEFOERDERT": [20, 30, 39],
    "SELBSTAENDIG": [25, 40],
}
# KldB 2010 Berufsbereiche, weighted towards logistics, production, sales, care.
AREAS = [("5", 25), ("2", 22), ("6", 18), ("8", 14), ("3", 9), ("1", 5), ("7", 5), ("4", 2)]
LEVELS = [("1", 52), ("2", 40), ("3", 6), ("4", 2)]
SECTORS = [("H", 20), ("C", 18), ("G", 16), ("I", 14), ("Q", 12), ("N", 10), ("F", 8), (None, 6)]
STILL_EMPLOYED = [("yes", 70), ("no", 20), ("unknown", 10)]
MEASURE_KINDS = [
    ("BERUFSORIENTIERUNG", 30),
    ("AKTIVIERUNG", 25),
    ("WEITERBILDUNG", 18),
    ("ANPASSUNGSQUALIFIZIERUNG", 10),
    ("EINSTIEGSQUALIFIZIERUNG", 7),
    ("SONSTIGE", 10),
]
PROVIDERS = ["Lernwerk Nord", "Bildungsträger Süd", "Berufsförderwerk Beispielstadt", "Kurswerk"]


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _is_adult(client: Client, now: date) -> bool:
    return now.year - client.birth_year >= 18


@synthetic_records("placements")
def placements(
    rng: random.Random, client: Client, adviser_id: int | None, now: date
) -> Iterator[Placement]:
    """Zero to two placements of an adult client, after moving in."""
    if client.moved_in_on is None or not _is_adult(client, now) or rng.random() > 0.17:
        return
    placed = client.moved_in_on + timedelta(days=rng.randint(60, 900))
    for _ in range(1 + (rng.random() < 0.2)):
        if placed > now:
            return
        kind = weighted(rng, KINDS)
        due = six_months_after(placed)
        placement = Placement(
            id=_id(rng),
            client_id=client.id,
            adviser_id=adviser_id,
            placed_on=placed,
            kind=kind,
            kldb_code=weighted(rng, AREAS)
            + f"{rng.randint(1, 4)}{rng.randint(1, 9)}{rng.randint(1, 2)}"
            + weighted(rng, LEVELS),
            weekly_hours=rng.choice(HOURS[kind]),
            employer_sector=rng.choices([s for s, _ in SECTORS], [w for _, w in SECTORS])[0],
            residence_status=client.residence_status,
            residence_status_group=client.residence_status_group,
            receives_sgb2=client.receives_sgb2,
            follow_up_due_on=due,
        )
        checked = due + timedelta(days=rng.randint(0, 40))
        if checked <= now and rng.random() < 0.75:
            placement.follow_up_checked_on = checked
            placement.still_employed = weighted(rng, STILL_EMPLOYED)
        yield placement
        placed = placed + timedelta(days=rng.randint(120, 400))


@synthetic_records("benefits")
def benefits(
    rng: random.Random, client: Client, _adviser_id: int | None, now: date
) -> Iterator[Benefit]:
    """One benefit period by residence status: SGB II, AsylbLG, sometimes SGB XII."""
    if client.moved_in_on is None:
        return
    start = client.moved_in_on + timedelta(days=rng.randint(0, 45))
    if start > now:
        return
    if client.receives_sgb2:
        kind = "SGB_II"
    elif client.residence_status_group == "protection_open":
        kind = "ASYLBLG"
    elif now.year - client.birth_year >= 67 and rng.random() < 0.5:
        kind = "SGB_XII"
    else:
        return
    end = start + timedelta(days=rng.randint(180, 1500)) if rng.random() < 0.3 else None
    yield Benefit(
        id=_id(rng),
        client_id=client.id,
        kind=kind,
        from_on=start,
        to_on=end if end is not None and end <= now else None,
    )


@synthetic_records("measures")
def measures(
    rng: random.Random, client: Client, _adviser_id: int | None, now: date
) -> Iterator[Measure]:
    """A measure for about one adult in eight; most of them ended."""
    if client.moved_in_on is None or not _is_adult(client, now) or rng.random() > 0.12:
        return
    start = client.moved_in_on + timedelta(days=rng.randint(30, 700))
    if start > now:
        return
    end = start + timedelta(days=rng.randint(20, 300))
    measure = Measure(
        id=_id(rng),
        client_id=client.id,
        kind=weighted(rng, MEASURE_KINDS),
        starts_on=start,
        ends_on=end,
    )
    measure.provider = rng.choice(PROVIDERS)
    measure.remarks = None
    if end <= now:
        measure.outcome = weighted(rng, [("completed", 80), ("dropped", 20)])
    yield measure


@demo_step(order=ORDER_DATA + 1)
def demo_summary(app: Flask) -> list[str]:
    """Say how many placements, benefit periods and measures the demo database holds."""
    if not app.config.get("DEMO"):
        return []
    with session_scope(app) as session:
        counts = [
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Placement, Benefit, Measure)
        ]
        due = session.scalar(
            select(func.count())
            .select_from(Placement)
            .where(
                Placement.still_employed.is_(None),
                Placement.follow_up_due_on <= today(),
            )
        )
    return [
        f"Demo-Daten: {counts[0]} Vermittlungen ({due} Nachfragen fällig), "
        f"{counts[1]} Leistungszeiträume, {counts[2]} Maßnahmen."
    ]
