"""Every endpoint declares who may call it; the matrix checks each role against it."""

import uuid

import pytest

from mgz.auth.policy import endpoint_policy
from mgz.core.access import NO_PERSONAL_DATA_ROLES, ROLES, public, roles_required

# Sample values for path parameters: ids that do not exist (404 still means "let in").
PATH_SAMPLES = {
    "IntegerConverter": 999999,
    "IdConverter": 999999,
    "KeyConverter": "MGZ-2026-000123",
    "UUIDConverter": uuid.UUID(int=1),
    "UnicodeConverter": "MGZ-2026-000123",
}
ALLOWED_STATUSES_MEAN_IN = {401, 403}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(app, rule, method):
    values = {
        name: PATH_SAMPLES.get(type(rule._converters[name]).__name__, "MGZ-2026-000123")  # noqa: SLF001
        for name in rule.arguments
    }
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


def test_every_route_declares_an_access_policy(app):
    undeclared = []
    with app.test_request_context():
        for rule, method in _routes(app):
            if endpoint_policy(rule.endpoint, method) is None:
                undeclared.append(f"{method} {rule.rule}")
    assert undeclared == []


def test_only_health_login_and_api_documents_are_public(app):
    with app.test_request_context():
        public_routes = {
            f"{method} {rule.rule}"
            for rule, method in _routes(app)
            if endpoint_policy(rule.endpoint, method).is_public
        }
    assert public_routes == {
        "GET /api/v1/health",
        "GET /api/v1/openapi.json",
        "GET /api/v1/docs",
        "GET /api/v1/swagger-ui",
        "GET /api/v1/swagger-ui/<key:name>",
        "POST /api/v1/auth/login",
    }


def test_no_endpoint_gives_personal_data_to_statisticians_auditors_or_admins(app):
    with app.test_request_context():
        leaks = [
            f"{method} {rule.rule}"
            for rule, method in _routes(app)
            if endpoint_policy(rule.endpoint, method).has_personal_data
            and NO_PERSONAL_DATA_ROLES & set(endpoint_policy(rule.endpoint, method).roles)
        ]
    assert leaks == []


@pytest.mark.parametrize("role", ["statistician", "auditor", "admin"])
def test_declaring_personal_data_for_a_role_without_access_fails_at_import(role):
    with pytest.raises(ValueError, match="personal data may not go to"):
        roles_required("adviser", role, personal_data=True)


def test_a_policy_cannot_be_declared_twice_or_name_unknown_roles():
    with pytest.raises(ValueError, match="unknown"):
        roles_required("root")
    with pytest.raises(TypeError, match="declared twice"):
        public(roles_required("adviser")(lambda: None))


def test_openapi_operations_carry_their_roles(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["paths"]["/api/v1/audit/verify"]["get"]["x-roles"] == ["auditor"]
    assert spec["paths"]["/api/v1/users"]["post"]["x-roles"] == ["admin"]
    assert spec["paths"]["/api/v1/health"]["get"]["x-public"] is True
    docs = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    assert "Rollen: auditor" in docs


@pytest.mark.parametrize("caller", [*ROLES, "anonymous"])
def test_role_matrix(app, login_as, caller):
    client = app.test_client() if caller == "anonymous" else login_as(caller)
    wrong = []
    with app.test_request_context():
        routes = [
            (rule, method, endpoint_policy(rule.endpoint, method)) for rule, method in _routes(app)
        ]
    for rule, method, policy in routes:
        response = client.open(
            _url(app, rule, method), method=method, json={} if method != "GET" else None
        )
        if policy.is_public:
            expected = "in"
        elif caller == "anonymous":
            expected = 401
        else:
            expected = "in" if caller in policy.roles else 403
        got = response.status_code if response.status_code in ALLOWED_STATUSES_MEAN_IN else "in"
        if got != expected:
            wrong.append(f"{method} {rule.rule}: expected {expected}, got {response.status_code}")
    assert wrong == []


def test_role_matrix_through_a_browser_session(app, login_as):
    client = login_as("auditor", via="session")
    assert client.get("/api/v1/audit/verify").status_code == 200
    assert client.get("/api/v1/users").status_code == 403
