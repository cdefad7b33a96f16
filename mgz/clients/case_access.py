"""The request's :class:`~mgz.clients.access.CaseAccess`, for the views of every area.

One place reads the policy from the configuration and the reason from the
``X-Access-Reason`` header; the views of client files and of their records
(consultations, profilings, competences) hand the result to their services.
"""

from __future__ import annotations

from flask import current_app, request

from mgz.auth.policy import current_actor
from mgz.clients.access import CaseAccess, access_policy
from mgz.core.db import get_session

REASON_HEADER = "X-Access-Reason"


def case_access() -> CaseAccess:
    """Who opens files in this request, under which policy, for what reason.

    Views build it once and pass it on; it is not cached in ``g``, because a safe
    request retried after a database outage runs again on a new session.
    """
    return CaseAccess(
        get_session(),
        current_actor(),
        access_policy(current_app.config),
        request.headers.get(REASON_HEADER),
    )
