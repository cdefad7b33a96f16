"""The microdata export on a hand-built population with known answers, both databases."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from mgz.competences.models import Qualification
from mgz.core.db import database, session_scope
from mgz.exports.anonymity import NotAnonymisableError
from mgz.exports.content import Release
from mgz.exports.microdata import build_microdata
from mgz.placements.models import Measure
from mgz.profiling.models import Profiling
from tests import factories
from tests.conftest import build_app

# Release columns by name, as the tests read them.
ID, AGE, GENDER, CITIZENSHIP, RESIDENCE, MUNICIPALITY, MOVED = range(7)
FIRST, ISCED, RECOGNITION, MEASURES, STARTED, COMPLETED, PLACEMENTS, BENEFITS = range(7, 15)
MELLE, BRAMSCHE = "03459024", "03459014"


def _qualification(db, client, isced, status):
    db.add(
        Qualification(
            id=uuid.uuid4(),
            client_id=client.id,
            kind="vocational",
            isced_level=isced,
            documents_available="yes",
            recognition_status=status,
        )
    )


def _profiling(db, client, isced):
    profiling = Profiling(
        id=uuid.uuid4(),
        client_id=client.id,
        sequence=1,
        profiled_on=date(2024, 3, 2),
        schooling_isced_level=isced,
        need_qualification="some",
        need_capability="none",
        need_motivation="none",
        need_framework_conditions="none",
        suggested_profile_type="M1",
        profile_type="M1",
        profile_type_group="market",
        integration_goal="work",
    )
    db.add(profiling)


@pytest.fixture(scope="module")
def population(backend, tmp_path_factory):
    """Two classes of two persons each (k = 2), one person outside the period.

    Class A (women born 1990, Melle, moved in 2018, first talk 2024): one receives
    SGB II, the other SGB II and AsylbLG, so the benefit kinds are 2-diverse. Class B
    (men born 1985, Bramsche, moved in 2022): neither receives a benefit, one value
    only: it fails l = 2 and its benefit kinds are suppressed.
    """
    app = build_app(backend.new_database(), tmp_path_factory.mktemp("microdata"))
    people = {}
    with app.app_context(), session_scope(app) as db:
        actor = factories.adviser_actor(factories.make_user(db))
        woman = {
            "birth_date": "1990-04-12",
            "entered_germany_on": "2018-01-02",
            "moved_in_on": "2018-05-01",
            "municipality": MELLE,
        }
        man = {
            "birth_date": "1985-07-01",
            "gender": "male",
            "nationality": ["UA"],
            "residence_status": "AE_24",
            "moved_in_on": "2022-06-01",
            "entered_germany_on": "2022-05-01",
            "municipality": BRAMSCHE,
        }
        people["a1"] = factories.make_client(db, actor, first_name="Kanarienvogel", **woman)
        people["a2"] = factories.make_client(db, actor, **woman)
        people["b1"] = factories.make_client(db, actor, **man)
        people["b2"] = factories.make_client(db, actor, **man)
        people["out"] = factories.make_client(db, actor, **woman)
        for name, held in (("a1", "2024-03-01"), ("a2", "2024-06-01")):
            factories.make_consultation(db, actor, people[name], kind="first", held_on=held)
        # a1 also had a talk before the period: the age counts from the first in it.
        factories.make_consultation(db, actor, people["a1"], held_on="2023-11-01")
        for name in ("b1", "b2"):
            factories.make_consultation(db, actor, people[name], kind="first", held_on="2024-02-01")
        factories.make_consultation(db, actor, people["out"], kind="first", held_on="2022-01-10")
        factories.make_benefit(db, actor, people["a1"], kind="SGB_II", from_on="2023-01-01")
        factories.make_benefit(db, actor, people["a2"], kind="SGB_II", from_on="2024-01-01")
        factories.make_benefit(
            db, actor, people["a2"], kind="ASYLBLG", from_on="2019-01-01", to_on="2024-01-31"
        )
        # Ended before the period: not one of b1's benefit kinds.
        factories.make_benefit(
            db, actor, people["b1"], kind="SGB_XII", from_on="2022-07-01", to_on="2023-06-30"
        )
        factories.make_placement(db, actor, people["a1"], placed_on="2024-05-02", kind="SVB")
        factories.make_placement(db, actor, people["a1"], placed_on="2024-09-02", kind="MINIJOB")
        factories.make_placement(db, actor, people["a2"], placed_on="2023-05-02", kind="SVB")
        _qualification(db, people["a1"], "6", "not_equivalent")
        _qualification(db, people["a1"], "4", "fully_equivalent")
        _profiling(db, people["a1"], "3")
        _profiling(db, people["a2"], "2")
        _qualification(db, people["b1"], None, "in_process")
        db.add(
            Measure(id=uuid.uuid4(), client_id=people["a1"].id, kind="WEITERBILDUNG",
                    starts_on=date(2024, 4, 1))
        )  # fmt: skip
        db.add(
            Measure(id=uuid.uuid4(), client_id=people["a1"].id, kind="BERUFSORIENTIERUNG",
                    starts_on=date(2024, 2, 1))
        )  # fmt: skip
        course = factories.make_course(db, actor, starts_on="2024-01-01")
        factories.make_referral(db, actor, people["b1"], course, referred_on="2024-01-10")
        db.flush()
        canaries = {
            "Kanarienvogel",
            "1990-04-12",
            "1985-07-01",
            *(str(p.id) for p in people.values()),
            *(p.id.hex for p in people.values()),
            *(p.case_number for p in people.values()),
            *(p.last_name for p in people.values()),
        }
        db.commit()
    yield app, canaries
    database(app).engine.dispose()


def _export(app, **parameters) -> tuple[Release, list[tuple]]:
    with app.app_context(), session_scope(app) as db:
        release = build_microdata(db, first_year=2024, last_year=2024, **parameters)
        return release, [tuple(row) for row in release.tables[0].rows()]


def test_values_of_a_hand_built_population(population):
    app, _canaries = population
    release, rows = _export(app, k=2, max_suppression=0.0)
    assert release.kind == "microdata"
    assert [t.name for t in release.tables] == ["mikrodaten"]
    assert release.tables[0].columns[:2] == ("Zeilen-ID", "Alter")
    assert len(rows) == 4
    women = [row for row in rows if row[GENDER] == "female"]
    b1, b2 = (row for row in rows if row[GENDER] == "male")
    # a1 is the one with placements in the period.
    a1, a2 = sorted(women, key=lambda r: r[PLACEMENTS] == "keine")
    # Finest levels everywhere: every class already has two persons.
    assert a1[1:7] == ("34", "female", "third_country", "protection_recognised", MELLE, "2018")
    assert b1[1:7] == ("39", "male", "third_country", "protection_recognised", BRAMSCHE, "2022")
    assert a1[FIRST] == 2024 and b1[FIRST] == 2024
    assert (a1[ISCED], a1[RECOGNITION]) == ("6", "fully_equivalent")
    assert (a2[ISCED], a2[RECOGNITION]) == ("2", None)
    assert a1[MEASURES] == "BERUFSORIENTIERUNG|WEITERBILDUNG"
    assert a1[PLACEMENTS] == "MINIJOB|SVB"
    assert a2[PLACEMENTS] == "keine" and a2[MEASURES] == "keine"
    assert {a1[BENEFITS], a2[BENEFITS]} == {"SGB_II", "ASYLBLG|SGB_II"}
    # Class B has one benefit value only ("keine"): suppressed for l-diversity.
    assert b1[BENEFITS] == b2[BENEFITS] == "*"
    referred = {b1[STARTED], b2[STARTED]}
    assert referred == {"keine"} and {b1[COMPLETED], b2[COMPLETED]} == {"keine"}
    assert {b1[RECOGNITION], b2[RECOGNITION]} == {"in_process", None}

    manifest = release.manifest
    assert manifest["parameters"] == {"k": 2, "max_suppression": 0.0, "l": 2}
    assert manifest["quasi_identifiers"] == {
        "age": "age",
        "gender": "gender",
        "citizenship_group": "citizenship_group",
        "residence_status_group": "residence_status_group",
        "municipality": "municipality",
        "year_moved_in": "year",
    }
    assert manifest["rows_in"] == 4 and manifest["rows_suppressed"] == 0
    assert manifest["smallest_class"] == 2 and manifest["classes_suppressed"] == 0
    benefits = manifest["l_diversity"]["benefit_kinds"]
    assert benefits["met"] is False
    assert benefits["classes_failing"] == 1 and benefits["values_suppressed"] == 2
    assert manifest["l_diversity"]["residence_status_group"]["applied"] is False


def test_generalises_until_k_holds_and_names_the_levels(population):
    app, _canaries = population
    release, rows = _export(app, k=4, max_suppression=0.0)
    # The two classes differ in age (34, 39), gender, municipality (two Einheitsgemeinden)
    # and year of moving in (2018, 2022): the least loss merging them is the 10-year
    # band, the county, and no gender and year at all.
    manifest = release.manifest
    assert manifest["quasi_identifiers"] == {
        "age": "band_10",
        "gender": "*",
        "citizenship_group": "citizenship_group",
        "residence_status_group": "residence_status_group",
        "municipality": "county",
        "year_moved_in": "*",
    }
    assert manifest["rows_suppressed"] == 0 and manifest["smallest_class"] == 4
    assert {row[1:7] for row in rows} == {
        ("30-39", "*", "third_country", "protection_recognised", "03459", "*")
    }
    assert len(rows) == 4
    assert manifest["l_diversity"]["benefit_kinds"]["met"] is True
    assert sorted(row[BENEFITS] for row in rows) == ["ASYLBLG|SGB_II", "SGB_II", "keine", "keine"]


def test_suppresses_small_classes_within_the_share(population):
    app, _canaries = population
    release, rows = _export(app, k=3, max_suppression=0.5)
    # Each finest class has two persons; with half of the rows allowed to go, the
    # least-loss answer still has to merge or drop: whatever it is, it is k-anonymous.
    manifest = release.manifest
    assert manifest["rows_suppressed"] <= 0.5 * manifest["rows_in"]
    assert len(rows) == 4 - manifest["rows_suppressed"]
    classes: dict[tuple, int] = {}
    for row in rows:
        classes[row[1:7]] = classes.get(row[1:7], 0) + 1
    assert all(n >= 3 for n in classes.values())


def test_too_few_persons_for_k_is_refused(population):
    app, _canaries = population
    with pytest.raises(NotAnonymisableError):
        _export(app, k=5, max_suppression=0.0)


def test_no_personal_value_and_fresh_ids_each_time(population):
    app, canaries = population
    _release, first = _export(app, k=2, max_suppression=0.0)
    _release, second = _export(app, k=2, max_suppression=0.0)
    cells = {str(cell) for row in first + second for cell in row}
    assert not {c for c in cells for canary in canaries if canary.lower() in c.lower()}
    assert not {row[ID] for row in first} & {row[ID] for row in second}
    assert len({row[ID] for row in first}) == 4
    assert all(uuid.UUID(row[ID]).version == 4 for row in first)
