"""Which builder releases which kind of export, called with the request's parameters."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mgz.exports.aggregates import build_aggregates
from mgz.exports.content import Release
from mgz.exports.microdata import build_microdata
from mgz.exports.parameters import ExportRequest


def build_release(session: Session, request: ExportRequest) -> Release:
    """The release of ``request``'s kind (its rows are streams, not yet read).

    Microdata may raise ``NotAnonymisableError``: then nothing is released.
    """
    if request.kind == "aggregates":
        return build_aggregates(
            session,
            first_year=request.first_year,
            last_year=request.last_year,
            threshold=request.threshold,
        )
    return build_microdata(
        session,
        first_year=request.first_year,
        last_year=request.last_year,
        k=request.k,
        max_suppression=request.max_suppression,
        l_required=request.l_required,
    )
