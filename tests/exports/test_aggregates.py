"""The aggregate tables on a hand-counted population, on both databases."""

from __future__ import annotations

import pytest

from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.competences import service as competences_service
from mgz.competences.schemas import QualificationCreateSchema
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.crypto import service as crypto_service
from mgz.exports.aggregates import build_aggregates
from mgz.placements.schemas import MeasureCreateSchema
from mgz.placements.service import measures as measures_service
from mgz.profiling import service as profiling_service
from mgz.profiling.schemas import ProfilingCreateSchema
from tests import factories
from tests.profiling.conftest import profiling_body

MELLE, BRAMSCHE = "03459024", "03459014"
MOVED = {"entered_germany_on": "2022-05-01", "moved_in_on": "2022-06-01"}


def _table(release, name):
    (table,) = [t for t in release.tables if t.name == name]
    return table


def _by_code(table):
    return {row[0]: tuple(row[2:]) for row in table.rows()}


@pytest.fixture
def population(app, db):
    """Three people, hand-counted below; the third one erased (crypto-shredded)."""
    with app.app_context():
        yield _populate(db)


def _populate(db):
    actor = factories.adviser_actor(factories.make_user(db))
    a = factories.make_client(db, actor, **MOVED)  # female, Syria, Melle, born 1990
    factories.make_consultation(db, actor, a, kind="first", held_on="2023-03-01")
    factories.make_consultation(db, actor, a, held_on="2023-04-01")
    factories.make_consultation(db, actor, a, held_on="2024-02-01")
    b = factories.make_client(
        db, actor, **MOVED, gender="male", nationality=["PL"], residence_status="EU_FREIZUEGIG",
        municipality=BRAMSCHE, birth_date="2008-05-05",
    )  # fmt: skip
    factories.make_consultation(db, actor, b, kind="first", held_on="2024-06-01")
    factories.make_consultation(db, actor, b, held_on="2024-07-01")
    factories.make_placement(db, actor, b, placed_on="2024-08-01", kind="PRAKTIKUM")
    c = factories.make_client(db, actor, **MOVED, birth_date="1960-01-01")
    factories.make_consultation(db, actor, c, kind="first", held_on="2024-01-10")
    factories.make_placement(db, actor, c, placed_on="2024-05-01", kind="SVB")
    factories.make_benefit(db, actor, c, kind="SGB_II", from_on="2023-06-01")
    factories.make_benefit(db, actor, c, kind="ASYLBLG", from_on="2022-01-01", to_on="2023-05-31")
    crypto_service.shred(db, Actor.system("tests"), c.id)
    db.flush()
    return db


def test_a_known_population_gives_the_hand_counted_tables(population):
    release = build_aggregates(population, first_year=2023, last_year=2024, threshold=1)
    assert release.kind == "aggregates"
    gender = _table(release, "beratene_personen__geschlecht")
    assert gender.columns == ("Geschlecht", "Bezeichnung", "2023", "2024", "Insgesamt")
    assert list(gender.rows()) == [
        ("female", "weiblich", 1, 2, 3),
        ("male", "männlich", 0, 1, 1),
        ("diverse", "divers", 0, 0, 0),
        ("unspecified", "ohne Angabe", 0, 0, 0),
        ("Insgesamt", "Landkreis Osnabrück", 1, 3, 4),
    ]
    ages = _by_code(_table(release, "beratene_personen__altersgruppe"))
    # a: 33 and 34; b: 16 in 2024; c (erased): 64 in 2024.
    assert ages["0-17"] == (0, 1, 1)
    assert ages["25-34"] == (1, 1, 2)
    assert ages["55-64"] == (0, 1, 1)
    assert ages["65+"] == (0, 0, 0)
    first = _by_code(_table(release, "erstberatungen__staatsangehoerigkeit"))
    assert first["third_country"] == (1, 1, 2)
    assert first["eu"] == (0, 1, 1)
    assert first["Insgesamt"] == (1, 2, 3)
    places = _by_code(_table(release, "vermittlungen__gemeinde"))
    assert places[MELLE] == (0, 1, 1)
    assert places[BRAMSCHE] == (0, 1, 1)
    assert places["Insgesamt"] == (0, 2, 2)
    kinds = _by_code(_table(release, "vermittlungen__art"))
    assert kinds["SVB"] == (0, 1, 1)
    assert kinds["PRAKTIKUM"] == (0, 1, 1)
    # The erased person received benefits in 2023 (two kinds) and 2024: once per year.
    assert _by_code(_table(release, "leistungsbezug__geschlecht"))["female"] == (1, 1, 2)
    per_kind = _by_code(_table(release, "leistungsbezug_leistungsart__leistungsart"))
    assert per_kind["SGB_II"] == (1, 1, 2)
    assert per_kind["ASYLBLG"] == (1, 0, 1)
    assert per_kind["Insgesamt"] == (2, 1, 3)


def test_small_cells_are_x_and_zeros_stay_zeros(population):
    release = build_aggregates(population, first_year=2023, last_year=2024)
    gender = _by_code(_table(release, "beratene_personen__geschlecht"))
    # 1 and 2 primary; the row total 3 would give back nothing alone, but with the
    # year totals (1 primary, so 3 = 4 - 1 would follow) it has to go too.
    assert gender["female"] == ("x", "x", "x")
    assert gender["male"] == (0, "x", "x")
    assert gender["diverse"] == (0, 0, 0)
    assert gender["Insgesamt"] == ("x", "x", 4)
    assert release.manifest["threshold"] == 3
    assert release.manifest["mark"] == "x"


@pytest.mark.parametrize(
    ("first_year", "last_year", "threshold"), [(2024, 2023, 3), (2023, 2024, 0), (2023, 2024, -1)]
)
def test_refuses_a_bad_range_or_threshold(db, first_year, last_year, threshold):
    with pytest.raises(ValueError):
        build_aggregates(db, first_year=first_year, last_year=last_year, threshold=threshold)


def _case(db, actor):
    return CaseAccess(db, actor, AccessPolicy("team"))


def test_profilings_qualifications_measures_and_referrals_by_their_dates(app, db):
    with app.app_context():
        actor = factories.adviser_actor(factories.make_user(db))
        a = factories.make_client(db, actor, **MOVED)
        b = factories.make_client(db, actor, **MOVED, gender="male")
        for client, on in ((a, "2024-04-02"), (b, "2025-03-01"), (b, "2025-09-01")):
            profiling_service.create_profiling(
                _case(db, actor), client.id,
                ProfilingCreateSchema().load(profiling_body(profiled_on=on)),
            )  # fmt: skip
        qualification = {"kind": "academic", "isced_level": "6", "documents_available": "no",
                         "recognition_status": "applied"}  # fmt: skip
        competences_service.create_qualification(
            _case(db, actor), a.id, QualificationCreateSchema().load(qualification)
        )
        for client, kind, on in ((a, "WEITERBILDUNG", "2024-02-01"), (b, "SONSTIGE", "2025-01-01")):
            measures_service.create_measure(
                _case(db, actor), client.id,
                MeasureCreateSchema().load({"kind": kind, "starts_on": on}),
            )  # fmt: skip
        factories.make_referral(db, actor, a, referred_on="2024-04-02")  # ALLG, referred
        factories.make_referral(db, actor, b, referred_on=None)  # planned: no referral date
        db.flush()
        now = utcnow().year  # a qualification counts in the year it was recorded
        release = build_aggregates(db, first_year=2024, last_year=2025, threshold=1)
        later = build_aggregates(db, first_year=now, last_year=now, threshold=1)
    types = _by_code(_table(release, "profilings__profillage"))
    assert types["FP"] == (1, 2, 3)
    assert types["MP"] == (0, 0, 0)
    assert _by_code(_table(release, "profilings__geschlecht"))["male"] == (0, 2, 2)
    kinds = _by_code(_table(release, "massnahmen__art"))
    assert kinds["WEITERBILDUNG"] == (1, 0, 1)
    assert kinds["SONSTIGE"] == (0, 1, 1)
    referrals = {(row[0], row[2]): tuple(row[4:])
                 for row in _table(release, "kurszuweisungen__kursart_status").rows()}  # fmt: skip
    assert referrals[("ALLG", "referred")] == (1, 0, 1)
    assert referrals[("ALLG", "planned")] == (0, 0, 0)  # the planned one has no date
    assert referrals[("Insgesamt", None)] == (1, 0, 1)
    assert len(referrals) == 20 * 8 + 1  # every course type x every status, and the total
    recorded = {
        (row[0], row[2]): row[4:]
        for row in _table(later, "qualifikationen__isced_anerkennung").rows()
    }
    assert recorded[("6", "applied")] == (1, 1)
    assert recorded[(None, "applied")] == (0, 0)  # "ohne Angabe" row exists, zero
    assert recorded[("Insgesamt", None)] == (1, 1)


def test_every_table_has_a_short_german_title_and_definitions(population):
    release = build_aggregates(population, first_year=2023, last_year=2024)
    assert len(release.tables) == len({t.name for t in release.tables}) == 8 * 5 + 6
    terms = {d.term for d in release.definitions}
    for table in release.tables:
        assert len(table.title) <= 31, table.title
        assert table.columns[-3:] == ("2023", "2024", "Insgesamt")
        assert table.columns[0] in terms or table.columns[0] in {
            h for d in terms for h in d.split(" / ")
        }
        counts = release.manifest["tables"][table.name]
        hidden = sum(value == "x" for row in table.rows() for value in row)
        assert hidden == counts["primary"] + counts["secondary"]
    assert {"x", "0", "Insgesamt", "Jahr"} <= terms
    assert release.manifest["years"] == [2023, 2024]
