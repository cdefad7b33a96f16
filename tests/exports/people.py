"""A small made-up population that k = 5 releases: six alike, counselled in 2024."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests import factories

ALIKE = {
    "birth_date": "1990-04-12",
    "entered_germany_on": "2018-01-02",
    "moved_in_on": "2018-05-01",
    "municipality": "03459024",
}


def counselled(db: Session, count: int = 6, year: int = 2024) -> list[object]:
    """``count`` clients alike in every quasi-identifier, each with a first talk in ``year``."""
    actor = factories.adviser_actor(factories.make_user(db))
    people = []
    for number in range(count):
        person = factories.make_client(db, actor, **ALIKE)
        held = f"{year}-03-{number + 1:02d}"
        factories.make_consultation(db, actor, person, kind="first", held_on=held)
        people.append(person)
    db.flush()
    return people
