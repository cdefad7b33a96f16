"""One set of citizenship groups: the code list, the client field, its filter, the database.

The county's indicators count ``third_country``; the statistic is "EU/EWR/Schweiz vs.
Drittstaaten". Version 1 of the list also had germany, eea and ch, which the client
field never took; they are withdrawn, and every country is grouped into the four.
"""

from __future__ import annotations

import re

from sqlalchemy import CheckConstraint

from mgz.clients.models import Client
from mgz.clients.schemas import CITIZENSHIP_GROUPS
from mgz.reference import service
from mgz.reference.files import read_lists
from tests.clients.conftest import create


def _constraint_values() -> set[str]:
    (check,) = [
        c
        for c in Client.__table__.constraints
        if isinstance(c, CheckConstraint) and "citizenship_group" in str(c.sqltext)
    ]
    return set(re.findall(r"'([a-z_]+)'", str(check.sqltext)))


def test_list_field_filter_and_database_name_the_same_four_groups(app, db):
    shipped = read_lists()["citizenship_group"]
    active = {entry["code"] for entry in shipped.entries if not entry["withdrawn"]}
    assert active == {"eu", "third_country", "stateless", "unknown"}
    assert set(CITIZENSHIP_GROUPS) == active
    assert _constraint_values() == active
    loaded = {entry.code for entry in service.codes(db, "citizenship_group")}
    assert loaded == active

    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    (search,) = [
        parameter
        for parameter in spec["paths"]["/api/v1/clients"]["get"]["parameters"]
        if parameter["name"] == "citizenship_group"
    ]
    assert set(search["schema"]["enum"]) == active
    assert search["schema"]["x-code-list"] == "citizenship_group"
    field = spec["components"]["schemas"]["Client"]["properties"]["citizenship_group"]
    assert field["x-code-list"] == "citizenship_group"


def test_every_country_is_grouped_into_one_of_the_four():
    lists = read_lists()
    assert lists["country"].group_list == "citizenship_group"
    groups = {entry["group"] for entry in lists["country"].entries}
    assert groups == set(CITIZENSHIP_GROUPS)


def test_the_derived_group_is_an_active_code_of_the_list(adviser, db):
    for index, (nationality, group) in enumerate(
        (
            (["DE", "SY"], "eu"),
            (["CH"], "eu"),
            (["NO"], "eu"),
            (["SY"], "third_country"),
            (["XX"], "stateless"),
            ([], "unknown"),
        ),
    ):
        body = create(adviser, nationality=nationality, last_name=f"Gruppe{index}")
        assert body["citizenship_group"] == group, nationality
        assert service.is_valid(db, "citizenship_group", group)


def test_the_filter_refuses_a_withdrawn_group_and_names_the_list(adviser):
    response = adviser.get("/api/v1/clients?citizenship_group=eea")
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["citizenship_group"]
    assert message.startswith("Unbekannter Code aus der Codeliste citizenship_group")
