"""Loading, versioning and looking up code lists, on SQLite and PostgreSQL."""

import shutil

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mgz.audit.models import AuditEvent
from mgz.core.actor import Actor
from mgz.core.db import make_engine
from mgz.reference import files, loading, service
from mgz.reference.models import ReferenceCode, ReferenceListVersion

ACTOR = Actor.system("tests")


def alternative_data(tmp_path):
    """The shipped files with gender changed: 'unspecified' dropped, 'x' added, a relabel."""
    data = tmp_path / "data"
    shutil.copytree(files.default_data_dir(), data)
    (data / "gender.toml").write_text(
        'title = "Geschlecht"\n'
        "codes = [\n"
        '  { code = "female", label = "weiblich" },\n'
        '  { code = "male", label = "männlich" },\n'
        '  { code = "diverse", label = "divers (§ 22 PStG)" },\n'
        '  { code = "x", label = "keine Angabe (neu)" },\n'
        "]\n",
        encoding="utf-8",
    )
    return data


def row_counts(db):
    return (
        db.scalar(select(func.count()).select_from(ReferenceCode)),
        db.scalar(select(func.count()).select_from(ReferenceListVersion)),
    )


def test_session_database_has_the_shipped_lists(db):
    assert service.is_valid(db, "residence_status", "GESTATTUNG")
    assert service.group_of(db, "residence_status", "GESTATTUNG") == "protection_open"
    assert service.list_info(db, "country").version >= 1


def test_loading_twice_changes_nothing_the_second_time(db):
    before = row_counts(db)
    report = loading.load_reference_data(db, ACTOR)
    assert report.changed == ()
    assert all(change.describe().endswith(")") for change in report.lists)
    assert row_counts(db) == before


def test_first_load_creates_version_1_of_every_list(backend, tmp_path):
    url = backend.new_database(reference_data=False)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            report = loading.load_reference_data(session, ACTOR)
            session.commit()
            assert {change.version for change in report.lists} == {1}
            assert len(report.changed) == len(report.lists) == len(files.read_lists())
            country = next(c for c in report.lists if c.list_name == "country")
            assert len(country.added) == 252
            again = loading.load_reference_data(session, ACTOR)
            assert again.changed == ()
            # One audit event per changed list, none for the unchanged second load.
            session.commit()
            events = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "reference.load")
            ).all()
            assert sorted(e.object_id for e in events) == sorted(c.list_name for c in report.lists)
    finally:
        engine.dispose()


def test_a_changed_list_gets_version_2_and_withdrawn_codes_stay_readable(db, tmp_path):
    version = service.list_info(db, "gender").version
    report = loading.load_reference_data(db, ACTOR, data_dir=alternative_data(tmp_path))
    (change,) = report.changed
    assert change.list_name == "gender"
    assert change.version == version + 1
    assert change.added == ("x",)
    assert change.withdrawn == ("unspecified",)
    assert change.updated == ("diverse",)
    assert change.describe() == f"gender: new version {version + 1} (+1 −1, 1 updated)"

    assert not service.is_valid(db, "gender", "unspecified")
    assert service.is_valid(db, "gender", "unspecified", allow_withdrawn=True)
    assert service.is_valid(db, "gender", "x")
    assert not service.is_valid(db, "gender", "nonsense", allow_withdrawn=True)
    assert [e.code for e in service.codes(db, "gender")] == ["female", "male", "diverse", "x"]
    withdrawn = service.get_code(db, "gender", "unspecified")
    assert withdrawn.withdrawn_in_version == version + 1
    assert withdrawn.label == "ohne Angabe"
    assert service.get_code(db, "gender", "diverse").label == "divers (§ 22 PStG)"
    assert len(service.codes(db, "gender", include_withdrawn=True)) == 5


def test_a_code_put_back_is_reactivated_in_a_third_version(db, tmp_path):
    loading.load_reference_data(db, ACTOR, data_dir=alternative_data(tmp_path))
    report = loading.load_reference_data(db, ACTOR)  # the shipped files again
    (change,) = report.changed
    assert change.reactivated == ("unspecified",)
    assert change.withdrawn == ("x",)
    assert service.is_valid(db, "gender", "unspecified")
    assert not service.is_valid(db, "gender", "x")


def test_codes_shipped_as_withdrawn_are_refused_for_new_input(db):
    assert not service.is_valid(db, "course_type", "JUGEND")
    assert service.is_valid(db, "course_type", "JUGEND", allow_withdrawn=True)
    assert service.is_valid(db, "course_type", "ALLG")
    assert service.group_of(db, "course_type", "FRAUEN") == "integration_course"


def test_a_rolled_back_load_never_leaves_stale_codes_in_the_cache(db, tmp_path):
    assert not service.is_valid(db, "gender", "x")
    savepoint = db.begin_nested()
    loading.load_reference_data(db, ACTOR, data_dir=alternative_data(tmp_path))
    assert service.is_valid(db, "gender", "x")
    savepoint.rollback()
    assert not service.is_valid(db, "gender", "x")
    assert service.is_valid(db, "gender", "unspecified")


def test_an_unknown_list_is_an_error_not_a_false(db):
    with pytest.raises(service.UnknownListError):
        service.is_valid(db, "no_such_list", "x")
    assert service.group_of(db, "country", "QQ") is None


def test_list_names_shows_each_list_once_with_its_newest_version(db, tmp_path):
    loading.load_reference_data(db, ACTOR, data_dir=alternative_data(tmp_path))
    infos = service.list_names(db)
    names = [info.name for info in infos]
    assert names == sorted(set(names))
    gender = next(info for info in infos if info.name == "gender")
    assert gender.version == service.list_info(db, "gender").version >= 2
