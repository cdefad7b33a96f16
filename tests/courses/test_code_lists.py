"""The KIM code lists: new course types in their groups, versioned on load."""

import shutil

from sqlalchemy.orm import Session

from mgz.core.actor import Actor
from mgz.core.db import make_engine
from mgz.reference import service
from mgz.reference.files import default_data_dir, read_lists
from mgz.reference.loading import load_reference_data

NEW_TYPES = {
    "MAMA_LERNT_DEUTSCH": "county_language_course",
    "DEUTSCH_TREFF": "county_language_course",
    "LK_SPRACHKURS": "county_language_course",
    "LAND_NDS_BASIS": "land_course",
    "EHRENAMT_SPRACHE": "volunteer_offer",
}


def codes(name):
    return {entry["code"]: entry for entry in read_lists()[name].entries}


def test_new_course_types_are_in_their_groups():
    types = codes("course_type")
    assert {code: types[code]["group"] for code in NEW_TYPES} == NEW_TYPES
    assert types["MAMA_LERNT_DEUTSCH"]["attributes"] == {"women_only": True}
    assert set(NEW_TYPES.values()) <= set(codes("course_type_group"))


def test_entitlements_schedule_dtz_and_drop_reasons():
    entitlements = codes("course_entitlement")
    assert set(entitlements) == {
        "ANSPRUCH",
        "ZULASSUNG",
        "VERPFLICHTUNG_ABH",
        "VERPFLICHTUNG_JOBCENTER",
        "VERPFLICHTUNG_ASYLBLG",
    }
    obliged = {c for c, e in entitlements.items() if e["attributes"]["obligation"]}
    assert obliged == {"VERPFLICHTUNG_ABH", "VERPFLICHTUNG_JOBCENTER", "VERPFLICHTUNG_ASYLBLG"}
    assert list(codes("dtz_result")) == ["B1", "A2", "unter_A2"]
    assert list(codes("course_schedule")) == ["FULL_TIME", "PART_TIME", "EVENING", "WEEKEND"]
    assert {"CHILDCARE", "MOBILITY", "WORK", "OTHER"} <= set(codes("drop_reason"))


def test_the_new_course_types_come_as_a_new_version_of_the_list(backend, tmp_path):
    """A database loaded before this issue gets course_type version 2 with five codes added."""
    old = tmp_path / "data"
    shutil.copytree(default_data_dir(), old)
    path = old / "course_type.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join(line for line in lines if not any(code in line for code in NEW_TYPES)) + "\n",
        encoding="utf-8",
    )
    engine = make_engine(backend.new_database(reference_data=False))
    try:
        with Session(engine) as session:
            load_reference_data(session, Actor.system("tests"), old)
            assert service.list_info(session, "course_type").version == 1
            report = load_reference_data(session, Actor.system("tests"))
            change = next(c for c in report.lists if c.list_name == "course_type")
            assert (change.version, set(change.added)) == (2, set(NEW_TYPES))
            assert service.is_valid(session, "course_type", "DEUTSCH_TREFF")
            session.rollback()
    finally:
        engine.dispose()
