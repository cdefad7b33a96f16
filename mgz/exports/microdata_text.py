"""The German text of the microdata export: headers, definitions, manifest notes.

Kept apart from the logic so that wording can change without touching the export,
and so that the order of ``COLUMNS`` is visibly the order of a released row.
"""

from __future__ import annotations

from mgz.exports.content import Definition

COLUMNS = (
    "Zeilen-ID",
    "Alter",
    "Geschlecht",
    "Staatsangehörigkeitsgruppe",
    "Aufenthaltsstatusgruppe",
    "Wohngemeinde",
    "Zuzugsjahr",
    "Jahr des ersten Gesprächs",
    "Höchste ISCED-Stufe",
    "Anerkennung",
    "Begonnene Maßnahmen",
    "Begonnene Kursarten",
    "Abgeschlossene Kursarten",
    "Vermittlungsarten",
    "Leistungsarten",
)

DESCRIPTION = (
    "Eine Zeile je Person mit mindestens einem Beratungsgespräch im Zeitraum, k-anonym "
    "über Alter, Geschlecht, Staatsangehörigkeitsgruppe, Aufenthaltsstatusgruppe, "
    "Wohngemeinde und Zuzugsjahr; Zeilen in zufälliger Reihenfolge."
)

DEFINITIONS = (
    Definition(
        "Zeilen-ID",
        "Zufällige Kennung, in jedem Export neu gezogen; sie verbindet keine Zeile mit "
        "einer Zeile eines anderen Exports oder mit einer Akte.",
    ),
    Definition(
        "Alter",
        "Jahr des ersten Gesprächs im Zeitraum minus Geburtsjahr; je nach gewählter Stufe "
        "als Jahr, 5-, 10- oder 20-Jahres-Gruppe oder * (unterdrückt).",
    ),
    Definition(
        "Wohngemeinde",
        "Amtlicher Gemeindeschlüssel, je nach Stufe die Kommune (Samtgemeinde oder "
        "Einheitsgemeinde), der Kreis (03459) oder * (unterdrückt).",
    ),
    Definition("Zuzugsjahr", "Jahr des Zuzugs in den Landkreis, als Jahr oder Zweijahreszeitraum."),
    Definition(
        "Jahr des ersten Gesprächs",
        "Jahr des ersten Beratungsgesprächs der Person innerhalb des Zeitraums.",
    ),
    Definition(
        "Höchste ISCED-Stufe",
        "Höchste ISCED-2011-Stufe aus erfassten Abschlüssen und Schulbildung; leer, wenn "
        "keine erfasst ist.",
    ),
    Definition(
        "Anerkennung",
        "Bestes Ergebnis der Berufsanerkennung über alle Abschlüsse (erst die Bescheide "
        "von voll gleichwertig bis nicht gleichwertig, dann der Verfahrensstand); leer "
        "ohne Abschluss.",
    ),
    Definition(
        "Mehrfachangaben",
        "Begonnene Maßnahmen, begonnene und abgeschlossene Kursarten, Vermittlungsarten "
        "und Leistungsarten im Zeitraum: Codes, sortiert und durch | getrennt; „keine“, "
        "wenn es keine gibt.",
    ),
    Definition(
        "unknown",
        "Merkmal nicht erfasst (z. B. kein Zuzugsdatum, keine Aufenthaltsstatusgruppe).",
    ),
    Definition(
        "*",
        "Wert unterdrückt: das Merkmal wird auf dieser Stufe nicht veröffentlicht, oder "
        "(Leistungsarten) die Klasse erreicht die l-Diversität nicht.",
    ),
)

NOTES = {
    "benefit_kinds": (
        "In den genannten Klassen zeigen die Leistungsarten weniger als l verschiedene "
        "Werte; dort ist die Leistungsart jeder Zeile unterdrückt (*)."
    ),
    "benefit_kinds_met": (
        "Jede veröffentlichte Klasse zeigt mindestens l verschiedene Leistungsarten."
    ),
    "residence_status_group": (
        "Nicht geprüft: die Aufenthaltsstatusgruppe ist hier ein Quasi-Identifikator "
        "und damit innerhalb jeder Klasse gleich; sie ist durch k-Anonymität geschützt."
    ),
}
