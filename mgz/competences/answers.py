"""Validation of checklist answers against the version they answer."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from mgz.competences.models import Checklist, CompetenceAssessment
from mgz.reference import service as reference

MAX_TEXT_ANSWER = 2000


# --- answers ------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    # math.isfinite(10**400) raises OverflowError: ints are finite, but bounded here.
    return abs(value) <= 2**53 if isinstance(value, int) else math.isfinite(value)


def _answer_error(
    session: Session, item: Mapping[str, Any], value: Any, allow_withdrawn: bool
) -> str | None:
    """The German message for a wrong answer to ``item``, or None."""
    kind = item["answer_type"]
    if kind == "yes_no":
        return None if isinstance(value, bool) else "Antwort muss true oder false sein."
    if kind == "level_0_3":
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
            return None
        return "Antwort muss eine Stufe von 0 bis 3 sein."
    if kind == "number":
        if not _is_number(value):
            return "Antwort muss eine Zahl sein."
        low, high = item.get("min_value"), item.get("max_value")
        if low is not None and value < low:
            return f"Antwort muss mindestens {low:g} sein."
        if high is not None and value > high:
            return f"Antwort darf höchstens {high:g} sein."
        return None
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            return "Antwort muss ein nicht leerer Text sein."
        if len(value) > MAX_TEXT_ANSWER:
            return f"Höchstens {MAX_TEXT_ANSWER} Zeichen."
        return None
    # kind == "code"
    if not isinstance(value, str) or not reference.is_valid(
        session, item["code_list"], value, allow_withdrawn=allow_withdrawn
    ):
        return reference.unknown_code(item["code_list"])
    return None


def validate_answers(
    session: Session,
    checklist: Checklist,
    answers: Mapping[str, Any],
    *,
    allow_withdrawn: bool = False,
) -> dict[str, list[str]]:
    """Errors per ``answers.<item key>``: unknown item, wrong type, out of range, missing.

    ``allow_withdrawn=True`` re-validates a stored assessment, whose codes may have
    been withdrawn from their list since.
    """
    errors: dict[str, list[str]] = {}
    items = {item["key"]: item for item in checklist.items}
    for key in answers:
        if key in items:
            continue
        # Never name an unknown key: it may be a value typed into the wrong place
        # (a name looks like an item key too), and errors never echo submitted text.
        errors.setdefault("answers._unknown", []).append(
            "Diese Frage gibt es in der Checkliste nicht."
        )
    for key, item in items.items():
        value = answers.get(key)
        if value is None:
            if item.get("is_required"):
                errors[f"answers.{key}"] = ["Pflichtfrage nicht beantwortet."]
            continue
        message = _answer_error(session, item, value, allow_withdrawn)
        if message:
            errors[f"answers.{key}"] = [message]
    return errors


def revalidate(session: Session, assessment: CompetenceAssessment) -> dict[str, list[str]]:
    """Check a stored assessment against the version it answered (empty: still valid)."""
    merged = {**(assessment.answers or {}), **(assessment.text_answers or {})}
    return validate_answers(session, assessment.checklist, merged, allow_withdrawn=True)
