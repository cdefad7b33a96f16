"""What the access report calls each record type and each field, in German, and why mgz keeps it.

Which record types the report contains is derived from the model registry
(:func:`mgz.privacy.access_report.section_models`); this module only names them. A
record type or a column without a title or label here is still shown, under its
technical name, and the completeness tests fail (tests/privacy), so nothing new is
left out or stays unnamed unnoticed.

Purposes and legal bases are the ones the data-protection concept names for the
Migrationszentrum (Art. 6 Abs. 1 lit. e, Abs. 3 DSGVO with the Sozialdatenschutz of
§ 35 SGB I and §§ 67 ff. SGB X); the data-protection officer confirms the wording.
"""

from __future__ import annotations

from dataclasses import dataclass

# The general legal basis of a record kept by the Migrationszentrum for its advice.
TASK_BASIS = (
    "Art. 6 Abs. 1 lit. e, Abs. 3 DSGVO i. V. m. § 35 SGB I und §§ 67a–67c SGB X "
    "(Erfüllung der Aufgaben der Beratung und Integration)"
)


@dataclass(frozen=True)
class SectionText:
    """Title, purpose and legal basis of one record type (one table) in the report."""

    title: str
    purpose: str
    legal_basis: str = TASK_BASIS


SECTIONS: dict[str, SectionText] = {
    "clients": SectionText(
        "Stammdaten",
        "Führung Ihrer Akte im Migrationszentrum: wer Sie sind, wie wir Sie erreichen, "
        "Ihr Aufenthalt und Wohnort als Grundlage der Beratung.",
    ),
    "consultations": SectionText(
        "Beratungsgespräche",
        "Dokumentation des Erstgesprächs und der Folgegespräche, damit die Beratung "
        "nachvollziehbar fortgesetzt werden kann.",
    ),
    "profilings": SectionText(
        "Profilings",
        "Einschätzung von Schulbildung, Ausbildung, Berufserfahrung, Sprachkenntnissen "
        "und Handlungsbedarf, um passende Angebote zu finden.",
        TASK_BASIS + "; Angaben zur Gesundheit: Art. 9 Abs. 2 lit. b DSGVO",
    ),
    "competence_assessments": SectionText(
        "Kompetenzfeststellungen",
        "Festhalten vorhandener Kompetenzen anhand einer Checkliste, für die Vermittlung "
        "in Arbeit, Ausbildung oder Kurse.",
    ),
    "qualifications": SectionText(
        "Qualifikationen und Anerkennung",
        "Ihre Abschlüsse und der Stand ihrer Anerkennung, für die Beratung zur "
        "Anerkennung und die Vermittlung.",
    ),
    "course_referrals": SectionText(
        "Kursvermittlungen (KIM)",
        "Vermittlung in Sprach- und Integrationskurse, Wartelisten und Kursverlauf.",
    ),
    "course_referral_steps": SectionText(
        "Verlauf der Kursvermittlung",
        "Jeder Statuswechsel einer Kursvermittlung mit Datum, für den Verlauf und die Wartezeiten.",
    ),
    "placements": SectionText(
        "Vermittlungen in Arbeit und Ausbildung",
        "Vermittlungen in Arbeit oder Ausbildung und die Nachfrage nach sechs Monaten.",
    ),
    "benefits": SectionText(
        "Leistungsbezug",
        "Zeiträume des Bezugs von Leistungen (z. B. SGB II), soweit sie für die "
        "Beratung und die Kennzahlen nach § 48a SGB II nötig sind.",
        TASK_BASIS + "; § 51b SGB II",
    ),
    "measures": SectionText(
        "Maßnahmen",
        "Maßnahmen der Arbeitsförderung und Weiterbildung, an denen Sie teilnehmen.",
    ),
    "break_glass_accesses": SectionText(
        "Zugriffe auf Ihre Akte mit Begründung",
        "Nachweis, wann Mitarbeitende, die für Ihre Akte nicht zuständig sind, die Akte "
        "mit Angabe eines Grundes geöffnet haben (Kontrolle der Zugriffe).",
        "Art. 6 Abs. 1 lit. c, Art. 5 Abs. 2 und Art. 32 DSGVO (Nachweis und Sicherheit "
        "der Verarbeitung)",
    ),
    "consents": SectionText(
        "Rechtsgrundlagen und Einwilligungen",
        "Nachweis, auf welcher Rechtsgrundlage wir Ihre Daten für welchen Zweck "
        "verarbeiten, welche Einwilligungen Sie erteilt und ob Sie sie widerrufen haben.",
        "Art. 7 Abs. 1 und Art. 5 Abs. 2 DSGVO (Nachweis der Einwilligung und der Rechtmäßigkeit)",
    ),
    "legal_holds": SectionText(
        "Löschsperren",
        "Gründe, aus denen Ihre Akte noch nicht gelöscht werden darf (z. B. ein offenes "
        "Verfahren), und wann sie aufgehoben wurden.",
        "Art. 17 Abs. 3 lit. b und e DSGVO, § 84 SGB X",
    ),
}
ADVISERS = SectionText(
    "Zuständige Berater*innen",
    "Wer Ihre Akte führt und sie ohne besondere Begründung öffnen darf.",
)
ACCESS_LOG = SectionText(
    "Protokoll: wer Ihre Akte gelesen oder geändert hat",
    "Datenschutzprotokoll über jeden Zugriff auf Ihre Daten (Kontrolle der Zugriffe, "
    "Nachweis der Rechtmäßigkeit).",
    "Art. 6 Abs. 1 lit. c, Art. 5 Abs. 2 und Art. 32 DSGVO",
)


@dataclass(frozen=True)
class FieldText:
    """German label of a field and, for a code field, the code list of its labels."""

    label: str
    code_list: str | None = None


# Fields of the same name mean the same in every table (unless a table says otherwise).
COMMON_FIELDS: dict[str, FieldText] = {
    "adviser_id": FieldText("Berater*in"),
    "created_at": FieldText("Angelegt am"),
    "updated_at": FieldText("Zuletzt geändert am"),
    "notes": FieldText("Notizen"),
    "remarks": FieldText("Bemerkungen"),
    "next_steps": FieldText("Nächste Schritte"),
    "residence_status": FieldText("Aufenthaltsstatus", "residence_status"),
    "residence_status_group": FieldText("Gruppe des Aufenthaltsstatus", "residence_status_group"),
    "receives_sgb2": FieldText("Bezug von Leistungen nach SGB II"),
    "course_type": FieldText("Kursart", "course_type"),
    "course_id": FieldText("Kurs"),
    "status": FieldText("Status"),
    "status_on": FieldText("Status seit"),
    "kldb_code": FieldText("Beruf (KldB 2010)"),
    "isced_level": FieldText("Bildungsniveau (ISCED)", "isced_level"),
    "country": FieldText("Land", "country"),
    "language": FieldText("Sprache", "language"),
    "starts_on": FieldText("Beginn"),
    "ends_on": FieldText("Ende"),
}

FIELDS: dict[str, dict[str, FieldText]] = {
    "clients": {
        "case_number": FieldText("Aktenzeichen"),
        "first_name": FieldText("Vorname"),
        "last_name": FieldText("Nachname"),
        "birth_date": FieldText("Geburtsdatum"),
        "birth_place": FieldText("Geburtsort"),
        "nationality": FieldText("Staatsangehörigkeit", "country"),
        "address": FieldText("Anschrift"),
        "phone": FieldText("Telefon"),
        "email": FieldText("E-Mail"),
        "birth_year": FieldText("Geburtsjahr"),
        "gender": FieldText("Geschlecht", "gender"),
        "citizenship_group": FieldText("Gruppe der Staatsangehörigkeit", "citizenship_group"),
        "is_protection_seeker": FieldText("Schutzsuchend"),
        "entered_germany_on": FieldText("Einreise nach Deutschland am"),
        "moved_in_on": FieldText("Zuzug in den Landkreis am"),
        "moved_in_from_abroad": FieldText("Zuzug direkt aus dem Ausland"),
        "age_at_move_in": FieldText("Alter beim Zuzug"),
        "municipality": FieldText("Wohnort (Gemeinde)", "municipality"),
        "languages": FieldText("Sprachen", "language"),
        "interpreter_needed": FieldText("Dolmetschung nötig"),
        "created_by_id": FieldText("Angelegt von"),
    },
    "consultations": {
        "kind": FieldText("Art des Gesprächs"),
        "held_on": FieldText("Datum"),
        "channel": FieldText("Kontaktweg", "consultation_channel"),
        "duration_minutes": FieldText("Dauer (Minuten)"),
        "interpreter_used": FieldText("Mit Dolmetschung"),
        "topics": FieldText("Themen", "consultation_topic"),
        "referrals_out": FieldText("Weitervermittelt an", "referral_institution"),
        "residence_status_group_then": FieldText(
            "Gruppe des Aufenthaltsstatus damals", "residence_status_group"
        ),
        "protection_seeker_then": FieldText("Damals schutzsuchend"),
    },
    "profilings": {
        "sequence": FieldText("Nummer"),
        "profiled_on": FieldText("Datum"),
        "schooling_years": FieldText("Schuljahre"),
        "schooling_isced_level": FieldText("Schulabschluss (ISCED)", "isced_level"),
        "schooling_country": FieldText("Land der Schulbildung", "country"),
        "schooling_certificate": FieldText("Schulzeugnis"),
        "education": FieldText("Ausbildung und Studium"),
        "work_experience": FieldText("Berufserfahrung"),
        "german_skills": FieldText("Deutschkenntnisse"),
        "german_certificate": FieldText("Deutsch-Zertifikat"),
        "other_languages": FieldText("Weitere Sprachen"),
        "is_literate_latin": FieldText("Alphabetisiert in lateinischer Schrift"),
        "driving_licences": FieldText("Führerscheine"),
        "strengths": FieldText("Stärken", "competence_class"),
        "need_qualification": FieldText("Handlungsbedarf Qualifikation", "need_rating"),
        "need_capability": FieldText("Handlungsbedarf Leistungsfähigkeit", "need_rating"),
        "need_motivation": FieldText("Handlungsbedarf Motivation", "need_rating"),
        "need_framework_conditions": FieldText("Handlungsbedarf Rahmenbedingungen", "need_rating"),
        "framework_needs": FieldText("Rahmenbedingungen im Einzelnen"),
        "main_need": FieldText("Wichtigster Handlungsbedarf", "key_factor"),
        "health_remarks": FieldText("Angaben zur Gesundheit"),
        "suggested_profile_type": FieldText("Vorgeschlagener Profiltyp", "profile_type"),
        "profile_type": FieldText("Profiltyp", "profile_type"),
        "profile_type_group": FieldText("Profilgruppe", "profile_type_group"),
        "override_reason": FieldText("Begründung der Abweichung"),
        "integration_goal": FieldText("Integrationsziel", "integration_goal"),
    },
    "competence_assessments": {
        "checklist_id": FieldText("Checkliste"),
        "assessed_on": FieldText("Datum"),
        "answers": FieldText("Antworten"),
        "text_answers": FieldText("Antworten als Text"),
    },
    "qualifications": {
        "kind": FieldText("Art"),
        "year": FieldText("Jahr"),
        "documents_available": FieldText("Unterlagen vorhanden"),
        "recognition_status": FieldText("Stand der Anerkennung", "recognition_status"),
        "counselling_referred_on": FieldText("Zur Anerkennungsberatung am"),
        "applied_on": FieldText("Antrag gestellt am"),
        "decided_on": FieldText("Entschieden am"),
        "title": FieldText("Bezeichnung"),
        "competent_body": FieldText("Zuständige Stelle"),
    },
    "course_referrals": {
        "referred_on": FieldText("Vermittelt am"),
        "started_on": FieldText("Kursbeginn am"),
        "waiting_days": FieldText("Wartezeit (Tage)"),
        "waitlisted": FieldText("Auf der Warteliste"),
        "entitlement": FieldText("Berechtigung", "course_entitlement"),
        "entitlement_notice_on": FieldText("Berechtigung erteilt am"),
        "childcare_needed": FieldText("Kinderbetreuung nötig"),
        "childcare_solved": FieldText("Kinderbetreuung geklärt"),
        "mobility_barrier": FieldText("Fahrtweg ein Hindernis"),
        "mobility_solved": FieldText("Fahrtweg geklärt"),
        "dtz_result": FieldText("Ergebnis Deutsch-Test für Zuwanderer", "dtz_result"),
        "lid_passed": FieldText("Test Leben in Deutschland bestanden"),
        "drop_reason": FieldText("Grund des Abbruchs", "drop_reason"),
    },
    "course_referral_steps": {
        "recorded_by_id": FieldText("Erfasst von"),
        "recorded_at": FieldText("Erfasst am"),
    },
    "placements": {
        "placed_on": FieldText("Vermittelt am"),
        "kind": FieldText("Art", "placement_outcome"),
        "weekly_hours": FieldText("Wochenstunden"),
        "employer_sector": FieldText("Branche", "employer_sector"),
        "follow_up_due_on": FieldText("Nachfrage fällig am"),
        "follow_up_checked_on": FieldText("Nachgefragt am"),
        "still_employed": FieldText("Nach sechs Monaten noch beschäftigt"),
    },
    "benefits": {
        "kind": FieldText("Leistung", "benefit_kind"),
        "from_on": FieldText("Von"),
        "to_on": FieldText("Bis"),
    },
    "measures": {
        "kind": FieldText("Maßnahme", "measure_kind"),
        "outcome": FieldText("Ergebnis"),
        "provider": FieldText("Träger"),
    },
    "break_glass_accesses": {
        "user_id": FieldText("Mitarbeiter*in"),
        "reason_code": FieldText("Grund", "break_glass_reason"),
        "reason": FieldText("Begründung (Text)"),
        "accessed_at": FieldText("Zeitpunkt"),
    },
    "consents": {
        "purpose": FieldText("Zweck", "processing_purpose"),
        "legal_basis": FieldText("Rechtsgrundlage", "legal_basis"),
        "units": FieldText("Stellen des Datenaustauschs", "data_exchange_unit"),
        "given_on": FieldText("Erteilt am (bei anderen Grundlagen: erfasst ab)"),
        "consent_form": FieldText("Form der Einwilligung", "consent_form"),
        "withdrawn_on": FieldText("Widerrufen am"),
        "recorded_by_id": FieldText("Erfasst von"),
        "withdrawn_by_id": FieldText("Widerruf erfasst von"),
        "scope": FieldText("Umfang der Einwilligung"),
        "witness_name": FieldText("Zeugin/Zeuge der mündlichen Einwilligung"),
    },
    "legal_holds": {
        "reason": FieldText("Grund", "legal_hold_reason"),
        "until": FieldText("Bis"),
        "placed_at": FieldText("Gesetzt am"),
        "placed_by": FieldText("Gesetzt von"),
        "released_at": FieldText("Aufgehoben am"),
        "released_by": FieldText("Aufgehoben von"),
    },
}

# Names the API's requests use for groups of columns (the log names them so).
LOG_FIELDS: dict[str, FieldText] = {
    "schooling": FieldText("Schulbildung"),
    "needs": FieldText("Handlungsbedarf"),
}
# Keys inside structured fields (education, languages, German skills), for the page.
NESTED_KEYS: dict[str, str] = {
    "kind": "Art",
    "isced_level": "ISCED",
    "kldb_code": "KldB",
    "is_completed": "abgeschlossen",
    "country": "Land",
    "year": "Jahr",
    "years": "Jahre",
    "language": "Sprache",
    "level": "Niveau",
    "is_certified": "zertifiziert",
    "listening": "Hören",
    "speaking": "Sprechen",
    "reading": "Lesen",
    "writing": "Schreiben",
}

# Values of fields without a code list (fixed in the code): their German words.
VALUE_LABELS: dict[str, str] = {
    # consultations.kind
    "first": "Erstgespräch",
    "follow_up": "Folgegespräch",
    # qualifications.kind, documents_available
    "school": "Schulabschluss",
    "vocational": "Berufsabschluss",
    "academic": "Studienabschluss",
    "yes": "ja",
    "no": "nein",
    "partly": "teilweise",
    "unknown": "unbekannt",
    # course referral status
    "planned": "geplant",
    "referred": "vermittelt",
    "registered": "angemeldet",
    "started": "begonnen",
    "completed": "abgeschlossen",
    "dropped": "abgebrochen",
    "no_show": "nicht erschienen",
    "cancelled": "storniert",
}
# Fields whose values are those words (besides fields with a code list).
WORDED_FIELDS = frozenset({"kind", "documents_available", "status", "still_employed", "outcome"})


def field_text(table: str, name: str) -> FieldText | None:
    """The German label (and code list) of ``table.name``, or None if none is declared."""
    return FIELDS.get(table, {}).get(name) or COMMON_FIELDS.get(name)


# --- the data-protection log ------------------------------------------------------------

ROLE_LABELS: dict[str, str] = {
    "adviser": "Beratung",
    "statistician": "Statistik",
    "auditor": "Datenschutzkontrolle",
    "admin": "Administration",
    "system": "System (automatischer Vorgang)",
}
OUTCOME_LABELS: dict[str, str] = {
    "success": "ausgeführt",
    "denied": "abgelehnt",
    "failure": "fehlgeschlagen",
    "error": "Fehler",
}
# The record an event names (the part of the action before the dot).
OBJECT_LABELS: dict[str, str] = {
    "client": "Akte",
    "consultation": "Beratungsgespräch",
    "profiling": "Profiling",
    "competence_assessment": "Kompetenzfeststellung",
    "qualification": "Qualifikation",
    "course_referral": "Kursvermittlung",
    "placement": "Vermittlung in Arbeit oder Ausbildung",
    "benefit": "Leistungsbezug",
    "measure": "Maßnahme",
    "keys": "Schlüssel",
    "crypto": "Verschlüsselung",
    "consent": "Einwilligung oder Rechtsgrundlage",
    "legal_hold": "Löschsperre",
}
VERB_LABELS: dict[str, str] = {
    "read": "gelesen",
    "list": "Liste gelesen",
    "create": "angelegt",
    "update": "geändert",
    "delete": "gelöscht",
    "access": "Zugriff",
    "search": "in einer Suche gefunden",
    "duplicate_check": "Dublettenprüfung",
    "set_advisers": "Zuständigkeit geändert",
    "derive": "abgeleitete Angaben berechnet",
    "move_up": "auf der Warteliste nachgerückt",
    "status": "Status geändert",
    "follow_up": "Nachfrage erfasst",
    "withdraw": "widerrufen",
    "place": "gesetzt",
    "release": "aufgehoben",
}
# Whole actions whose description is not "<record>: <verb>".
ACTION_LABELS: dict[str, str] = {
    "client.break_glass": "Akte geöffnet ohne Zuständigkeit, mit Begründung",
    "client.break_glass_read": "Zugriffe mit Begründung gelesen",
    "client.access_report": "Auskunft nach Art. 15 DSGVO erstellt",
    "keys.shred": "Schlüssel vernichtet (Daten gelöscht)",
    "crypto.decrypt": "Entschlüsselung fehlgeschlagen",
    "client.erase": "Löschung der Akte",
    "client.erased": "Akte gelöscht",
    "consent.required": "Verarbeitung ohne Rechtsgrundlage abgelehnt",
}


def action_label(action: str) -> str:
    """A German description of an audit action (the code itself if nothing fits)."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    subject, _, verb = action.partition(".")
    if subject in OBJECT_LABELS and verb in VERB_LABELS:
        return f"{OBJECT_LABELS[subject]}: {VERB_LABELS[verb]}"
    return f"Vorgang {action}"
