"""The request's :class:`~mgz.clients.access.CaseAccess`, for the views of every area.

One place reads the policy from the configuration and the break-glass reason from
the headers ``X-Access-Reason-Code`` (a code of ``break_glass_reason``) and
``X-Access-Reason`` (optional free text); the views of client files and of their records
(consultations, profilings, competences) hand the result to their services.
"""

from __future__ import annotations

from flask import current_app, request

from mgz.auth.policy import current_actor
from mgz.clients.access import REASON_CODE_HEADER, REASON_HEADER, CaseAccess, access_policy
from mgz.core.db import get_session

__all__ = ["REASON_CODE_HEADER", "REASON_HEADER", "case_access"]


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
        request.headers.get(REASON_CODE_HEADER),
    )
