"""Helpers for profiling tests: a valid profiling body with synthetic values."""

from __future__ import annotations

from typing import Any

import pytest

from tests.clients.conftest import create


def profiling_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /profilings body: needs in qualification only -> FP."""
    body: dict[str, Any] = {
        "profiled_on": "2024-04-02",
        "schooling": {"years": 9, "isced_level": "2", "country": "SY", "certificate": "Zeugnis"},
        "education": [
            {
                "kind": "vocational",
                "isced_level": "3",
                "kldb_code": "26112",
                "is_completed": False,
                "country": "SY",
                "year": 2012,
            }
        ],
        "work_experience": [{"kldb_code": "26112", "years": 6}, {"kldb_code": "5", "years": 1.5}],
        "german_skills": {
            "listening": {"level": "A2", "is_certified": False},
            "speaking": {"level": "A2"},
            "reading": {"level": "A1", "is_certified": True},
        },
        "german_certificate": "Kurstest A1",
        "other_languages": [{"language": "ar", "level": "C2"}, {"language": "en", "level": "A2"}],
        "is_literate_latin": True,
        "driving_licences": ["B"],
        "strengths": ["activity_implementation", "social_communicative"],
        "needs": {
            "qualification": "some",
            "capability": "none",
            "motivation": "none",
            "framework_conditions": "none",
        },
        "health_remarks": "Keine Angaben.",
        "profile_type": "FP",
        "integration_goal": "language_course",
        "next_steps": "Integrationskurs anmelden.",
        "notes": "Notiz zum Profiling.",
    }
    body.update(overrides)
    return body


@pytest.fixture
def file(adviser):
    """A client file of the ``adviser``."""
    return create(adviser)


def url(file: dict[str, Any], suffix: str = "") -> str:
    """The profilings URL of ``file``."""
    return f"/api/v1/clients/{file['id']}/profilings{suffix}"
