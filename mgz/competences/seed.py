"""The checklist templates mgz ships, as data (loaded by ``mgz checklists load``).

``labour_market_general`` is the general labour-market competence checklist of
goal 41: the ten Berufsbereiche of KldB 2010, tools and machines, IT, driving and
forklift licences, shift work, physical capacity and German at work. Ratings are
self-assessments recorded in the talk, not tests. Anything that would describe a
health condition is asked only as encrypted free text (``physical_limitations``),
never as a plaintext code.
"""

from __future__ import annotations

from typing import Any

_LEVEL_HELP = (
    "0 = keine, 1 = Grundkenntnisse/angelernt, 2 = gute Kenntnisse, 3 = sehr gute Kenntnisse"
)
_AREA_HELP = (
    "Praktische Erfahrung in Berufen dieses Berufsbereichs (KldB 2010), im Herkunftsland "
    "oder in Deutschland, bezahlt oder unbezahlt. " + _LEVEL_HELP
)

# The ten Berufsbereiche of KldB 2010 (Fassung 2020), as in reference/data/kldb_area.toml.
_AREAS = (
    ("0", "Militär"),
    ("1", "Land-, Forst- und Tierwirtschaft und Gartenbau"),
    ("2", "Rohstoffgewinnung, Produktion und Fertigung"),
    ("3", "Bau, Architektur, Vermessung und Gebäudetechnik"),
    ("4", "Naturwissenschaft, Geografie und Informatik"),
    ("5", "Verkehr, Logistik, Schutz und Sicherheit"),
    ("6", "Kaufmännische Dienstleistungen, Warenhandel, Vertrieb, Hotel und Tourismus"),
    ("7", "Unternehmensorganisation, Buchhaltung, Recht und Verwaltung"),
    ("8", "Gesundheit, Soziales, Lehre und Erziehung"),
    (
        "9",
        "Sprach-, Literatur-, Geistes-, Gesellschafts- und Wirtschaftswissenschaften, "
        "Medien, Kunst, Kultur und Gestaltung",
    ),
)


def _item(
    key: str,
    label: str,
    answer_type: str,
    *,
    help_text: str | None = None,
    is_required: bool = False,
    min_value: float | None = None,
    max_value: float | None = None,
    code_list: str | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "help_text": help_text,
        "answer_type": answer_type,
        "is_required": is_required,
        "min_value": min_value,
        "max_value": max_value,
        "code_list": code_list,
    }


def _level(key: str, label: str, help_text: str = _LEVEL_HELP, **kw: Any) -> dict[str, Any]:
    return _item(key, label, "level_0_3", help_text=help_text, **kw)


LABOUR_MARKET_GENERAL: dict[str, Any] = {
    "key": "labour_market_general",
    "title": "Allgemeine arbeitsmarktbezogene Kompetenzerfassung",
    "description": (
        "Einheitliche Checkliste des Migrationszentrums (Ziel 41): berufliche "
        "Erfahrungen nach den zehn Berufsbereichen der KldB 2010, Werkzeuge und "
        "Maschinen, IT, Führerscheine, Schichtarbeit, körperliche Belastbarkeit und "
        "Deutsch am Arbeitsplatz. Selbsteinschätzung im Gespräch."
    ),
    "items": [
        *(
            _level(
                f"experience_area_{code}",
                f"Erfahrung im Berufsbereich {code}: {name}",
                _AREA_HELP,
                is_required=True,
            )
            for code, name in _AREAS
        ),
        _item(
            "preferred_area",
            "Gewünschter Berufsbereich",
            "code",
            code_list="kldb_area",
            help_text="Berufsbereich der KldB 2010, in dem die Person arbeiten möchte.",
        ),
        _item(
            "experience_description",
            "Tätigkeiten und Berufe (Beschreibung)",
            "text",
            help_text="Konkrete Tätigkeiten, Arbeitgeber-Art, Dauer. Wird verschlüsselt.",
        ),
        # Werkzeuge und Maschinen
        _level("hand_tools", "Umgang mit Handwerkzeugen", is_required=True),
        _level("power_tools", "Umgang mit Elektrowerkzeugen", is_required=True),
        _level("machine_operation", "Bedienung von Maschinen und Anlagen", is_required=True),
        _item(
            "machines_description",
            "Welche Maschinen und Anlagen?",
            "text",
            help_text="z. B. CNC-Fräse, Nähmaschine, Landmaschinen. Wird verschlüsselt.",
        ),
        # IT
        _level("it_smartphone", "Smartphone und Apps", is_required=True),
        _level(
            "it_computer_basics", "Computer-Grundkenntnisse (Dateien, Drucken)", is_required=True
        ),
        _level("it_office", "Büroprogramme (Textverarbeitung, Tabellen)"),
        _level("it_internet_email", "Internet und E-Mail"),
        # Führerscheine
        _item("driving_licence_b", "Führerschein Klasse B", "yes_no", is_required=True),
        _item(
            "driving_licence_recognised",
            "Führerschein in Deutschland gültig oder umgeschrieben",
            "yes_no",
            help_text="Ausländische Fahrerlaubnisse gelten nur befristet (§ 29 FeV).",
        ),
        _item("driving_licence_truck", "Führerschein Klasse C/CE (Lkw)", "yes_no"),
        _item(
            "forklift_licence",
            "Staplerschein (Fahrausweis für Flurförderzeuge)",
            "yes_no",
            is_required=True,
            help_text="Befähigungsnachweis nach DGUV Grundsatz 308-001.",
        ),
        _item("has_vehicle", "Eigenes Fahrzeug verfügbar", "yes_no"),
        _item(
            "max_commute_minutes",
            "Zumutbarer Arbeitsweg (Minuten, einfach)",
            "number",
            min_value=0,
            max_value=180,
        ),
        # Schichtarbeit
        _item("shift_work", "Bereitschaft zu Schichtarbeit", "yes_no", is_required=True),
        _item("night_work", "Bereitschaft zu Nachtarbeit", "yes_no"),
        _item("weekend_work", "Bereitschaft zu Wochenendarbeit", "yes_no"),
        # Körperliche Belastbarkeit (Selbsteinschätzung; Einschränkungen nur als Freitext)
        _level(
            "physical_heavy_work",
            "Körperlich schwere Arbeit (Selbsteinschätzung)",
            "0 = nicht möglich, 1 = kaum, 2 = überwiegend möglich, 3 = uneingeschränkt",
            is_required=True,
        ),
        _level(
            "standing_work",
            "Arbeit überwiegend im Stehen (Selbsteinschätzung)",
            "0 = nicht möglich, 1 = kaum, 2 = überwiegend möglich, 3 = uneingeschränkt",
        ),
        _item(
            "outdoor_work",
            "Bereitschaft zu Arbeit im Freien",
            "yes_no",
        ),
        _item(
            "physical_limitations",
            "Körperliche Einschränkungen (nur wenn die Person sie nennen möchte)",
            "text",
            help_text="Gesundheitsangaben: nur das Nötige, wird verschlüsselt.",
        ),
        # Deutsch am Arbeitsplatz
        _level(
            "german_at_work",
            "Verständigung auf Deutsch im Arbeitsalltag",
            is_required=True,
        ),
        _level("german_instructions", "Arbeitsanweisungen auf Deutsch verstehen"),
        _level("german_safety_signs", "Sicherheitshinweise und Schilder lesen"),
        _level("german_written_reports", "Einfache Berichte/Formulare auf Deutsch schreiben"),
        _item(
            "other_work_language",
            "Weitere Sprache für die Arbeit",
            "code",
            code_list="language",
        ),
    ],
}

SEED_TEMPLATES: tuple[dict[str, Any], ...] = (LABOUR_MARKET_GENERAL,)
