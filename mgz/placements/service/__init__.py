"""Services of placements, follow-ups, benefits and measures of a client file.

Split by what they do: :mod:`.placements` (placements with their snapshots and
indicator 10), :mod:`.follow_ups` (the list of six-month follow-ups due),
:mod:`.benefits` (benefit periods that never overlap), :mod:`.measures`. Access
follows the client file's policy (``CaseAccess``); every read of a client's records
writes one event naming the personal fields shown, every change one too, in the
caller's unit of work (services flush, never commit).
"""

from mgz.placements.service.benefits import (
    create_benefit,
    get_benefit,
    list_benefits,
    update_benefit,
)
from mgz.placements.service.follow_ups import follow_ups_due
from mgz.placements.service.measures import (
    create_measure,
    get_measure,
    list_measures,
    update_measure,
)
from mgz.placements.service.placements import (
    counts_for_indicator_10,
    create_placement,
    get_placement,
    indicator_10,
    list_placements,
    six_months_after,
    update_placement,
)

__all__ = [
    "counts_for_indicator_10",
    "create_benefit",
    "create_measure",
    "create_placement",
    "follow_ups_due",
    "get_benefit",
    "get_measure",
    "get_placement",
    "indicator_10",
    "list_benefits",
    "list_measures",
    "list_placements",
    "six_months_after",
    "update_benefit",
    "update_measure",
    "update_placement",
]
