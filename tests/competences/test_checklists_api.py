"""Checklist templates: drafts, publishing, immutable versions, roles (both databases)."""

import pytest

from tests.competences.conftest import CHECKLISTS, checklist_items, make_checklist
from tests.conftest import events, last_seq


def test_admin_creates_a_draft_and_publishes_it(admin, db):
    since = last_seq(db)
    draft = make_checklist(admin, publish=False)
    assert (draft["key"], draft["version"], draft["status"]) == ("test_list", 1, "draft")
    assert draft["published_at"] is None
    assert [i["key"] for i in draft["items"]] == [i["key"] for i in checklist_items()]
    assert draft["items"][0]["is_required"] is True
    assert draft["items"][3]["min_value"] == 0

    edited = admin.patch(f"{CHECKLISTS}/{draft['id']}", json={"title": "Neuer Titel"})
    assert edited.status_code == 200
    assert edited.get_json()["title"] == "Neuer Titel"

    published = admin.post(f"{CHECKLISTS}/{draft['id']}/publish")
    assert published.status_code == 200
    assert published.get_json()["status"] == "published"
    assert published.get_json()["published_at"] is not None

    logged = events(db, since=since)
    assert [e["action"] for e in logged] == [
        "checklist.create",
        "checklist.update",
        "checklist.publish",
    ]
    assert all(e["object_id"] == "test_list.v1" for e in logged)


def test_published_version_cannot_be_edited_in_place(admin):
    published = make_checklist(admin)
    path = f"{CHECKLISTS}/{published['id']}"
    refused = admin.patch(path, json={"title": "Heimlich geändert", "items": checklist_items()[:1]})
    assert refused.status_code == 409
    assert refused.get_json()["type"] == "/problems/checklist-published"
    assert admin.post(f"{path}/publish").status_code == 409
    assert admin.get(path).get_json() == published


def test_a_change_creates_the_next_version_as_a_draft(admin):
    v1 = make_checklist(admin)
    response = admin.post(f"{CHECKLISTS}/{v1['id']}/versions")
    assert response.status_code == 201
    v2 = response.get_json()
    assert (v2["key"], v2["version"], v2["status"]) == ("test_list", 2, "draft")
    assert v2["items"] == v1["items"]
    # one open draft per template
    assert admin.post(f"{CHECKLISTS}/{v1['id']}/versions").status_code == 409

    changed = admin.patch(f"{CHECKLISTS}/{v2['id']}", json={"items": checklist_items()[:2]})
    assert changed.status_code == 200
    assert admin.post(f"{CHECKLISTS}/{v2['id']}/publish").status_code == 200
    assert admin.get(f"{CHECKLISTS}/{v1['id']}").get_json() == v1
    versions = admin.get(CHECKLISTS, query_string={"key": "test_list"}).get_json()["items"]
    assert [(v["version"], v["status"], len(v["items"])) for v in versions] == [
        (1, "published", 6),
        (2, "published", 2),
    ]


def test_duplicate_key_is_409(admin):
    make_checklist(admin)
    response = admin.post(
        CHECKLISTS, json={"key": "test_list", "title": "X", "items": checklist_items()}
    )
    assert response.status_code == 409
    assert "key" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([{"key": "a", "label": "A", "answer_type": "code"}], "items.0.code_list"),
        ([{"key": "a", "label": "A", "answer_type": "code", "code_list": "no_such_list"}],
         "items.0.code_list"),
        ([{"key": "a", "label": "A", "answer_type": "text", "code_list": "country"}],
         "items.0.code_list"),
        ([{"key": "a", "label": "A", "answer_type": "number", "min_value": 5, "max_value": 1}],
         "items.0.min_value"),
        ([{"key": "a", "label": "A", "answer_type": "yes_no", "max_value": 1}],
         "items.0.min_value"),
        ([{"key": "a", "label": "A", "answer_type": "colour"}], "items.0.answer_type"),
        ([{"key": "A b", "label": "A", "answer_type": "text"}], "items.0.key"),
        ([{"key": "a", "answer_type": "text"}], "items.0.label"),
        ([{"key": "a", "label": "A", "answer_type": "text"}] * 2, "items"),
        ([], "items"),
    ],
)  # fmt: skip
def test_bad_items_are_422_naming_the_item(admin, db, items, field):
    since = last_seq(db)
    response = admin.post(CHECKLISTS, json={"key": "bad", "title": "X", "items": items})
    assert response.status_code == 422
    assert field in response.get_json()["errors"], response.get_json()
    assert admin.get(CHECKLISTS, query_string={"key": "bad"}).get_json()["items"] == []
    assert events(db, since=since) == []


@pytest.mark.parametrize("role", ["adviser", "statistician", "auditor", "admin"])
def test_every_role_reads_published_checklists(admin, login_as, role):
    published = make_checklist(admin)
    draft = make_checklist(admin, key="draft_list", publish=False)
    reader = login_as(role)
    listed = reader.get(CHECKLISTS).get_json()["items"]
    keys = {c["key"] for c in listed}
    assert "test_list" in keys
    assert reader.get(f"{CHECKLISTS}/{published['id']}").status_code == 200
    if role == "admin":
        assert "draft_list" in keys
        assert reader.get(f"{CHECKLISTS}/{draft['id']}").status_code == 200
    else:
        assert "draft_list" not in keys
        assert reader.get(f"{CHECKLISTS}/{draft['id']}").status_code == 404


@pytest.mark.parametrize("role", ["adviser", "statistician", "auditor"])
def test_only_admins_manage_checklists(admin, login_as, role):
    draft = make_checklist(admin, publish=False)
    other = login_as(role)
    body = {"key": "mine", "title": "X", "items": checklist_items()}
    assert other.post(CHECKLISTS, json=body).status_code == 403
    assert other.patch(f"{CHECKLISTS}/{draft['id']}", json={"title": "Y"}).status_code == 403
    assert other.post(f"{CHECKLISTS}/{draft['id']}/publish").status_code == 403
    assert other.post(f"{CHECKLISTS}/{draft['id']}/versions").status_code == 403


def test_anonymous_gets_401(app):
    assert app.test_client().get(CHECKLISTS).status_code == 401
