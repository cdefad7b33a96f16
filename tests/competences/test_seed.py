"""The shipped labour-market checklist: content, `mgz checklists load`, demo step."""

from sqlalchemy import delete, select

from mgz.competences import checklists
from mgz.competences.cli import load_demo_checklists
from mgz.competences.models import Checklist
from mgz.competences.seed import LABOUR_MARKET_GENERAL
from mgz.core.actor import Actor
from mgz.reference.models import ReferenceCode, ReferenceListVersion
from tests.conftest import events, last_seq


def _published(db):
    db.expire_all()
    return list(
        db.scalars(
            select(Checklist)
            .where(Checklist.key == "labour_market_general")
            .order_by(Checklist.version)
        )
    )


def test_shipped_checklist_covers_what_the_issue_asks():
    items = {item["key"]: item for item in LABOUR_MARKET_GENERAL["items"]}
    # the ten Berufsbereiche of KldB 2010
    assert [f"experience_area_{d}" in items for d in "0123456789"] == [True] * 10
    assert items["preferred_area"]["code_list"] == "kldb_area"
    for key in (
        "hand_tools", "machine_operation",  # tools and machines
        "it_computer_basics", "it_office",  # IT
        "driving_licence_b", "forklift_licence",  # licences
        "shift_work", "night_work",  # shift work
        "physical_heavy_work",  # physical capacity
        "german_at_work", "german_instructions",  # language use at work
    ):  # fmt: skip
        assert key in items
    assert {item["answer_type"] for item in items.values()} == {
        "yes_no", "level_0_3", "number", "text", "code",
    }  # fmt: skip


def test_load_command_publishes_once(runner, db):
    since = last_seq(db)
    first = runner.invoke(args=["checklists", "load"])
    assert first.exit_code == 0, first.output
    assert "labour_market_general" in first.output and "created" in first.output
    loaded = _published(db)
    assert [(c.version, c.status) for c in loaded] == [(1, "published")]
    assert len(loaded[0].items) == len(LABOUR_MARKET_GENERAL["items"])
    assert [e["action"] for e in events(db, since=since)] == ["checklist.load"]

    again = runner.invoke(args=["checklists", "load"])
    assert again.exit_code == 0
    assert "unchanged" in again.output
    assert len(_published(db)) == 1


def test_a_changed_shipped_template_becomes_the_next_version(db):
    actor = Actor.system("tests")
    checklists.load_seed_templates(db, actor)
    changed = {**LABOUR_MARKET_GENERAL, "items": LABOUR_MARKET_GENERAL["items"][:-1]}
    results = checklists.load_seed_templates(db, actor, [changed])
    assert [(r.version, r.outcome) for r in results] == [(2, "created")]
    assert [(c.version, len(c.items)) for c in _published(db)] == [
        (1, len(LABOUR_MARKET_GENERAL["items"])),
        (2, len(LABOUR_MARKET_GENERAL["items"]) - 1),
    ]


def test_demo_step_publishes_the_checklist(app, db):
    lines = load_demo_checklists(app)
    assert lines and "Checklisten" in lines[0]
    assert [c.status for c in _published(db)] == ["published"]


def test_load_command_fails_cleanly_without_code_lists(runner, db):
    db.execute(delete(ReferenceCode).where(ReferenceCode.list_name == "kldb_area"))
    db.execute(delete(ReferenceListVersion).where(ReferenceListVersion.list_name == "kldb_area"))
    db.flush()
    result = runner.invoke(args=["checklists", "load"])
    assert result.exit_code == 1
    assert "code_list" in result.output
    assert _published(db) == []
