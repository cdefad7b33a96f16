"""What the indicators are and which reference figures exist: the published definitions.

Each indicator carries the version of its definition; a change of what counts gets a
new version, so a figure can always be traced to the rule it was computed by
(docs/statistics.md states every rule and its version).
"""

from __future__ import annotations

from dataclasses import dataclass

# mgz's figures start with the county's integration concept's first reporting year.
FIRST_YEAR = 2014
# Longest series one request may ask for.
MAX_SERIES_YEARS = 30


@dataclass(frozen=True)
class Indicator:
    """An indicator of the county's integration concept."""

    number: int
    title: str
    definition_version: str
    target: float
    target_unit: str
    target_year: int
    target_note: str
    # The target is a total over the years (indicator 10: 1,000 since 2017), not a
    # level each year reaches.
    target_is_cumulative: bool = False


INDICATORS: dict[int, Indicator] = {
    1: Indicator(
        number=1,
        title=(
            "Anteil der im Migrationszentrum erstmals beratenen Drittstaatenangehörigen "
            "ab 21 Jahren an allen neu zugezogenen Drittstaatenangehörigen ab 21 Jahren"
        ),
        definition_version="1.0",
        target=40.0,
        target_unit="%",
        target_year=2022,
        target_note="mindestens 40 % bis Ende 2022",
    ),
    6: Indicator(
        number=6,
        title=(
            "Anzahl der Teilnehmenden an landkreisfinanzierten Sprachkursangeboten "
            "für neu aus dem Ausland zugezogene Erwachsene"
        ),
        definition_version="1.0",
        target=0.0,
        target_unit="",
        target_year=2022,
        target_note="0 bis 2022 (die Regelangebote übernehmen)",
    ),
    10: Indicator(
        number=10,
        title=(
            "Anzahl der Integrationen Schutzsuchender aus dem Bereich des SGB II in "
            "sozialversicherungspflichtige Beschäftigung (Arbeit, Ausbildung)"
        ),
        definition_version="1.0",
        target=1000.0,
        target_unit="",
        target_year=2022,
        target_note="1.000 insgesamt bis 2022 (kumuliert seit 2017)",
        target_is_cumulative=True,
    ),
}


@dataclass(frozen=True)
class ReferenceFigureKind:
    """A figure from outside mgz that an indicator needs or is shown beside."""

    key: str
    title: str


REFERENCE_FIGURES: dict[str, ReferenceFigureKind] = {
    kind.key: kind
    for kind in (
        ReferenceFigureKind(
            "new_third_country_nationals_21plus",
            "Neu aus dem Ausland zugezogene Drittstaatenangehörige ab 21 Jahren "
            "(Meldebehörden, Fachdienst Ordnung); Nenner von Indikator 1",
        ),
        ReferenceFigureKind(
            "published_indicator_6_mama_lernt_deutsch",
            "Veröffentlichter Wert Indikator 6: Mama lernt Deutsch",
        ),
        ReferenceFigureKind(
            "published_indicator_6_deutsch_treff",
            "Veröffentlichter Wert Indikator 6: Deutsch-Treff",
        ),
        ReferenceFigureKind(
            "published_indicator_6_further_county_courses",
            "Veröffentlichter Wert Indikator 6: weitere landkreisfinanzierte Sprachkurse",
        ),
        ReferenceFigureKind(
            "published_indicator_10",
            "Veröffentlichter Wert Indikator 10: Integrationen Schutzsuchender aus dem SGB II",
        ),
    )
}
