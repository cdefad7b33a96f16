"""Code fields: a code from a versioned code list, named in the OpenAPI document, labelled.

``code_of`` makes the field (its list named and linked in the document, its form
checked; membership the services check against the loaded lists). With ``?labels=de``
a response adds the German label beside each code: the walk over the dumped data and
the one lookup per response live here; ``mgz.core.schemas.OutputSchema`` calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from flask import current_app, g, has_request_context
from marshmallow import Schema, fields, validate

# The form of a code in a code list (the loader in mgz.reference checks it), at most
# 40 characters as the code columns hold.
CODE_PATTERN = r"^[A-Za-z0-9_]{1,40}$"
# Where a client reads a code list; the OpenAPI document links every code field to it.
REFERENCE_PATH = "/api/v1/reference/{list_name}"
# The vendor extension that names a field's code list in the OpenAPI document.
CODE_LIST_KEY = "x-code-list"


def reference_path(list_name: str) -> str:
    """The API path of the code list ``list_name``."""
    return REFERENCE_PATH.format(list_name=list_name)


def unknown_code_message(list_name: str) -> str:
    """The 422 message for a code that is not (or no longer) in ``list_name``.

    It names the list and where its allowed codes are, so a client can look them up
    instead of guessing; it never quotes the submitted value.
    """
    return (
        f"Unbekannter Code aus der Codeliste {list_name}; "
        f"erlaubte Codes: GET {reference_path(list_name)}."
    )


def code_list_of(field: fields.Field) -> str | None:
    """The code list a field (made by :func:`code_of`) takes its codes from, or None."""
    return field.metadata.get(CODE_LIST_KEY)


def code_of(
    list_name: str,
    pattern: str = CODE_PATTERN,
    *,
    error: str = "Kein gültiger Code.",
    choices: Iterable[str] | None = None,
    **kwargs: Any,
) -> fields.String:
    """A code from the versioned code list ``list_name``, in a request or a response.

    The schema checks the code's form, and the OpenAPI document states it, names the
    list (``x-code-list``) and links to it; whether the code is in the list's newest
    version the service checks against the database (422, see
    :func:`unknown_code_message`), because lists change by version. ``choices`` is for
    the few lists a database constraint fixes (gender, citizenship group): the schema
    then refuses anything else itself, and the document lists them as an enum.
    Response schemas use it too: the document names the list there as well, and
    ``?labels=de`` adds the code's German label (see :class:`OutputSchema`).
    """
    extra = dict(kwargs.pop("metadata", {}))
    # A field's own description goes before the list's, never instead of it: the
    # document must name the list and link to it on every code field.
    own = extra.pop("description", None)
    description = (
        f"Code aus der Codeliste {list_name} (GET {reference_path(list_name)}); als Eingabe "
        "gibt ein Code, der dort fehlt oder zurückgezogen ist, 422."
    )
    metadata = {
        "description": f"{own} {description}" if own else description,
        CODE_LIST_KEY: list_name,
        "x-code-list-url": reference_path(list_name),
        **extra,
    }
    if choices is not None:
        allowed = tuple(choices)
        message = f"Unbekannter Code aus der Codeliste {list_name}; erlaubt: {', '.join(allowed)}."
        check: validate.Validator = validate.OneOf(allowed, error=message)
    else:
        check = validate.Regexp(pattern, error=error)
    return fields.String(validate=check, metadata=metadata, **kwargs)


# ?labels=de: the languages a response can add its codes' labels in (code lists are German).
LABEL_LANGUAGES = ("de",)
# The app's label source (set by mgz.reference): {list: codes} -> {(list, code): label}.
LABEL_SOURCE_EXTENSION = "mgz.code_labels"
_LABELS_REQUESTED = "mgz_labels"
_LABEL_CACHE = "mgz_label_cache"

LabelSource = Callable[[Mapping[str, set[str]]], Mapping[tuple[str, str], str]]

# How deep inside OutputSchema.dump calls this thread is: nested schemas dump through
# the same method, and labels are added once, by the outermost dump.
_dump_depth: ContextVar[int] = ContextVar("mgz_dump_depth", default=0)


def request_labels(language: str | None) -> None:
    """Ask the response of this request to carry labels in ``language`` (None: none)."""
    setattr(g, _LABELS_REQUESTED, language)


def _labels_language() -> str | None:
    if not has_request_context():
        return None
    return g.get(_LABELS_REQUESTED)


def has_code_fields(schema: Any) -> bool:
    """Whether ``schema`` (a class or instance), or one nested in it, has a code field."""
    return bool(_code_lists(schema if isinstance(schema, Schema) else schema(), set()))


def _code_lists(schema: Schema, seen: set[type]) -> set[str]:
    if type(schema) in seen:
        return set()
    seen = {*seen, type(schema)}
    found: set[str] = set()
    for field in schema.dump_fields.values():
        inner = field.inner if isinstance(field, fields.List) else field
        if code_list_of(inner):
            found.add(code_list_of(inner))  # type: ignore[arg-type]
        elif isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
            found |= _code_lists(inner.schema, seen)
    return found


def label_fields(schema: Schema) -> list[tuple[str, str, str]]:
    """(key, label key, list name) for each code field of ``schema`` itself (not nested).

    The label key is ``<key>_label``, or ``<key>_labels`` for a list of codes; the
    OpenAPI document describes these properties (mgz.core.apidocs).
    """
    found = []
    for name, field in schema.dump_fields.items():
        key = field.data_key or name
        is_list = isinstance(field, fields.List)
        list_name = code_list_of(field.inner if is_list else field)
        if list_name:
            found.append((key, f"{key}_labels" if is_list else f"{key}_label", list_name))
    return found


def _walk_codes(schema: Schema, data: Any, visit: Callable[..., None]) -> None:
    """Call ``visit(item, key, list_name, value, is_list)`` for every code in dumped ``data``."""
    if isinstance(data, list):
        for item in data:
            _walk_codes(schema, item, visit)
        return
    if not isinstance(data, dict):
        return
    for name, field in schema.dump_fields.items():
        key = field.data_key or name
        value = data.get(key)
        if value is None:
            continue
        is_list = isinstance(field, fields.List)
        inner = field.inner if is_list else field
        list_name = code_list_of(inner)
        if list_name:
            visit(data, key, list_name, value, is_list)
        elif isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
            _walk_codes(inner.schema, value, visit)


def _add_labels(schema: Schema, data: Any) -> None:
    """Add ``<field>_label`` (``<field>_labels`` for a list of codes) beside every code.

    The labels come from the code lists as loaded now (a withdrawn code keeps its
    label); a code no list knows gets null. All codes of one response are looked up
    in one query, and each code once per request.
    """
    source: LabelSource | None = current_app.extensions.get(LABEL_SOURCE_EXTENSION)
    if source is None:
        return
    cache: dict[tuple[str, str], str | None] = g.setdefault(_LABEL_CACHE, {})
    wanted: dict[str, set[str]] = {}

    def collect(_item: Any, _key: str, list_name: str, value: Any, is_list: bool) -> None:
        for code in value if is_list else [value]:
            if isinstance(code, str) and (list_name, code) not in cache:
                wanted.setdefault(list_name, set()).add(code)

    _walk_codes(schema, data, collect)
    if wanted:
        found = source(wanted)
        for list_name, codes in wanted.items():
            for code in codes:
                cache[(list_name, code)] = found.get((list_name, code))

    def label(item: dict[str, Any], key: str, list_name: str, value: Any, is_list: bool) -> None:
        # The same names as label_fields() gives the OpenAPI document.
        if is_list:
            item.setdefault(f"{key}_labels", [cache.get((list_name, code)) for code in value])
        else:
            item.setdefault(f"{key}_label", cache.get((list_name, value)))

    _walk_codes(schema, data, label)
