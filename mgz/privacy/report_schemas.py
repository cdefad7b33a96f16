"""The JSON shape of the access report (``GET .../subject-access-report.json``)."""

from __future__ import annotations

from marshmallow import fields as ma

from mgz.core.schemas import OutputSchema


class ReportFieldSchema(OutputSchema):
    """One field: German label, value (decrypted), and the labels of its codes."""

    name = ma.String(metadata={"description": "Name des Feldes in der API"})
    label = ma.String(metadata={"description": "Bezeichnung auf Deutsch"})
    value = ma.Raw(allow_none=True, metadata={"description": "Wert (entschlüsselt)"})
    value_label = ma.Raw(
        allow_none=True,
        metadata={"description": "Bezeichnung des Codes (Liste bei mehreren Codes), Name, Kurs"},
    )


class ReportRecordSchema(OutputSchema):
    """One record and the sections shown under it (the steps of a course referral)."""

    fields = ma.List(ma.Nested(ReportFieldSchema))
    children = ma.List(ma.Nested(lambda: ReportSectionSchema()))


class ReportSectionSchema(OutputSchema):
    """All records of one type, with purpose and legal basis."""

    key = ma.String(metadata={"description": "Tabelle"})
    title = ma.String()
    # Free text, not the codes of processing_purpose / legal_basis (those are in consents).
    purpose_text = ma.String(attribute="purpose", metadata={"description": "Zweck"})
    legal_basis_text = ma.String(
        attribute="legal_basis", metadata={"description": "Rechtsgrundlage"}
    )
    records = ma.List(ma.Nested(ReportRecordSchema))


class LogEntrySchema(OutputSchema):
    """One event of the data-protection log about the file (no hash chain, no request id)."""

    occurred_at = ma.DateTime()
    action = ma.String()
    description = ma.String()
    outcome = ma.String()
    role = ma.String(allow_none=True)
    staff_name = ma.String(allow_none=True)
    fields = ma.List(ma.String(), metadata={"description": "betroffene Felder"})


class AccessReportSchema(OutputSchema):
    """Auskunft nach Art. 15 DSGVO: alle Daten der Person, entschlüsselt und benannt."""

    client_id = ma.UUID()
    case_number = ma.String()
    generated_at = ma.DateTime()
    sections = ma.List(ma.Nested(ReportSectionSchema))
    advisers = ma.List(ma.String(), metadata={"description": "zuständige Berater*innen"})
    log = ma.List(ma.Nested(LogEntrySchema))
    log_total = ma.Integer(metadata={"description": "Ereignisse im Protokoll insgesamt"})
    log_truncated = ma.Boolean(
        metadata={"description": "true: nur die neuesten Ereignisse (log) sind enthalten"}
    )
