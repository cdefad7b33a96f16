"""The access report (Art. 15 DSGVO): complete, derived from the registry, only this client's."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from sqlalchemy import select

from mgz.audit.models import AuditEvent
from mgz.clients.models import Client
from mgz.core.db import Base
from mgz.crypto.registry import spec_of
from mgz.crypto.types import decrypt_fields
from mgz.privacy import access_report
from mgz.privacy.access_report import (
    client_models,
    missing_sections,
    section_models,
    unlabelled,
)
from tests.conftest import events, last_seq
from tests.privacy.conftest import report_url


def _values(report: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """Every record (as {field: value}) of ``table``, wherever it is nested."""
    found = []

    def walk(sections: list[dict[str, Any]]) -> None:
        for section in sections:
            for item in section["records"]:
                if section["key"] == table:
                    found.append({f["name"]: f["value"] for f in item["fields"]})
                walk(item["children"])

    walk(report["sections"])
    return found


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def test_every_encrypted_model_of_a_client_is_a_section():
    # Derived from the registry: a new encrypted model of a client that the report
    # left out would be listed here.
    assert client_models(Base.metadata), "the registry knows client models"
    assert missing_sections(section_models()) == []


def test_the_completeness_check_fails_when_a_section_is_dropped():
    sections = section_models()
    for dropped in sections:
        if dropped.cls in client_models():
            rest = [s for s in sections if s is not dropped]
            assert missing_sections(rest) == [dropped.table]


def test_every_section_and_field_has_a_german_text():
    assert unlabelled(section_models()) == []


def test_referral_steps_hang_under_their_referral_and_keys_are_no_section():
    by_table = {s.table: s for s in section_models()}
    assert by_table["course_referral_steps"].parent == "course_referrals"
    assert "data_keys" not in by_table
    assert "user_totp_secrets" not in by_table  # a staff secret, not a client's


def test_report_contains_every_record_type_with_decrypted_values(app, db, adviser, populated):
    client_id = populated["mine"]["id"]
    response = adviser.get(report_url(client_id))
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["case_number"] == populated["mine"]["case_number"]
    # Every encrypted model of a client has rows for this client, and every decrypted
    # value of every row is in the report (a new model without rows fails here).
    for model in client_models():
        spec = spec_of(model)
        rows = list(
            db.scalars(select(model).where(getattr(model, spec.subject) == uuid.UUID(client_id)))
        )
        assert rows, f"the populated file has no {model.__tablename__}"
        with app.app_context():
            decrypt_fields(*rows)
        shown = _values(report, model.__tablename__)
        assert len(shown) == len(rows), model.__tablename__
        for row in rows:
            for name in spec.fields:
                value = getattr(row, name)
                if value is None:
                    continue
                assert any(item.get(name) == _plain(value) for item in shown), (
                    model.__tablename__,
                    name,
                )
    mine = populated["mine_canary"]
    body = json.dumps(report, ensure_ascii=False)
    assert f"Vertretung {mine}" in body  # the colleague's break-glass text: the client's
    assert "Zeugnis " + mine in body


def test_steps_of_a_referral_are_shown_under_it(adviser, populated):
    report = adviser.get(report_url(populated["mine"]["id"])).get_json()
    referrals = next(s for s in report["sections"] if s["key"] == "course_referrals")
    steps = referrals["records"][0]["children"]
    assert [child["key"] for child in steps] == ["course_referral_steps"]
    assert steps[0]["title"] == "Verlauf der Kursvermittlung"
    assert [f["value"] for f in steps[0]["records"][0]["fields"] if f["name"] == "status"] == [
        "referred"
    ]
    assert not any(s["key"] == "course_referral_steps" for s in report["sections"])


def test_codes_staff_and_courses_are_named_in_german(adviser, populated):
    report = adviser.get(report_url(populated["mine"]["id"])).get_json()
    stammdaten = next(s for s in report["sections"] if s["key"] == "clients")
    assert stammdaten["title"] == "Stammdaten"
    assert "Art. 6" in stammdaten["legal_basis_text"]
    assert stammdaten["purpose_text"].startswith("Führung Ihrer Akte")
    fields = {f["name"]: f for f in stammdaten["records"][0]["fields"]}
    assert fields["first_name"]["label"] == "Vorname"
    assert fields["gender"]["value_label"] == "weiblich"
    assert fields["created_by_id"]["value"] == adviser.user.username
    assert None not in fields["languages"]["value_label"]
    assert "identity_index" not in fields and "id" not in fields
    referral = _values(report, "course_referrals")[0]
    assert referral["adviser_id"] == adviser.user.username
    assert report["advisers"] == [adviser.user.username]


def test_no_data_of_another_client(adviser, populated):
    client_id = populated["mine"]["id"]
    theirs = populated["theirs_canary"]
    for suffix in (".json", ".html", ""):
        response = adviser.get(report_url(client_id, suffix))
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert populated["mine_canary"] in text
        assert theirs not in text and theirs.lower() not in text
        assert populated["theirs"]["case_number"] not in text
        assert populated["theirs"]["id"] not in text


def test_log_names_role_and_staff_but_no_chain_request_id_or_ip(
    db, adviser, other_adviser, populated
):
    client_id = populated["mine"]["id"]
    report = adviser.get(report_url(client_id)).get_json()
    log = report["log"]
    assert log and report["log_total"] == len(log) and report["log_truncated"] is False
    assert {"occurred_at", "action", "description", "outcome", "role", "staff_name"} <= set(log[0])
    break_glass = [e for e in log if e["action"] == "client.break_glass"]
    assert break_glass and break_glass[0]["staff_name"] == other_adviser.user.username
    assert break_glass[0]["role"] == "Beratung"
    assert break_glass[0]["description"].startswith("Akte geöffnet ohne Zuständigkeit")
    created = next(e for e in log if e["action"] == "client.create")
    assert created["description"] == "Akte: angelegt"
    assert created["staff_name"] == adviser.user.username
    db.expire_all()
    own = db.scalars(
        select(AuditEvent).where(AuditEvent.object_id == populated["mine"]["case_number"])
    ).all()
    # Every event of the file before the report, and then the report's own event.
    assert len(own) == len(log) + 1 and own[-1].action == "client.access_report"
    text = json.dumps(report)
    for event in own:
        assert event.hash not in text and event.prev_hash not in text
        if event.request_id:
            assert event.request_id not in text
        if event.details:
            for value in json.loads(event.details).values():
                if isinstance(value, str) and re.fullmatch(r"[0-9a-f-]{16,}", value):
                    assert value not in text  # token ids, break-glass row ids
    assert "127.0.0.1" not in text
    for key in ("seq", "hash", "prev_hash", "request_id", "details", "object_id"):
        assert all(key not in entry for entry in log)


def test_html_is_german_printable_escaped_and_without_script(adviser, other_adviser, admin):
    from tests.clients.conftest import create

    hostile = "<script>alert(1)</script>"
    file = create(adviser, first_name=hostile, notes='"><img src=x onerror=alert(1)>')
    response = adviser.get(report_url(file["id"], ".html"))
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Auskunft nach Art. 15 DSGVO" in page and "Stammdaten" in page
    assert "@media print" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert "<img" not in page
    csp = response.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "unsafe-inline" not in csp
    assert "default-src 'none'" in csp and "style-src 'sha256-" in csp


def test_the_page_stylesheet_matches_its_csp_hash(adviser):
    import base64
    import hashlib

    from tests.clients.conftest import create

    file = create(adviser)
    response = adviser.get(report_url(file["id"], ".html"))
    page = response.get_data(as_text=True)
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]


def test_the_report_is_audited_in_its_own_transaction(db, adviser, populated):
    seq = last_seq(db)
    response = adviser.get(report_url(populated["mine"]["id"], ".html"))
    assert response.status_code == 200
    written = events(db, since=seq)
    assert [e["action"] for e in written] == ["client.access_report"]
    event = written[0]
    assert event["object_id"] == populated["mine"]["case_number"]
    assert event["outcome"] == "success"
    assert {"clients", "consultations", "course_referral_steps", "break_glass_accesses"} <= set(
        event["fields"]
    )
    assert event["details"]["format"] == "html"
    assert event["details"]["course_referral_steps"] >= 1
    assert populated["mine_canary"] not in event["raw"]


def test_the_log_of_a_later_report_shows_the_earlier_report(adviser, populated):
    client_id = populated["mine"]["id"]
    adviser.get(report_url(client_id))
    log = adviser.get(report_url(client_id)).get_json()["log"]
    assert log[-1]["action"] == "client.access_report"
    assert log[-1]["description"] == "Auskunft nach Art. 15 DSGVO erstellt"


def test_log_is_limited_to_the_newest_events(db, adviser, monkeypatch, populated):
    monkeypatch.setattr(access_report, "LOG_LIMIT", 3)
    report = adviser.get(report_url(populated["mine"]["id"])).get_json()
    assert len(report["log"]) == 3
    assert report["log_total"] > 3 and report["log_truncated"] is True
    page = adviser.get(report_url(populated["mine"]["id"], ".html")).get_data(as_text=True)
    assert "Gezeigt werden die neuesten 3 von" in page


def test_unknown_file_404_and_erased_file_410(db, adviser):
    from mgz.core.actor import Actor
    from mgz.crypto.service import shred
    from tests.clients.conftest import create

    unknown = adviser.get(report_url(str(uuid.uuid4())))
    assert unknown.status_code == 404
    assert unknown.mimetype == "application/problem+json"
    file = create(adviser)
    shred(db, Actor.system("tests"), uuid.UUID(file["id"]))
    db.flush()
    for suffix in (".json", ".html", ""):
        gone = adviser.get(report_url(file["id"], suffix))
        assert gone.status_code == 410, gone.get_json()
        assert gone.mimetype == "application/problem+json"


def test_a_refusal_is_kept_in_the_log(db, adviser, other_adviser):
    from tests.clients.conftest import create

    file = create(adviser)
    seq = last_seq(db)
    response = other_adviser.get(
        report_url(file["id"]),
        headers={"X-Access-Reason-Code": "emergency", "X-Access-Reason": "Notfall in der Akte"},
    )
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("not-responsible")
    refused = events(db, "client.access_report", since=seq)
    assert [(e["outcome"], e["details"]) for e in refused] == [
        ("denied", {"reason": "not_responsible"})
    ]
    assert db.scalar(select(Client).where(Client.id == uuid.UUID(file["id"]))) is not None


def test_every_code_list_the_report_names_exists():
    from pathlib import Path

    from mgz.privacy import report_sections

    data = Path(report_sections.__file__).parents[1] / "reference" / "data"
    named = {
        text.code_list
        for texts in [report_sections.COMMON_FIELDS, *report_sections.FIELDS.values()]
        for text in texts.values()
        if text.code_list
    }
    assert named and sorted(n for n in named if not (data / f"{n}.toml").exists()) == []


def test_consents_and_holds_are_shown_with_their_labels(adviser, populated):
    report = adviser.get(report_url(populated["mine"]["id"])).get_json()
    consents = next(s for s in report["sections"] if s["key"] == "consents")
    fields = {f["name"]: f for f in consents["records"][0]["fields"]}
    assert fields["legal_basis"]["value_label"].startswith("Einwilligung")
    assert fields["purpose"]["value"] == "data_exchange"
    assert fields["witness_name"]["value"] == f"Zeugin {populated['mine_canary']}"
    holds = next(s for s in report["sections"] if s["key"] == "legal_holds")
    assert holds["records"][0]["fields"][0]["value"] == "legal_proceedings"
