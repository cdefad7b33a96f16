"""Synthetic consultations for the synthetic client files (demos and benchmarks).

Registered with :func:`mgz.clients.synthetic.synthetic_records`, so ``seed_clients``
makes them from the same random generator as the clients: the caseload is
reproducible from the seed. Topics, referrals and channels are rough pictures of
the MgZ's work, not statistics.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

from mgz.clients.models import Client
from mgz.clients.synthetic import synthetic_records, weighted
from mgz.consultations.models import Consultation

TOPICS = [
    "language",
    "work",
    "recognition",
    "education",
    "housing",
    "health",
    "family_reunification",
    "residence_law",
    "benefits",
    "childcare",
    "mobility",
]
REFERRALS = [
    "mbe",
    "jmd",
    "recognition_counselling",
    "employment_agency",
    "job_centre",
    "foreigners_authority",
    "social_welfare_office",
]
CHANNELS = [("in_person", 70), ("phone", 20), ("video", 4), ("outreach", 6)]


@synthetic_records("consultations")
def consultations(
    rng: random.Random, client: Client, adviser_id: int | None, now: date
) -> Iterator[Consultation]:
    """Consultations of one new client: most clients have some, the first after move-in."""
    if client.moved_in_on is None or rng.random() > 0.85:
        return
    held = min(client.moved_in_on + timedelta(days=int(rng.expovariate(1 / 120))), now)
    for index in range(1 + min(int(rng.expovariate(0.6)), 6)):
        if held > now:
            return
        yield Consultation(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            client_id=client.id,
            kind="first" if index == 0 else "follow_up",
            held_on=held,
            adviser_id=adviser_id,
            channel=weighted(rng, CHANNELS),
            duration_minutes=rng.choice([30, 45, 60, 90]),
            language=client.languages[0],
            interpreter_used=client.interpreter_needed,
            topics=rng.sample(TOPICS, rng.randint(1, 3)),
            referrals_out=rng.sample(REFERRALS, rng.randint(0, 2)),
            residence_status_group_then=client.residence_status_group,
            protection_seeker_then=client.is_protection_seeker,
        )
        held = held + timedelta(days=rng.randint(14, 120))
