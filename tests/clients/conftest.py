"""Helpers for client-file tests: a valid intake body, creating a file over HTTP.

The fixtures ``adviser`` and ``other_adviser`` and the audit look-ups ``events`` and
``last_seq`` live in tests/conftest.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any


def intake(**overrides: Any) -> dict[str, Any]:
    """A valid POST /clients body with synthetic (obviously fake) values."""
    body: dict[str, Any] = {
        "first_name": "Testa",
        "last_name": "Beispielfrau",
        "birth_date": "1990-04-12",
        "birth_place": "Testort",
        "nationality": ["SY"],
        "address": "Musterweg 1, 49074 Testdorf",
        "phone": "+49 541 000000",
        "email": "testa@example.org",
        "notes": "Erste Notiz.",
        "gender": "female",
        "residence_status": "AE_25_2_GFK",
        "entered_germany_on": "2024-02-01",
        "moved_in_on": "2024-03-15",
        "moved_in_from_abroad": True,
        "municipality": "03459024",
        "receives_sgb2": True,
        "languages": ["ar", "en"],
        "interpreter_needed": True,
    }
    body.update(overrides)
    return body


def create(http, **overrides: Any) -> dict[str, Any]:
    """Create a client and return the response body (asserts 201)."""
    response = http.post("/api/v1/clients", json=intake(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


TODAY = date.today()
