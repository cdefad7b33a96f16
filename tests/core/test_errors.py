"""Problem+json for every error class, with a test-only blueprint that takes a body."""

import json
import logging

import pytest
from flask.views import MethodView
from marshmallow import fields, validate
from sqlalchemy import text

from mgz.core.access import public
from mgz.core.api import Blueprint
from mgz.core.db import database, get_session
from mgz.core.errors import ConflictError
from mgz.core.schemas import InputSchema

CANARY = "Zzyzx-Canary-Quetzalcoatl-4711"

probe = Blueprint("probe", __name__, url_prefix="/api/v1/probe")


class ProbeLine(InputSchema):
    text = fields.String()
    amount = fields.Float()


class ProbeIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(max=20))
    count = fields.Integer(required=True)
    born_on = fields.Date()
    lines = fields.List(fields.Nested(ProbeLine))
    answers = fields.Dict(keys=fields.String(), values=fields.Raw())
    # Named like webargs' locations: their errors keep the field's name.
    form = fields.String(validate=validate.Length(max=5))
    query = fields.Integer()


@probe.route("/items")
class Items(MethodView):
    @public  # a test-only endpoint; default deny would answer 403
    @probe.arguments(ProbeIn)
    def post(self, data):
        session = get_session()
        session.execute(text("INSERT INTO probe_items VALUES (:n)"), {"n": data["name"]})
        if data["count"] < 0:
            raise ConflictError("Negativ.")
        session.commit()
        return {"ok": True}


@probe.route("/boom")
class Boom(MethodView):
    @public
    def get(self):
        raise RuntimeError(f"secret detail {CANARY}")


@probe.route("/sql")
class Sql(MethodView):
    @public
    def get(self):
        get_session().execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": CANARY})


@pytest.fixture
def probe_client(database_url, make_app, db):
    app = make_app(database_url, MAX_CONTENT_LENGTH=2048)
    app.extensions["mgz.api"].register_blueprint(probe)
    # Share the test transaction so nothing a probe writes survives the test.
    db.execute(text("CREATE TABLE probe_items (name VARCHAR(40))"))
    database(app).bind_to(db.get_bind())
    return app.test_client()


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_unknown_route_is_404_problem(client):
    assert_problem(client.get("/api/v1/nowhere"), 404)


def test_wrong_method_is_405_problem_with_allow(client):
    body = assert_problem(client.delete("/api/v1/health"), 405)
    assert body["title"] == "Methode nicht erlaubt"


def test_unknown_field_and_wrong_type_are_422_per_field(probe_client):
    response = probe_client.post(
        "/api/v1/probe/items", json={"name": CANARY, "count": "many", "colour": "red"}
    )
    body = assert_problem(response, 422)
    assert body["errors"]["count"] == ["Muss eine ganze Zahl sein."]
    assert body["errors"]["_unknown"] == ["Unbekanntes Feld."]
    assert "colour" not in response.get_data(as_text=True)
    assert body["errors"]["name"] == ["Höchstens 20 Zeichen bzw. Einträge."]
    assert CANARY not in response.get_data(as_text=True)


def test_fields_named_like_request_locations_keep_their_names(probe_client):
    response = probe_client.post(
        "/api/v1/probe/items", json={"name": "a", "count": 1, "form": "zu lang", "query": "x"}
    )
    errors = assert_problem(response, 422)["errors"]
    assert set(errors) == {"form", "query"}
    assert errors["form"] and errors["query"]


def test_missing_required_field_is_named(probe_client):
    body = assert_problem(probe_client.post("/api/v1/probe/items", json={"name": "a"}), 422)
    assert body["errors"] == {"count": ["Pflichtfeld."]}


def test_malformed_json_is_400(probe_client):
    response = probe_client.post(
        "/api/v1/probe/items", data='{"name": "a",', content_type="application/json"
    )
    body = assert_problem(response, 400)
    assert body["errors"] == {"_body": ["Kein gültiges JSON."]}


def test_json_that_is_not_an_object_is_422(probe_client):
    body = assert_problem(probe_client.post("/api/v1/probe/items", json=[1, 2]), 422)
    assert "_schema" in body["errors"]


def test_wrong_content_type_is_415(probe_client):
    response = probe_client.post(
        "/api/v1/probe/items",
        data="name=a&count=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert_problem(response, 415)


def test_oversized_body_is_413(probe_client):
    response = probe_client.post("/api/v1/probe/items", json={"name": "x" * 5000, "count": 1})
    assert_problem(response, 413)


def test_domain_error_writes_nothing(probe_client, db):
    response = probe_client.post("/api/v1/probe/items", json={"name": "kept-out", "count": -1})
    body = assert_problem(response, 409)
    assert body["detail"] == "Negativ."
    rows = db.execute(text("SELECT count(*) FROM probe_items WHERE name = 'kept-out'")).scalar()
    assert rows == 0


def test_valid_write_commits(probe_client, db):
    assert (
        probe_client.post("/api/v1/probe/items", json={"name": "ok", "count": 1}).status_code == 200
    )
    assert db.execute(text("SELECT count(*) FROM probe_items WHERE name = 'ok'")).scalar() == 1


@pytest.mark.parametrize("path", ["/api/v1/probe/boom", "/api/v1/probe/sql"])
def test_500_reveals_no_internals_and_log_holds_no_values(probe_client, path, capfd):
    response = probe_client.get(path)
    body = assert_problem(response, 500)
    raw = response.get_data(as_text=True)
    assert CANARY not in raw
    assert "Traceback" not in raw and "SELECT" not in raw and "RuntimeError" not in raw
    assert set(body) == {"type", "title", "status", "detail", "request_id"}
    err = capfd.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    failure = [entry for entry in lines if entry.get("event") == "unhandled_error"]
    assert failure and failure[0]["request_id"] == body["request_id"]
    assert failure[0]["exc_frames"]
    assert CANARY not in err


def test_request_ids_are_always_our_own_and_the_callers_is_never_echoed_nor_logged(
    probe_client, capfd
):
    # Any "[A-Za-z0-9._-]{8,64}" passed before, a surname included.
    sent = "Mustermann-Zzyzx-4711"
    for response in (
        probe_client.get("/api/v1/health", headers={"X-Request-ID": sent}),
        probe_client.post(
            "/api/v1/probe/items", json={"name": "a"}, headers={"X-Request-ID": sent}
        ),
    ):
        assert response.headers["X-Request-ID"] != sent
        assert len(response.headers["X-Request-ID"]) == 32
        assert sent not in response.get_data(as_text=True)
    assert sent not in capfd.readouterr().err


def test_access_log_has_no_query_string_and_no_body(probe_client, capfd):
    probe_client.post(f"/api/v1/probe/items?last_name={CANARY}", json={"name": CANARY, "count": 1})
    err = capfd.readouterr().err
    access = [json.loads(line) for line in err.splitlines() if '"event": "request"' in line]
    assert access and access[-1]["path"] == "/api/v1/probe/items"
    assert CANARY not in err


def test_log_lines_are_json_objects(client, capfd):
    logging.getLogger("mgz.test").info("hello")
    client.get("/api/v1/health")
    for line in capfd.readouterr().err.splitlines():
        entry = json.loads(line)
        assert {"ts", "level", "logger", "msg", "request_id"} <= set(entry)


def test_unknown_keys_are_reported_without_their_name(probe_client):
    # People type names and diagnoses into the wrong place; a key is submitted text too.
    response = probe_client.post(
        "/api/v1/probe/items", json={"name": "a", "count": 1, f"{CANARY}, 01.01.1990": 1}
    )
    body = assert_problem(response, 422)
    assert body["errors"] == {"_unknown": ["Unbekanntes Feld."]}
    assert CANARY not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "a\u0000b", "count": 1}, "name"),
        ({"name": "a", "count": 10**30}, "count"),
        ({"name": "a", "count": 1, "born_on": "2020-01-01\u0000"}, "born_on"),
    ],
)
def test_nul_characters_and_huge_numbers_are_422_not_500(probe_client, db, payload, field):
    response = probe_client.post("/api/v1/probe/items", json=payload)
    body = assert_problem(response, 422)
    assert field in body["errors"]


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "a", "count": 1, CANARY: 1e400},
        {"name": "a", "count": 1, CANARY: float("nan")},
        {"name": "a", "count": 1, CANARY: "a\u0000b"},
        {"name": "a", "count": 1, "lines": [{"text": "x", CANARY: 1e400}]},
        {"name": "a", "count": 1, "lines": [{CANARY: {"deeper": float("nan")}}]},
        {"name": "a", "count": 1, "answers": {CANARY: 1e400}},
        {"name": "a", "count": 1, "answers": {CANARY: "a\u0000b"}},
        {"name": "a", "count": 1, "answers": {CANARY: "ok", "x": "y"}, "lines": {CANARY: 1}},
        {"name": "a", "count": 1, f"{CANARY}\u0000": 1},
    ],
)
def test_submitted_keys_never_appear_in_error_bodies(probe_client, payload):
    """Review finding: a key whose value was non-finite or held NUL came back verbatim."""
    data = json.dumps(payload)  # 1e400 is dumped as Infinity, which Python's JSON reads
    response = probe_client.post("/api/v1/probe/items", data=data, content_type="application/json")
    assert response.status_code in {400, 422}
    assert response.mimetype == "application/problem+json"
    assert CANARY not in response.get_data(as_text=True)
    for key in response.get_json().get("errors", {}):
        assert key.split(".")[0] in {"_unknown", "_schema", "_body", *ProbeIn().fields}


def test_errors_of_known_fields_keep_their_path(probe_client):
    payload = '{"name": "a", "count": 1e400, "lines": [{"amount": NaN, "text": "x\\u0000"}],'
    payload += ' "answers": {"' + CANARY + '": Infinity}}'
    response = probe_client.post(
        "/api/v1/probe/items", data=payload, content_type="application/json"
    )
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"count", "lines.0.amount", "lines.0.text", "answers"}
    assert CANARY not in response.get_data(as_text=True)


def test_a_huge_key_is_not_echoed_and_the_answer_stays_small(client):
    """90 KB of key gave 90 KB of answer, anonymously, on the login route."""
    key = "Zz" + "name" * 22_000
    body = '{"username": "x", "password": "y", "' + key + '": 1e400}'
    response = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"_unknown": ["Unbekanntes Feld."]}
    assert len(response.get_data()) < 1000


@pytest.mark.parametrize("depth", [17, 1000, 100_000])
@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/users", "/api/v1/nowhere"])
def test_deeply_nested_json_is_400_before_authentication(client, path, depth):
    """Review finding: 1,000 levels raised RecursionError (500), anonymously."""
    body = '{"username": ' + "[" * depth + "]" * depth + "}"
    response = client.post(path, data=body, content_type="application/json")
    body = assert_problem(response, 400)
    assert body["errors"] == {"_body": ["JSON höchstens 16 Ebenen tief."]}


def test_nesting_up_to_the_limit_reaches_the_schema(probe_client):
    body = '{"name": "a", "count": 1, "answers": {"k": ' + "[" * 14 + "]" * 14 + "}}"
    response = probe_client.post("/api/v1/probe/items", data=body, content_type="application/json")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        '{"name": "a\\ud800b", "count": 1}',
        '{"name": "a\\udfff", "count": 1}',
        '{"name": "a", "count": 1, "lines": [{"text": "\\udc00"}]}',
        '{"name": "a", "count": 1, "answers": {"k": "\\ud83d"}}',
        '{"name": "a", "count": 1, "answers": {"k\\udc00": "v"}}',
        '{"name": "a", "count": 1, "answers": {"k\\u0000": "v"}}',
    ],
)
def test_lone_surrogates_are_422_like_nul(probe_client, db, payload):
    response = probe_client.post(
        "/api/v1/probe/items", data=payload, content_type="application/json"
    )
    body = assert_problem(response, 422)
    assert list(body["errors"].values()) == [["Enthält ein unzulässiges Zeichen."]]
    assert db.execute(text("SELECT count(*) FROM probe_items")).scalar() == 0


def test_a_surrogate_pair_is_an_ordinary_character(probe_client):
    response = probe_client.post(
        "/api/v1/probe/items",
        data='{"name": "\\ud83d\\ude00", "count": 1}',
        content_type="application/json",
    )
    assert response.status_code == 200
