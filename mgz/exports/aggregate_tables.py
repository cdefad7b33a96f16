"""The declared aggregate tables: measures, dimensions, and the GROUP BY that counts them.

Layout (issue 19): for each measure one table "dimension x year" per dimension
(citizenship group, residence-status group, age band, gender, municipality), plus,
for measures with a category of their own, one table "category x year". Rows are
every code of the dimension's code list (withdrawn codes too, so that the shape of a
table never depends on the data; zero rows stay), then "ohne Angabe" where the
attribute may be empty, then the row "Insgesamt" (the county total); columns are the
years and "Insgesamt" (the sum of the years).

Which date puts a record into a year, and what is counted, is declared per measure
(``Measure.meaning``, the German text of the definitions sheet). Persons are counted
once per year and row where the measure counts persons; records otherwise. The
dimensions are the client's statistical attributes as they stand when the export is
made (the same for every table, so that each person or record falls into exactly one
row of every table and every table of a measure has the same year totals); the age
is the year minus the birth year (the age reached in that year; the birth date is
encrypted and never read here).

Everything is read from the statistical columns
(``mgz.core.classification.statistical_table``); erased (crypto-shredded) clients
stay counted, because their statistical attributes stay lawful.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from mgz.courses.workflow import STATUSES
from mgz.exports.aggregate_sources import (
    AGE_BANDS,
    AGE_COLUMN,
    benefits,
    counselled,
    course_referrals,
    first_consultations,
    measures,
    placements,
    profilings,
    qualifications,
)
from mgz.reference import service as reference

NOT_GIVEN = "ohne Angabe"
TOTAL = "Insgesamt"
COUNTY = "Landkreis Osnabrück"

STATUS_LABELS = {
    "planned": "geplant",
    "referred": "zugewiesen",
    "registered": "angemeldet",
    "started": "begonnen",
    "completed": "abgeschlossen",
    "dropped": "abgebrochen",
    "no_show": "nicht erschienen",
    "cancelled": "storniert",
}

Key = tuple[str | None, ...]  # the key columns of one row: code, label (, code, label)


@dataclass(frozen=True)
class Part:
    """One coded attribute: its column in the measure's source, code list and headers."""

    column: str
    headers: tuple[str, str]
    codes: Callable[[Session], list[tuple[str, str]]]
    nullable: bool = False


@dataclass(frozen=True)
class Dimension:
    """What a table's rows are: one attribute, or two crossed (e.g. ISCED x recognition)."""

    name: str
    title: str
    parts: tuple[Part, ...]
    meaning: str

    @property
    def headers(self) -> tuple[str, ...]:
        """The key columns' German headers (code and label of each part)."""
        return tuple(header for part in self.parts for header in part.headers)


@dataclass(frozen=True)
class Measure:
    """What is counted, how one year's records are selected, and its own category."""

    name: str
    title: str
    term: str
    meaning: str
    source: Callable[[int], Select]
    persons: bool
    categories: tuple[Dimension, ...] = ()
    # Measures that share no margin with the persons' tables (a person may count in
    # several rows of the category) are their own linked set.
    separate_categories: bool = False


def code_list(name: str) -> Callable[[Session], list[tuple[str, str]]]:
    """The codes and German labels of list ``name``, withdrawn ones too (old records)."""

    def codes(session: Session) -> list[tuple[str, str]]:
        return [(e.code, e.label) for e in reference.codes(session, name, include_withdrawn=True)]

    return codes


def _fixed(pairs: Sequence[tuple[str, str]]) -> Callable[[Session], list[tuple[str, str]]]:
    return lambda _session: list(pairs)


DIMENSIONS = (
    Dimension(
        "staatsangehoerigkeit",
        "Staatsangeh.",
        (
            Part(
                "citizenship_group",
                ("Staatsangehörigkeitsgruppe", "Bezeichnung"),
                code_list("citizenship_group"),
            ),
        ),
        "Gruppe der Staatsangehörigkeit der Person (Codeliste citizenship_group), "
        "Stand beim Export.",
    ),  # fmt: skip
    Dimension(
        "aufenthaltsstatus",
        "Aufenthalt",
        (
            Part(
                "residence_status_group",
                ("Aufenthaltsstatusgruppe", "Bezeichnung"),
                code_list("residence_status_group"),
                nullable=True,
            ),
        ),
        "Gruppe des Aufenthaltsstatus der Person (Codeliste residence_status_group), "
        "Stand beim Export; ohne Angabe: kein Aufenthaltsstatus erfasst.",
    ),  # fmt: skip
    Dimension(
        "altersgruppe",
        "Alter",
        (
            Part(
                AGE_COLUMN,
                ("Altersgruppe", "Bezeichnung"),
                _fixed([(code, label) for code, label, _low, _high in AGE_BANDS]),
            ),
        ),
        "Alter im Berichtsjahr: Berichtsjahr minus Geburtsjahr (das Alter, das die Person "
        "in diesem Jahr erreicht). Das Geburtsdatum wird nicht gelesen.",
    ),  # fmt: skip
    Dimension(
        "geschlecht",
        "Geschlecht",
        (Part("gender", ("Geschlecht", "Bezeichnung"), code_list("gender")),),
        "Geschlecht der Person (Codeliste gender).",
    ),  # fmt: skip
    Dimension(
        "gemeinde",
        "Gemeinde",
        (Part("municipality", ("Gemeindeschlüssel", "Gemeinde"), code_list("municipality")),),
        "Gemeinde des Wohnorts der Person im Landkreis (amtlicher Gemeindeschlüssel), "
        "Stand beim Export; Insgesamt ist der Landkreis.",
    ),  # fmt: skip
)


def count_by(session: Session, measure: Measure, dimension: Dimension, year: int) -> dict[Key, int]:
    """One GROUP BY: the year's count of ``measure`` per code (combination) of ``dimension``."""
    source = measure.source(year).subquery()
    keys = [source.c[part.column] for part in dimension.parts]
    counted = func.count(distinct(source.c.client_id)) if measure.persons else func.count()
    query = select(*keys, counted).group_by(*keys)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(query)}


def row_keys(session: Session, dimension: Dimension, found: set[Key]) -> list[Key]:
    """Every row of ``dimension`` as (code, label, ...): the code lists, then what else was found.

    Codes the lists do not know (should not happen: the services check them) get a row
    of their own after the listed ones, so that nothing counted is lost.
    """
    per_part: list[list[tuple[str | None, str]]] = []
    for index, part in enumerate(dimension.parts):
        pairs: list[tuple[str | None, str]] = list(part.codes(session))
        if part.nullable:
            pairs.append((None, NOT_GIVEN))
        known = {code for code, _label in pairs}
        extra = sorted({key[index] for key in found if key[index] not in known}, key=str)
        pairs += [(code, NOT_GIVEN if code is None else code) for code in extra]
        per_part.append(pairs)
    keys: list[tuple[tuple[str | None, str], ...]] = [()]
    for pairs in per_part:
        keys = [(*key, pair) for key in keys for pair in pairs]
    return [tuple(value for pair in key for value in pair) for key in keys]


def code_of(key: Key) -> Key:
    """The codes alone of a row key (code, label, code, label) -> (code, code)."""
    return key[0::2]


def _category(name: str, title: str, meaning: str, *parts: Part) -> Dimension:
    return Dimension(name, title, parts, meaning)


def _statuses(_session: Session) -> list[tuple[str, str]]:
    return [(status, STATUS_LABELS[status]) for status in STATUSES]


PROFILE_TYPE = _category("profillage", "Profillage",
    "Profillage des Profilings (Codeliste profile_type).",
    Part("profile_type", ("Profillage", "Bezeichnung"), code_list("profile_type")))  # fmt: skip
ISCED_RECOGNITION = _category("isced_anerkennung", "ISCED/Anerk.",
    "ISCED-Stufe der Qualifikation (Codeliste isced_level; ohne Angabe: nicht erfasst) "
    "gekreuzt mit dem Stand der Anerkennung beim Export (Codeliste recognition_status).",
    Part("isced_level", ("ISCED-Stufe", "Bezeichnung der ISCED-Stufe"), code_list("isced_level"),
         nullable=True),
    Part("recognition_status", ("Anerkennungsstand", "Bezeichnung des Anerkennungsstands"),
         code_list("recognition_status")))  # fmt: skip
MEASURE_KIND = _category("art", "Art", "Art der Maßnahme (Codeliste measure_kind).",
    Part("kind", ("Art der Maßnahme", "Bezeichnung"), code_list("measure_kind")))  # fmt: skip
COURSE_TYPE_STATUS = _category("kursart_status", "Art/Status",
    "Kursart der Zuweisung (Codeliste course_type) gekreuzt mit ihrem Status beim Export "
    "(geplant, zugewiesen, angemeldet, begonnen, abgeschlossen, abgebrochen, nicht "
    "erschienen, storniert).",
    Part("course_type", ("Kursart", "Bezeichnung der Kursart"), code_list("course_type")),
    Part("status", ("Status", "Bezeichnung des Status"), _statuses))  # fmt: skip
PLACEMENT_KIND = _category("art", "Art",
    "Art der Vermittlung (Codeliste placement_outcome).",
    Part("kind", ("Art der Vermittlung", "Bezeichnung"),
         code_list("placement_outcome")))  # fmt: skip
BENEFIT_KIND = _category("leistungsart", "Leistungsart",
    "Art der Leistung (Codeliste benefit_kind); eine Person, die im Jahr zwei Arten "
    "bezog, zählt in beiden Zeilen, Insgesamt ist die Summe der Zeilen (Bezüge).",
    Part("kind", ("Art der Leistung", "Bezeichnung"), code_list("benefit_kind")))  # fmt: skip

MEASURES = (
    Measure(
        "beratene_personen",
        "Beratene",
        "Beratene Personen",
        "Personen mit mindestens einem Beratungsgespräch (Erst- oder Folgegespräch), "
        "dessen Datum (held_on) im Jahr liegt; jede Person zählt je Jahr einmal, in "
        "Insgesamt (Summe der Jahre) einmal je Jahr, in dem sie beraten wurde.",
        counselled,
        persons=True,
    ),  # fmt: skip
    Measure(
        "erstberatungen",
        "Erstberatungen",
        "Erstberatungen",
        "Erstgespräche (Gesprächsart first), deren Datum (held_on) im Jahr liegt; jede "
        "Person hat höchstens ein Erstgespräch, Gespräche und Personen sind hier gleich.",
        first_consultations,
        persons=False,
    ),  # fmt: skip
    Measure(
        "profilings",
        "Profilings",
        "Profilings",
        "Profilings, deren Datum (profiled_on) im Jahr liegt; gezählt werden Profilings, "
        "eine zweimal profilierte Person zählt zweimal.",
        profilings,
        persons=False,
        categories=(PROFILE_TYPE,),
    ),  # fmt: skip
    Measure(
        "qualifikationen",
        "Qualifikationen",
        "Erfasste Qualifikationen",
        "Schul-, Berufs- und Hochschulabschlüsse, die im Jahr erfasst wurden (Tag der "
        "Erfassung im System); gezählt werden Qualifikationen, nicht Personen.",
        qualifications,
        persons=False,
        categories=(ISCED_RECOGNITION,),
    ),  # fmt: skip
    Measure(
        "massnahmen",
        "Maßnahmen",
        "Begonnene Maßnahmen",
        "Maßnahmen, deren Beginn (starts_on) im Jahr liegt; gezählt werden Maßnahmen.",
        measures,
        persons=False,
        categories=(MEASURE_KIND,),
    ),  # fmt: skip
    Measure(
        "kurszuweisungen",
        "Kurszuweisungen",
        "Kurszuweisungen",
        "Zuweisungen zu Sprach- und Integrationskursen, deren Zuweisungsdatum "
        "(referred_on) im Jahr liegt; nur geplante, noch nicht zugewiesene zählen nicht. "
        "Gezählt werden Zuweisungen.",
        course_referrals,
        persons=False,
        categories=(COURSE_TYPE_STATUS,),
    ),  # fmt: skip
    Measure(
        "vermittlungen",
        "Vermittlungen",
        "Vermittlungen",
        "Vermittlungen in Arbeit, Ausbildung oder Praktikum, deren Datum (placed_on) im "
        "Jahr liegt; gezählt werden Vermittlungen.",
        placements,
        persons=False,
        categories=(PLACEMENT_KIND,),
    ),  # fmt: skip
    Measure(
        "leistungsbezug",
        "Leistungsbezug",
        "Personen im Leistungsbezug",
        "Personen mit mindestens einem Bezugszeitraum einer Leistung, der das Jahr "
        "berührt (Beginn bis 31.12., Ende offen oder ab 1.1.); jede Person zählt je Jahr "
        "einmal, gleich wie viele Zeiträume und Arten.",
        benefits,
        persons=True,
        categories=(BENEFIT_KIND,),
        separate_categories=True,
    ),  # fmt: skip
)
