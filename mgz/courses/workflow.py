"""The status workflow of a course referral and which statuses hold a course place.

Plain constants and one rule, no database: the statistics read them to count open
referrals and places without importing the models (which hold encrypted fields).

A referral moves ``planned → referred → registered → started`` and ends
``completed``, ``dropped`` (after it started) or ``no_show`` (registered, never
came); ``cancelled`` ends it from any open state. Steps are never skipped: each
one is a date that indicators count (indicator 6 counts ``started``).

Places: a referral to a fixed course holds one of its places from ``referred``
on, through ``registered``, ``started`` and ``completed`` (a completed
participant sat in the course until its end). ``planned`` holds none (nothing was
sent to the provider yet); ``dropped``, ``no_show`` and ``cancelled`` give the
place back, and the first referral on the waiting list moves up.
"""

from __future__ import annotations

PLANNED = "planned"
REFERRED = "referred"
REGISTERED = "registered"
STARTED = "started"
COMPLETED = "completed"
DROPPED = "dropped"
NO_SHOW = "no_show"
CANCELLED = "cancelled"

STATUSES = (PLANNED, REFERRED, REGISTERED, STARTED, COMPLETED, DROPPED, NO_SHOW, CANCELLED)
# Not ended yet: cancelled may follow any of these.
OPEN_STATUSES = (PLANNED, REFERRED, REGISTERED, STARTED)
# Waiting for a course to begin: the KIM report's "open referrals".
WAITING_STATUSES = (PLANNED, REFERRED, REGISTERED)
# Holding a place of the course (unless on its waiting list).
PLACE_STATUSES = (REFERRED, REGISTERED, STARTED, COMPLETED)
# Giving a held place back.
FREEING_STATUSES = (DROPPED, NO_SHOW, CANCELLED)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    PLANNED: (REFERRED, CANCELLED),
    REFERRED: (REGISTERED, CANCELLED),
    REGISTERED: (STARTED, NO_SHOW, CANCELLED),
    STARTED: (COMPLETED, DROPPED, CANCELLED),
    COMPLETED: (),
    DROPPED: (),
    NO_SHOW: (),
    CANCELLED: (),
}


def allowed_next(status: str) -> tuple[str, ...]:
    """The statuses a referral in ``status`` may move to (empty once it ended)."""
    return TRANSITIONS.get(status, ())
