"""Searching a person: POST /clients/search, exact and similar names, nothing in URLs."""

from __future__ import annotations

import pytest

from mgz.clients import service
from tests.clients.conftest import create
from tests.conftest import events, last_seq

SEARCH = "/api/v1/clients/search"


def search(http, **body):
    response = http.post(SEARCH, json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def numbers(page):
    return [item["case_number"] for item in page["items"]]


# --- the misuse this replaces: names in the URL -------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"last_name": "Beispielfrau", "birth_date": "1990-04-12"},
        {"last_name": "Beispielfrau"},
        {"birth_date": "1990-04-12"},
        {"first_name": "Testa", "municipality": "03459024"},
        {"lastName": "Beispielfrau"},
        {"phone": "+49 541 000000"},
    ],
)
def test_get_with_personal_query_parameters_is_refused_and_says_where_to_send_them(
    adviser, db, query
):
    create(adviser)
    since = last_seq(db)
    response = adviser.get("/api/v1/clients", query_string=query)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    raw = response.get_data(as_text=True)
    assert "Beispielfrau" not in raw and "1990-04-12" not in raw and "Testa" not in raw
    messages = [m for field in body["errors"].values() for m in field]
    assert messages and all("POST /api/v1/clients/search" in m for m in messages)
    # Refused before any view: no search ran, nothing was read.
    assert events(db, since=since) == []


def test_other_routes_refuse_personal_query_parameters_too(adviser, login_as):
    body = create(adviser)
    for path in (f"/api/v1/clients/{body['id']}", f"/api/v1/clients/{body['id']}/consultations"):
        response = adviser.get(path, query_string={"last_name": "Beispielfrau"})
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["last_name"]
    auditor = login_as("auditor")
    response = auditor.get("/api/v1/audit/events", query_string={"notes": "x"})
    assert response.status_code == 422
    # Before authentication, too: nobody gets an answer that used the term.
    assert (
        adviser.application.test_client()
        .get("/api/v1/auth/me", query_string={"birth_date": "1990-04-12"})
        .status_code
        == 422
    )


def test_get_keeps_case_number_and_statistical_filters(adviser):
    wanted = create(adviser)
    page = adviser.get(
        "/api/v1/clients",
        query_string={"case_number": wanted["case_number"], "municipality": "03459024"},
    ).get_json()
    assert numbers(page) == [wanted["case_number"]]
    assert "match" not in page["items"][0]


# --- exact search in the body -------------------------------------------------------------


def test_search_by_last_name_and_birth_date_finds_the_exact_match_only(adviser, db):
    wanted = create(adviser)
    create(adviser, last_name="Nachbarin")
    create(adviser, birth_date="1985-01-01")
    create(adviser, last_name="Beispielfrauh", confirmed_different_person=True)
    since = last_seq(db)
    page = search(adviser, last_name="beispielfrau", birth_date="1990-04-12")
    assert page["total"] == 1
    assert numbers(page) == [wanted["case_number"]]
    assert page["items"][0]["first_name"] == "Testa"
    assert page["items"][0]["match"] == "exact"
    logged = events(db, since=since)
    assert [e["action"] for e in logged] == ["client.search", "client.read"]
    assert logged[0]["details"] == {
        "by": "identity",
        "similar": False,
        "candidates": 1,
        "hits": 1,
        "returned": 1,
    }
    assert logged[1]["fields"] == ["first_name", "last_name", "birth_date"]
    assert "beispielfrau" not in logged[0]["raw"].lower()
    assert "1990" not in logged[0]["raw"]


def test_search_by_first_name_last_name_and_birth_year(adviser):
    wanted = create(adviser, first_name="Testa", birth_date="1990-04-12")
    same_year = create(adviser, first_name="Testa", birth_date="1990-11-30")
    create(adviser, first_name="Testa", birth_date="1991-04-12")
    create(adviser, first_name="Andere", birth_date="1990-04-13")
    page = search(adviser, first_name="TESTA", last_name="Beispielfrau", birth_year=1990)
    assert sorted(numbers(page)) == sorted([wanted["case_number"], same_year["case_number"]])
    assert {item["match"] for item in page["items"]} == {"exact"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"last_name": "Beispielfrau"}, "birth_date"),
        ({"last_name": "Beispielfrau", "birth_year": 1990}, "first_name"),
        ({"first_name": "Testa", "birth_date": "1990-04-12"}, "last_name"),
        (
            {"last_name": "B", "first_name": "T", "birth_date": "1990-04-12", "birth_year": 1990},
            "birth_year",
        ),
        ({"last_name": "Beispielfrau", "birth_date": "1990-04-12", "extra": 1}, "_unknown"),
        ({"last_name": "", "birth_date": "1990-04-12"}, "last_name"),
        ({"last_name": "B", "first_name": "T", "birth_year": 1800}, "birth_year"),
    ],
)
def test_a_name_alone_or_a_bad_body_is_refused(adviser, body, field):
    response = adviser.post(SEARCH, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_non_advisers_cannot_search(adviser, login_as):
    create(adviser)
    statistician = login_as("statistician")
    response = statistician.post(SEARCH, json={"last_name": "X", "birth_date": "1990-04-12"})
    assert response.status_code == 403


def test_hits_in_other_advisers_files_show_the_case_number_only(adviser, other_adviser, db):
    body = create(adviser)
    since = last_seq(db)
    page = search(other_adviser, last_name="Beispielfrau", birth_date="1990-04-12")
    assert page["items"] == [
        {
            "id": body["id"],
            "case_number": body["case_number"],
            "municipality": "03459024",
            "match": "exact",
        }
    ]
    assert [e["action"] for e in events(db, since=since)] == ["client.search"]


# --- similar names ------------------------------------------------------------------------


def test_similar_search_finds_transliteration_variants_exact_first(adviser, db):
    variants = ["Mohammed", "Muhammad", "Mohamad"]
    made = {
        name: create(
            adviser,
            first_name=name,
            last_name="Al-Hassan",
            birth_date="1988-02-03",
            confirmed_different_person=True,
        )["case_number"]
        for name in variants
    }
    other = create(
        adviser,
        first_name="Karim",
        last_name="Al-Hassan",
        birth_date="1988-02-03",
        confirmed_different_person=True,
    )
    for typed in variants:
        exact = search(adviser, first_name=typed, last_name="Al-Hassan", birth_year=1988)
        assert numbers(exact) == [made[typed]]
        page = search(
            adviser, first_name=typed, last_name="al hassan", birth_year=1988, similar=True
        )
        assert set(numbers(page)) == set(made.values())
        assert other["case_number"] not in numbers(page)
        # Exact ("Al-Hassan" and "al hassan" normalise differently: so all are similar
        # here, and the one with the same folded spelling ranks first).
        assert numbers(page)[0] == made[typed]
    page = search(
        adviser, first_name="Mohamad", last_name="Al-Hassan", birth_year=1988, similar=True
    )
    assert page["items"][0]["match"] == "exact"
    assert [i["match"] for i in page["items"][1:]] == ["similar", "similar"]
    search_event = events(db, "client.search")[-1]
    assert search_event["details"]["by"] == "name_year"
    assert search_event["details"]["similar"] is True


@pytest.mark.parametrize(
    ("stored", "typed", "exact_hits"),
    [
        ("Müller", "Muller", 0),
        ("Müller", "Mueller", 1),  # the same name after normalisation: exact already
        ("Łukasz", "Lukasz", 0),
        ("Djamila", "Jamila", 0),
        ("Schirin", "Shirin", 0),
        ("Yusuf", "Youssef", 0),
    ],
)
def test_similar_search_by_last_name_and_birth_date_tolerates_spelling(
    adviser, stored, typed, exact_hits
):
    wanted = create(adviser, last_name=stored, birth_date="1979-07-01")
    assert search(adviser, last_name=typed, birth_date="1979-07-01")["total"] == exact_hits
    page = search(adviser, last_name=typed, birth_date="1979-07-01", similar=True)
    assert numbers(page) == [wanted["case_number"]]
    assert page["items"][0]["match"] == ("exact" if exact_hits else "similar")


def test_similar_search_still_needs_the_birth_date_or_year_to_match(adviser):
    create(adviser, first_name="Mohammed", last_name="Rahimi", birth_date="1990-01-01")
    assert search(adviser, last_name="Rahimi", birth_date="1990-01-02", similar=True)["total"] == 0
    page = search(adviser, first_name="Muhammad", last_name="Rahimi", birth_year=1991, similar=True)
    assert page["total"] == 0


def test_renamed_client_is_found_under_the_new_name_only(adviser):
    body = create(adviser, first_name="Jamila", last_name="Haddad", birth_date="1995-05-05")
    response = adviser.patch(
        f"/api/v1/clients/{body['id']}",
        json={"version": body["version"], "last_name": "Nasser", "birth_date": "1995-06-06"},
    )
    assert response.status_code == 200
    for old in (
        {"last_name": "Haddad", "birth_date": "1995-05-05", "similar": True},
        {"first_name": "Jamila", "last_name": "Haddad", "birth_year": 1995, "similar": True},
    ):
        assert search(adviser, **old)["total"] == 0
    assert numbers(
        search(adviser, first_name="Djamila", last_name="Naser", birth_year=1995, similar=True)
    ) == [body["case_number"]]
    assert numbers(search(adviser, last_name="Nasser", birth_date="1995-06-06")) == [
        body["case_number"]
    ]


def test_too_many_candidates_are_refused_before_decrypting(adviser, db, monkeypatch):
    for _ in range(3):
        create(adviser, confirmed_different_person=True)
    monkeypatch.setattr(service, "MAX_CANDIDATES", 2)
    since = last_seq(db)
    response = adviser.post(SEARCH, json={"last_name": "Beispielfrau", "birth_date": "1990-04-12"})
    assert response.status_code == 422
    logged = events(db, since=since)
    assert [(e["action"], e["outcome"]) for e in logged] == [("client.search", "denied")]


def test_paging_keeps_the_ranking(adviser):
    made = [
        create(
            adviser,
            first_name=name,
            last_name="Karimi",
            birth_date="2000-01-01",
            confirmed_different_person=True,
        )["case_number"]
        for name in ("Mehmet", "Mohammed", "Muhammad")
    ]
    first = search(
        adviser,
        first_name="Muhammad",
        last_name="Karimi",
        birth_year=2000,
        similar=True,
        per_page=1,
    )
    rest = search(
        adviser,
        first_name="Muhammad",
        last_name="Karimi",
        birth_year=2000,
        similar=True,
        per_page=2,
        page=2,
    )
    assert first["total"] == 3
    assert numbers(first) == [made[2]]
    assert len(numbers(rest)) == 1
