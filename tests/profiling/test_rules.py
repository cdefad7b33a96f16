"""The Profillagen rules of the 4-phase model, table-driven (no database)."""

import pytest

from mgz.profiling.rules import suggest_profile_type


def needs(q="none", c="none", m="none", f="none"):
    return {"qualification": q, "capability": c, "motivation": m, "framework_conditions": f}


@pytest.mark.parametrize(
    ("ratings", "main_need", "expected"),
    [
        # MP: no need in any key factor
        (needs(), None, "MP"),
        # AP: a need in motivation only, whatever its strength
        (needs(m="some"), None, "AP"),
        (needs(m="strong"), None, "AP"),
        # FP: need in qualification, capability or framework conditions, not complex
        (needs(q="some"), None, "FP"),
        (needs(c="strong"), None, "FP"),
        (needs(f="some", m="strong"), None, "FP"),
        (needs(q="strong", c="strong"), None, "FP"),  # strong, but only one further need
        (needs(q="some", c="some", m="some"), None, "FP"),  # three needs, none strong
        (needs(q="some", c="some", m="some", f="some"), None, "FP"),
        (needs(m="strong", q="some", c="some"), None, "FP"),  # motivation is no main need
        # EP: main need qualification (strong) + >= 2 further
        (needs(q="strong", c="some", m="some"), None, "EP"),
        (needs(q="strong", m="some", f="some"), None, "EP"),
        (needs(q="strong", c="some", m="some", f="some"), None, "EP"),
        # SP: main need capability (strong) + >= 2 further
        (needs(c="strong", q="some", f="some"), None, "SP"),
        (needs(c="strong", m="strong", f="some"), None, "SP"),
        # UP: main need framework conditions (strong) + >= 2 further
        (needs(f="strong", q="some", m="some"), None, "UP"),
        # several strong: capability before framework conditions before qualification
        (needs(q="strong", c="strong", f="strong"), None, "SP"),
        (needs(q="strong", f="strong", m="some"), None, "UP"),
        # ... unless the adviser names the main need
        (needs(q="strong", c="strong", f="strong"), "qualification", "EP"),
        (needs(q="strong", c="strong", f="some"), "qualification", "EP"),
        # a named main need that is not strong is ignored
        (needs(q="some", c="strong", f="some"), "qualification", "SP"),
    ],
)
def test_suggested_profile_type(ratings, main_need, expected):
    assert suggest_profile_type(ratings, main_need) == expected
