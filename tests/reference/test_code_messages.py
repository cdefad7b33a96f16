"""422 "Unbekannter Code" names the code list and where its allowed codes are."""

from __future__ import annotations

from tests.clients.conftest import intake


def _message(list_name: str) -> str:
    return (
        f"Unbekannter Code aus der Codeliste {list_name}; "
        f"erlaubte Codes: GET /api/v1/reference/{list_name}."
    )


def test_an_unknown_code_names_its_list_and_where_the_codes_are(adviser):
    response = adviser.post(
        "/api/v1/clients",
        json=intake(residence_status="NO_SUCH_STATUS", nationality=["SY", "QQ"]),
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors["residence_status"] == [_message("residence_status")]
    assert errors["nationality.1"] == [_message("country")]
    assert "nationality.0" not in errors
    # The place named is real: the codes a client needs are there.
    listed = adviser.get("/api/v1/reference/residence_status").get_json()
    assert "AE_25_2_GFK" in {code["code"] for code in listed["codes"]}
    assert "NO_SUCH_STATUS" not in response.get_data(as_text=True)


def test_a_code_field_with_fixed_choices_names_its_list_too(adviser):
    response = adviser.post("/api/v1/clients", json=intake(gender="nonsense"))
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["gender"]
    assert message.startswith("Unbekannter Code aus der Codeliste gender; erlaubt: ")
    assert "female" in message
    assert "nonsense" not in response.get_data(as_text=True)
