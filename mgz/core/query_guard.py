"""No personal data in URLs: query parameters named like a personal field are refused.

Why: a URL is written to the access logs of every reverse proxy and load balancer on
the way, to browser histories and to referrer headers, none of which mgz controls or
can erase. So names, birth dates and other identifying values travel only in request
bodies (a person is searched with ``POST /api/v1/clients/search``). The schemas of
the GET routes do not declare such parameters; this hook refuses them on every route
(API or not) with a 422 that says where to send them, before authentication and before
any view, so a client that puts a surname into a URL learns so at once instead of
getting an unfiltered listing or a silently ignored parameter.

Which names count as personal comes from the data classification
(:mod:`mgz.core.classification`): every ``identifying``, ``search_key`` and
``secret`` column of the application's tables, by the field name services use, plus a
few generic names. Names are compared without case, ``-``, ``_`` or brackets, so
``lastName`` and ``last-name`` are caught too; the error names the field, never the
submitted key or value.
"""

from __future__ import annotations

import re

from flask import current_app, request

from mgz.core.classification import CLASS_INFO, FIELD_INFO, DataClass
from mgz.core.db import Base
from mgz.core.errors import InvalidInputError

PERSONAL_CLASSES = frozenset({DataClass.IDENTIFYING, DataClass.SEARCH_KEY, DataClass.SECRET})
# Names that are no column but would carry personal data or credentials.
GENERIC_NAMES = ("name", "full_name", "birth_name", "password", "token", "totp")
MESSAGE = (
    "Personenbezogene Angaben gehören nicht in die URL (Zugriffsprotokolle speichern "
    "sie): Personen suchen Sie mit POST /api/v1/clients/search (JSON-Körper); "
    "andere Angaben gehören in den JSON-Körper der Anfrage."
)
_EXTENSION = "mgz.personal_query_names"
_SEPARATORS = re.compile(r"[^a-z0-9]")


def _key(name: str) -> str:
    return _SEPARATORS.sub("", name.casefold())


def personal_field_names() -> dict[str, str]:
    """Personal field names of the application's tables, by their comparison key."""
    names: dict[str, str] = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.info.get(CLASS_INFO) in PERSONAL_CLASSES:
                name = column.info.get(FIELD_INFO) or column.name
                names.setdefault(_key(name), name)
    for name in GENERIC_NAMES:
        names.setdefault(_key(name), name)
    return names


def refuse_personal_query() -> None:
    """``before_request``: 422 if a query parameter of an API route names a personal field."""
    if not request.args:
        return
    names = current_app.extensions.get(_EXTENSION)
    if names is None:
        names = current_app.extensions[_EXTENSION] = personal_field_names()
    refused = sorted({names[key] for key in map(_key, request.args) if key in names})
    if refused:
        raise InvalidInputError(errors={name: [MESSAGE] for name in refused})
