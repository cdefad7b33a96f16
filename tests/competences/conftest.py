"""Helpers for competence tests: an admin, a test checklist with every answer type."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.clients.conftest import create

CHECKLISTS = "/api/v1/checklists"


def checklist_items() -> list[dict[str, Any]]:
    """One item per answer type; the first three are required."""
    return [
        {"key": "forklift", "label": "Staplerschein", "answer_type": "yes_no", "is_required": True},
        {"key": "welding", "label": "Schweißen", "answer_type": "level_0_3", "is_required": True,
         "help_text": "0 = keine, 3 = sehr gute Kenntnisse"},
        {"key": "area", "label": "Berufsbereich", "answer_type": "code", "code_list": "kldb_area",
         "is_required": True},
        {"key": "commute", "label": "Arbeitsweg (Minuten)", "answer_type": "number",
         "min_value": 0, "max_value": 120},
        {"key": "weight", "label": "Gewicht heben (kg)", "answer_type": "number"},
        {"key": "tools", "label": "Welche Werkzeuge?", "answer_type": "text"},
    ]  # fmt: skip


def answers_for(**overrides: Any) -> dict[str, Any]:
    """Valid answers to :func:`checklist_items`."""
    answers: dict[str, Any] = {
        "forklift": True,
        "welding": 2,
        "area": "2",
        "commute": 45,
        "weight": 12.5,
        "tools": "Winkelschleifer",
    }
    answers.update(overrides)
    return answers


@pytest.fixture
def admin(app, db):
    """A client signed in as a new admin."""
    return factories.signed_in_client(app, db, factories.make_user(db, roles=("admin",)))


def make_checklist(admin, key: str = "test_list", items=None, publish: bool = True) -> dict:
    """Create (and publish) a checklist through the API; returns its body."""
    response = admin.post(
        CHECKLISTS, json={"key": key, "title": "Testliste", "items": items or checklist_items()}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    if publish:
        published = admin.post(f"{CHECKLISTS}/{body['id']}/publish")
        assert published.status_code == 200, published.get_json()
        body = published.get_json()
    return body


@pytest.fixture
def checklist(admin):
    """A published test checklist (version 1)."""
    return make_checklist(admin)


@pytest.fixture
def file(adviser):
    """A client file of the ``adviser``."""
    return create(adviser)


def client_url(file: dict[str, Any], suffix: str) -> str:
    """``/api/v1/clients/{id}/{suffix}``."""
    return f"/api/v1/clients/{file['id']}/{suffix}"
