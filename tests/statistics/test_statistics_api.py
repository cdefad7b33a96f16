"""The statistics API: who may read and record, and what bad input gets."""

from __future__ import annotations

from datetime import date

import pytest

from mgz.core.errors import InvalidInputError
from mgz.statistics.indicators import years_asked
from tests.conftest import events

FIGURE = "/api/v1/statistics/reference-figures/new_third_country_nationals_21plus/2020"
BODY = {"value": 480, "source": "Fachdienst Ordnung", "as_of": "2021-02-01"}


@pytest.mark.parametrize(
    ("roles", "via", "status"),
    [
        (("statistician",), "token", 200),
        (("admin",), "token", 200),
        (("adviser",), "session", 403),
        (("auditor",), "token", 403),
    ],
)
def test_role_matrix(login_as, roles, via, status):
    http = login_as(*roles, via=via)
    assert http.get("/api/v1/statistics/indicators/1?year=2020").status_code == status
    assert http.get("/api/v1/statistics/reference-figures").status_code == status
    assert http.put(FIGURE, json=BODY).status_code == status


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/statistics/indicators/1?year=2020").status_code == 401
    assert client.put(FIGURE, json=BODY).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=2013", "year"),
        ("year=2999", "year"),
        ("from=2020&to=2018", "from"),
        ("from=2018", "to"),
        ("year=2018&from=2018&to=2019", "year"),
        ("", "year"),
        ("year=zwei", "year"),
        ("last_name=X", "last_name"),  # a personal field: refused by the query guard
    ],
)
def test_bad_years_are_422_naming_the_field(login_as, query, field):
    response = login_as("statistician").get(f"/api/v1/statistics/indicators/1?{query}")
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"], response.json
    assert response.json["detail"]


def test_a_series_of_more_than_thirty_years_is_refused():
    with pytest.raises(InvalidInputError) as refused:
        years_asked(None, 2014, 2044, date(2050, 1, 1))
    assert "to" in refused.value.errors
    assert years_asked(None, 2014, 2043, date(2050, 1, 1)) == (2014, 2043)


def test_unknown_indicator_is_404_problem(login_as):
    response = login_as("statistician").get("/api/v1/statistics/indicators/4?year=2020")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "1" in response.json["detail"]


def test_reference_figures_keep_every_version(login_as, db):
    http = login_as("statistician")
    first = http.put(FIGURE, json=BODY)
    second = http.put(FIGURE, json={**BODY, "value": 500})
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json["version"] + 1, second.json["current"]) == (second.json["version"], True)
    listed = http.get(
        "/api/v1/statistics/reference-figures?key=new_third_country_nationals_21plus"
    ).json
    mine = [f for f in listed if f["year"] == 2020][-2:]
    assert [(f["value"], f["current"]) for f in mine] == [(480, False), (500, True)]
    [*_, event] = events(db, "statistics.reference_figure.set")
    assert event["details"]["value"] == 500 and event["object_id"].endswith(":2020")
    report = http.get("/api/v1/statistics/indicators/1?year=2020").json
    assert report["years"][0]["denominator"] == 500


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        (FIGURE.replace("new_third", "no_such"), BODY, 404, None),
        (FIGURE.replace("2020", "2013"), BODY, 422, "year"),
        (FIGURE, {**BODY, "value": -1}, 422, "value"),
        (FIGURE, {**BODY, "as_of": "2999-01-01"}, 422, "as_of"),
        (FIGURE, {"value": 1}, 422, "source"),
        (FIGURE, {**BODY, "extra": 1}, 422, "_unknown"),
    ],
)
def test_bad_reference_figures_write_nothing(login_as, db, path, body, status, field):
    http = login_as("statistician")
    before = len(events(db, "statistics.reference_figure.set"))
    response = http.put(path, json=body)
    assert response.status_code == status, response.json
    if field:
        assert field in response.json["errors"]
    assert len(events(db, "statistics.reference_figure.set")) == before


def test_cli_records_a_figure_and_prints_the_indicator(runner, db):
    recorded = runner.invoke(
        args=["stats", "reference", "set", "new_third_country_nationals_21plus", "2021", "350",
              "--source", "Fachdienst Ordnung", "--as-of", "2022-01-15"],
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    assert "2021 = 350" in recorded.output
    shown = runner.invoke(args=["stats", "indicator", "1", "--year", "2021"])
    assert shown.exit_code == 0, shown.output
    assert '"denominator": 350' in shown.output
    refused = runner.invoke(args=["stats", "indicator", "1", "--from", "2021", "--to", "2019"])
    assert refused.exit_code == 1 and "from liegt nach to" in refused.output
    unknown = runner.invoke(
        args=["stats", "reference", "set", "nope", "2021", "1", "--source", "x",
              "--as-of", "2022-01-15"],
    )  # fmt: skip
    assert unknown.exit_code == 1 and "Unbekannte Bezugsgröße" in unknown.output
