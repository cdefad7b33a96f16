"""Synthetic KIM data for the demo: a course catalogue and referrals in every state.

Runs as a demo step after the synthetic client files (``mgz.clients.cli``), on an
empty catalogue only, reproducible from the seed. The catalogue has courses of
every group: BAMF integration and job-language courses in the larger towns, the
county's own offers (Mama lernt Deutsch, Deutsch-Treff, further courses) in
several municipalities, the Land's basic course and a volunteer offer; each offer
once as a finished, a running and a coming course. About half of the clients get
a referral; most are referred, registered, started or completed, some dropped,
no-show or cancelled, a few only planned or waiting for a course type. The
proportions are a rough picture of a KIM board, not statistics. No remarks are
written (demo data holds no free text).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.clients.models import Client
from mgz.clients.synthetic import weighted
from mgz.core.actor import Actor
from mgz.core.clock import today
from mgz.core.demo import ORDER_DATA, demo_step
from mgz.core.unit_of_work import work_scope
from mgz.courses.models import COUNTY_FUNDING, Course, CourseReferral, ReferralStep
from mgz.courses.workflow import (
    CANCELLED,
    COMPLETED,
    DROPPED,
    NO_SHOW,
    PLANNED,
    REFERRED,
    REGISTERED,
    STARTED,
)

DEMO_SEED = 2026
MELLE, GMHUETTE, BRAMSCHE, BELM, QUAKENBRUECK = (
    "03459024",
    "03459019",
    "03459014",
    "03459008",
    "03459030",
)
WALLENHORST, BAD_IBURG, OSTERCAPPELN = "03459033", "03459004", "03459029"

# (course type, funding, provider, municipalities, schedule, target level, units, places)
OFFERS = [
    ("ALLG", "BAMF_IK", "Volkshochschule", [MELLE, GMHUETTE, BRAMSCHE], "FULL_TIME", "B1", 700, 20),
    ("ALPHA", "BAMF_IK", "Sprachschule am Markt", [BRAMSCHE], "PART_TIME", "A2", 1000, 14),
    ("INTENSIV", "BAMF_IK", "Volkshochschule", [GMHUETTE], "FULL_TIME", "B1", 500, 16),
    ("BSK_B2", "BAMF_BSK", "Berufsbildungswerk", [GMHUETTE], "PART_TIME", "B2", 500, 18),
    ("BSK_SPEZ_A2", "BAMF_BSK", "Berufsbildungswerk", [MELLE], "EVENING", "A2", 400, 15),
    ("MAMA_LERNT_DEUTSCH", COUNTY_FUNDING, "Familienbildungsstätte",
     [MELLE, BRAMSCHE, BELM, QUAKENBRUECK], "PART_TIME", "A1", 120, 10),
    ("DEUTSCH_TREFF", COUNTY_FUNDING, "Migrationszentrum",
     [GMHUETTE, MELLE, BAD_IBURG, WALLENHORST], "EVENING", "A1", 40, 12),
    ("LK_SPRACHKURS", COUNTY_FUNDING, "Sprachschule am Markt",
     [BRAMSCHE, OSTERCAPPELN], "PART_TIME", "A2", 200, 12),
    ("LAND_NDS_BASIS", "LAND_NDS", "Volkshochschule",
     [QUAKENBRUECK, BELM], "PART_TIME", "A2", 300, 14),
    ("EHRENAMT_SPRACHE", "EHRENAMT", "Sprachcafé Ehrenamt",
     [WALLENHORST], "WEEKEND", None, None, 8),
]  # fmt: skip
# Which course a referral goes to: finished, running, coming, or a type while none is fixed.
PHASES = [("finished", 35), ("running", 30), ("coming", 22), ("type_only", 13)]
FINISHED_ENDS = [(COMPLETED, 72), (DROPPED, 15), (NO_SHOW, 8), (CANCELLED, 5)]
RUNNING_ENDS = [(STARTED, 82), (DROPPED, 8), (NO_SHOW, 6), (CANCELLED, 4)]
COMING_ENDS = [(REFERRED, 45), (REGISTERED, 40), (PLANNED, 10), (CANCELLED, 5)]
ENTITLEMENTS = [
    ("ANSPRUCH", 40),
    ("ZULASSUNG", 25),
    ("VERPFLICHTUNG_JOBCENTER", 20),
    ("VERPFLICHTUNG_ABH", 10),
    ("VERPFLICHTUNG_ASYLBLG", 5),
]
DROP_REASONS = [
    ("WORK", 25),
    ("CHILDCARE", 15),
    ("MOBILITY", 10),
    ("HEALTH", 15),
    ("MOVED_AWAY", 10),
    ("OVERCHALLENGED", 10),
    ("PREGNANCY", 5),
    ("OTHER", 5),
    ("UNKNOWN", 5),
]
DTZ = [("B1", 55), ("A2", 35), ("unter_A2", 10)]


@dataclass
class KimSeed:
    """What :func:`seed_kim` made."""

    courses: int = 0
    referrals: dict[str, int] = field(default_factory=dict)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _courses(rng: random.Random, now: date) -> dict[str, list[Course]]:
    """Each offer as a finished, a running and a coming course."""
    phases: dict[str, list[Course]] = {"finished": [], "running": [], "coming": []}
    for course_type, funding, provider, places, schedule, level, units, capacity in OFFERS:
        weeks = max(6, (units or 60) // 20)
        for municipality in places:
            starts = {
                "finished": now - timedelta(weeks=weeks + rng.randint(6, 20)),
                "running": now - timedelta(days=rng.randint(14, 7 * weeks - 7)),
                "coming": now + timedelta(days=rng.randint(14, 60)),
            }
            for phase, starts_on in starts.items():
                course = Course(
                    id=_uuid(rng),
                    course_type=course_type,
                    funding=funding,
                    provider=f"{provider} {municipality[-3:]}",
                    municipality=municipality,
                    address=None,
                    starts_on=starts_on,
                    ends_on=starts_on + timedelta(weeks=weeks),
                    schedule=schedule,
                    target_level=level,
                    teaching_units=units,
                    capacity=capacity,
                    childcare_offered=course_type == "MAMA_LERNT_DEUTSCH" or rng.random() < 0.2,
                )
                phases[phase].append(course)
    # The coming Deutsch-Treff in Georgsmarienhütte (a small room, much asked for)
    # has a waiting list in every demo.
    busy = next(
        c
        for c in phases["coming"]
        if (c.course_type, c.municipality) == ("DEUTSCH_TREFF", GMHUETTE)
    )
    busy.capacity = 3
    phases["busy"] = [busy]
    return phases


def _steps(
    rng: random.Random, phase: str, course: Course | None, end: str, now: date
) -> list[tuple[str, date]]:
    """The dated steps of one referral, in order, none after today."""
    if course is None:  # waiting for a course type: planned, or referred to the type
        referred = now - timedelta(days=rng.randint(3, 90))
        planned = referred - timedelta(days=rng.randint(0, 14))
        steps = [(PLANNED, planned)]
        return [*steps, (REFERRED, referred)] if rng.random() < 0.5 else steps
    start = course.starts_on
    if phase == "coming":
        referred = now - timedelta(days=rng.randint(5, 60))
        registered = min(referred + timedelta(days=rng.randint(1, 21)), now)
        path = {
            PLANNED: [],
            REFERRED: [(REFERRED, referred)],
            REGISTERED: [(REFERRED, referred), (REGISTERED, registered)],
            CANCELLED: [(REFERRED, referred), (CANCELLED, registered)],
        }[end]
        return [(PLANNED, referred - timedelta(days=rng.randint(0, 10))), *path]
    referred = start - timedelta(days=rng.randint(14, 120))
    registered = start - timedelta(days=rng.randint(1, 13))
    steps = [(PLANNED, referred - timedelta(days=rng.randint(0, 10))), (REFERRED, referred)]
    if end == CANCELLED:
        return [*steps, (CANCELLED, registered)]
    steps.append((REGISTERED, registered))
    if end == NO_SHOW:
        return [*steps, (NO_SHOW, min(start + timedelta(days=rng.randint(0, 7)), now))]
    steps.append((STARTED, start))
    last = min(course.ends_on or now, now)
    if end == DROPPED:
        return [*steps, (DROPPED, start + timedelta(days=rng.randint(0, (last - start).days)))]
    if end == COMPLETED:
        return [*steps, (COMPLETED, last)]
    return steps


def _referral(
    rng: random.Random, client: Client, course: Course | None, course_type: str,
    steps: list[tuple[str, date]], adviser_id: int | None,
) -> CourseReferral:  # fmt: skip
    referral = CourseReferral(
        id=_uuid(rng),
        client_id=client.id,
        course_id=course.id if course else None,
        course_type=course_type,
        adviser_id=adviser_id,
        waitlisted=False,
    )
    dates = dict(steps)
    referral.status, referral.status_on = steps[-1]
    referral.referred_on = dates.get(REFERRED)
    referral.started_on = dates.get(STARTED)
    if referral.started_on and referral.referred_on:
        referral.waiting_days = (referral.started_on - referral.referred_on).days
    if course_type in {"ALLG", "ALPHA", "INTENSIV"}:
        referral.entitlement = weighted(rng, ENTITLEMENTS)
        referral.entitlement_notice_on = steps[0][1] - timedelta(days=rng.randint(7, 60))
    women = client.gender == "female"
    referral.childcare_needed = rng.random() < (0.35 if women else 0.1)
    referral.childcare_solved = referral.childcare_needed and rng.random() < 0.6
    referral.mobility_barrier = rng.random() < 0.15
    referral.mobility_solved = referral.mobility_barrier and rng.random() < 0.5
    if referral.status == COMPLETED and course_type in {"ALLG", "ALPHA", "INTENSIV"}:
        referral.dtz_result = weighted(rng, DTZ)
        referral.lid_passed = rng.random() < 0.8
    if referral.status == DROPPED:
        referral.drop_reason = weighted(rng, DROP_REASONS)
    referral.steps = [
        ReferralStep(
            client_id=client.id,
            status=status,
            status_on=on,
            course_id=referral.course_id,
            course_type=course_type,
            recorded_by_id=adviser_id,
        )
        for status, on in steps
    ]
    return referral


def seed_kim(
    session: Session, actor: Actor, *, seed: int = DEMO_SEED, share: float = 0.5
) -> KimSeed:
    """Courses and referrals for ``share`` of the clients that moved in; flushes.

    Places are respected: a finished or running course takes no more referrals
    than it has places; a full coming course puts referrals on its waiting list.
    Writes one ``demo.seed`` audit event with the counts.
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    now = today()
    phases = _courses(rng, now)
    session.add_all([c for name in ("finished", "running", "coming") for c in phases[name]])
    session.flush()
    held: dict[uuid.UUID, int] = {}
    made = KimSeed(courses=sum(len(phases[name]) for name in ("finished", "running", "coming")))
    clients = session.scalars(
        select(Client).where(Client.moved_in_on.is_not(None)).order_by(Client.case_number)
    )
    referrals = []
    for client in clients:
        if rng.random() > share:
            continue
        phase = weighted(rng, PHASES)
        course = None
        if phase != "type_only":
            offers = [
                c
                for c in phases[phase]
                if c.course_type != "MAMA_LERNT_DEUTSCH" or client.gender == "female"
            ]
            course = rng.choice(
                phases["busy"] if phase == "coming" and rng.random() < 0.6 else offers
            )
        ends = {"finished": FINISHED_ENDS, "running": RUNNING_ENDS, "coming": COMING_ENDS}
        end = weighted(rng, ends[phase]) if course else PLANNED
        course_type = (
            course.course_type if course else rng.choice(["ALLG", "BSK_B2", "DEUTSCH_TREFF"])
        )
        steps = _steps(rng, phase, course, end, now)
        if client.moved_in_on is None or steps[0][1] < client.moved_in_on:
            continue  # referred before the move-in: not this client
        holds = course is not None and steps[-1][0] in (REFERRED, REGISTERED, STARTED, COMPLETED)
        waitlisted = False
        if holds and course is not None:
            if held.get(course.id, 0) >= course.capacity:
                if phase != "coming":
                    continue  # a full finished or running course took nobody more
                # A full coming course: referred, and on its waiting list.
                steps = steps[: [name for name, _ in steps].index(REFERRED) + 1]
                waitlisted = True
            else:
                held[course.id] = held.get(course.id, 0) + 1
        referral = _referral(rng, client, course, course_type, steps, client.created_by_id)
        referral.waitlisted = waitlisted
        referrals.append(referral)
        made.referrals[referral.status] = made.referrals.get(referral.status, 0) + 1
    session.add_all(referrals)
    session.flush()
    record(
        session,
        actor,
        "demo.seed",
        object_type="course_referral",
        details={"courses": made.courses, "referrals": len(referrals), "seed": seed},
    )
    return made


@demo_step(order=ORDER_DATA + 5)
def demo_kim(app: Flask) -> list[str]:
    """The KIM board of the demo: courses and referrals, once, on an empty catalogue."""
    if not app.config.get("DEMO"):
        return []
    with work_scope(app) as session:
        if session.scalar(select(func.count()).select_from(Course)):
            return []
        made = seed_kim(session, Actor.system("demo seed"))
    total = sum(made.referrals.values())
    return [f"Demo-Daten: {made.courses} Kurse, {total} Kursvermittlungen (Seed {DEMO_SEED})."]
