"""Fuzz the app against its own OpenAPI document with schemathesis.

Each operation is called over HTTP on `mgz serve` (gunicorn, two workers) with
generated requests (valid and invalid per the document) as each role, and every
response must be no server error, carry a status the document lists for the
operation, and have the documented content type and body. Generation is
derandomized (a fixed seed per operation), so a run is the same every time and CI
does not flake; the case budget (about 2,000 requests) keeps the run to under a
minute per backend on two cores, so it runs on both.

Account-changing operations (users, roles, tokens, login/logout, disable) run in a
test of their own, with every generated user or token id that would hit a fuzzing
account replaced by a sacrificial one, so they cannot lock the fuzzers out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from mgz.auth.models import ApiToken
from mgz.core.access import ROLES
from mgz.core.db import database, session_scope
from tests import factories
from tests.clients.conftest import intake
from tests.competences.conftest import answers_for, checklist_items
from tests.conftest import build_app
from tests.profiling.conftest import profiling_body
from tests.system.conftest import site_environment
from tests.system.server import MgzServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Operations that change accounts or sign in/out: fuzzed on their own (see above).
ACCOUNT_OPERATIONS = re.compile(
    r"^(POST /api/v1/users|PUT /api/v1/users/\{user_id\}/roles"
    r"|POST /api/v1/users/\{user_id\}/disable|POST /api/v1/users/\{user_id\}/tokens"
    r"|DELETE /api/v1/tokens/\{token_id\}|POST /api/v1/auth/(login|logout))$"
)
# Cases per operation and mode for a role the operation admits; a refused role
# gets a 403 before anything is parsed, so a few cases show that.
ALLOWED_EXAMPLES = 12
REFUSED_EXAMPLES = 2
# Each of these hashes a password with scrypt (about half a second) per case.
SLOW_EXAMPLES = {"POST /api/v1/auth/login": 4, "POST /api/v1/users": 4}


@dataclass
class World:
    """The fuzzed app, one API token per role, and ids of objects that exist."""

    schema: Any
    tokens: dict[str, str]
    known: dict[str, list[Any]]
    protected: dict[str, set[int]]


def _seed(app: Any, served: str) -> World:
    """Fuzzing accounts with tokens, and one of each record so paths can hit real ids."""
    with session_scope(app) as db:
        users = {role: factories.make_user(db, roles=(role,)) for role in ROLES}
        tokens = {role: factories.make_token(db, user) for role, user in users.items()}
        target = factories.make_user(db, roles=("statistician",))
        target_tokens = [factories.make_token(db, target) for _ in range(3)]
        db.commit()
        protected = {
            "user_id": {user.id for user in users.values()},
            "token_id": set(
                db.scalars(
                    select(ApiToken.id).where(ApiToken.user_id.in_([u.id for u in users.values()]))
                )
            ),
        }
        target_id = target.id
    assert len(target_tokens) == 3
    http = app.test_client()

    def call(role: str, method: str, url: str, **kwargs: Any) -> Any:
        response = http.open(
            url, method=method, headers={"Authorization": f"Bearer {tokens[role]}"}, **kwargs
        )
        assert response.status_code in {200, 201}, (url, response.get_json())
        return response.get_json()

    client = call("adviser", "POST", "/api/v1/clients", json=intake())
    base = f"/api/v1/clients/{client['id']}"
    checklist = call(
        "admin",
        "POST",
        "/api/v1/checklists",
        json={"key": "fuzz_list", "title": "Testliste", "items": checklist_items()},
    )
    call("admin", "POST", f"/api/v1/checklists/{checklist['id']}/publish")
    draft = call("admin", "POST", f"/api/v1/checklists/{checklist['id']}/versions")
    consultation = call(
        "adviser",
        "POST",
        f"{base}/consultations",
        json={"kind": "first", "held_on": "2024-03-20", "channel": "in_person"},
    )
    profiling = call("adviser", "POST", f"{base}/profilings", json=profiling_body())
    assessment = call(
        "adviser",
        "POST",
        f"{base}/competence-assessments",
        json={
            "checklist_id": checklist["id"],
            "assessed_on": "2024-04-03",
            "answers": answers_for(),
        },
    )
    qualification = call(
        "adviser",
        "POST",
        f"{base}/qualifications",
        json={"kind": "school", "documents_available": "no"},
    )
    target_token_ids = [
        token["id"] for token in call("admin", "GET", f"/api/v1/users/{target_id}/tokens")
    ]
    lists = call("adviser", "GET", "/api/v1/reference")
    # The cases go over HTTP to `mgz serve` (gunicorn) on the same database: what a
    # generated client meets, HTTP parsing and the server's own answers included.
    schema = schemathesis.openapi.from_url(f"{served}/api/v1/openapi.json")
    schema.config.generation.update(with_security_parameters=False)
    world = World(
        schema=schema,
        tokens=tokens,
        known={
            "client_id": [client["id"]],
            "consultation_id": [consultation["id"]],
            "profiling_id": [profiling["id"]],
            "assessment_id": [assessment["id"]],
            "qualification_id": [qualification["id"]],
            "checklist_id": [checklist["id"], draft["id"]],
            "object_id": [client["case_number"]],
            "list_name": [item["name"] for item in lists][:3],
            "user_id": [target_id],
            "token_id": target_token_ids,
        },
        protected=protected,
    )

    @schema.hook
    def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any]) -> Any:
        """Half the time a real id; never a fuzzing account's user or token id."""
        if not path_parameters:
            return st.just(path_parameters)
        choices = {}
        for name, value in path_parameters.items():
            if isinstance(value, int) and value in world.protected.get(name, ()):
                value = world.known[name][0]
            choices[name] = st.sampled_from([value, *world.known.get(name, [])])
        return st.fixed_dictionaries(choices)

    return world


@pytest.fixture(scope="module")
def world(backend: Any, tmp_path_factory: Any) -> Iterator[World]:
    """A fresh, migrated database with the fuzzing accounts, per backend."""
    url = backend.new_database()
    folder = tmp_path_factory.mktemp("fuzz")
    app = build_app(url, folder)
    server = MgzServer(site_environment(url, folder / "served"), workers=2).start()
    try:
        yield _seed(app, f"http://127.0.0.1:{server.port}")
    finally:
        server.stop()
        database(app).engine.dispose()


def _describe(error: BaseException) -> str:
    parts = getattr(error, "exceptions", None) or [error]
    return "; ".join(
        getattr(part, "title", type(part).__name__) + ": " + str(getattr(part, "message", ""))[:200]
        for part in parts
    )


def _run(
    operation: Any,
    mode: GenerationMode,
    examples: int,
    headers: dict[str, str],
    name: str,
    failures: Counter[str],
) -> None:
    """Up to ``examples`` derandomized cases of one operation; failures are counted."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (FailureGroup, AssertionError) as error:
            failures[f"{name}: {_describe(error)}"] += 1

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # Nothing to get wrong: an operation without parameters or body has no
        # negative cases.


def _fuzz(world: World, accounts: bool) -> Counter[str]:
    """Run every (account or other) operation as each role; count the failures."""
    failures: Counter[str] = Counter()
    for result in world.schema.get_all_operations():
        operation = result.ok()
        label = operation.label
        if bool(ACCOUNT_OPERATIONS.match(label)) != accounts:
            continue
        raw = operation.definition.raw
        admitted = set(ROLES) if raw.get("x-public") else set(raw.get("x-roles", ()))
        for role in (*ROLES, None):
            examples = ALLOWED_EXAMPLES if role in admitted else REFUSED_EXAMPLES
            examples = min(examples, SLOW_EXAMPLES.get(label, examples))
            headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role else {}
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                name = f"{label} as {role} ({mode.value})"
                _run(operation, mode, examples, headers, name, failures)
    return failures


def _listed(failures: Counter[str]) -> str:
    """The failures, one a line with their counts (empty when there are none)."""
    return "\n".join(f"{count}x {text}" for text, count in sorted(failures.items()))


def test_every_operation_answers_as_documented(world: World) -> None:
    assert _listed(_fuzz(world, accounts=False)) == ""


def test_account_operations_answer_as_documented(world: World) -> None:
    assert _listed(_fuzz(world, accounts=True)) == ""
