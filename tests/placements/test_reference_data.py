"""The code lists of placements, benefits and measures, as shipped and as loaded."""

import shutil

from mgz.core.actor import Actor
from mgz.reference import files, loading, service
from mgz.reference.files import read_lists

SUBJECT_TO_SOCIAL_INSURANCE = {
    "SVB": True,
    "AUSBILDUNG": True,
    "EINSTIEGSQUALIFIZIERUNG": True,  # § 54a SGB III: insured as betriebliche Berufsausbildung
    "MINIJOB": False,
    "SELBSTAENDIG": False,
    "OEFFENTLICH_GEFOERDERT": False,
    "PRAKTIKUM": False,
}


def test_every_placement_kind_says_whether_it_is_subject_to_social_insurance():
    entries = {e["code"]: e for e in read_lists()["placement_outcome"].entries}
    assert {
        code: e["attributes"]["subject_to_social_insurance"] for code, e in entries.items()
    } == SUBJECT_TO_SOCIAL_INSURANCE
    assert all(isinstance(e["attributes"]["counts_as_integration"], bool) for e in entries.values())


def test_benefit_measure_and_sector_lists_are_shipped_with_german_labels():
    lists = read_lists()
    assert [e["code"] for e in lists["benefit_kind"].entries] == [
        "SGB_II",
        "SGB_XII",
        "ASYLBLG",
        "SGB_III",
    ]
    assert [e["code"] for e in lists["measure_kind"].entries] == [
        "BERUFSORIENTIERUNG",
        "EINSTIEGSQUALIFIZIERUNG",
        "WEITERBILDUNG",
        "AKTIVIERUNG",
        "ANPASSUNGSQUALIFIZIERUNG",
        "SONSTIGE",
    ]
    assert len(lists["employer_sector"].entries) == 21  # WZ 2008, Abschnitte A to U
    labels = [e["label"] for name in ("benefit_kind", "measure_kind") for e in lists[name].entries]
    assert "Berufsorientierung" in labels and "Sozialhilfe (SGB XII)" in labels


def test_loading_the_new_attribute_gives_placement_outcome_a_new_version(db, tmp_path):
    """An installation with the old list (no attribute, five codes) gets a new version."""
    old = tmp_path / "old"
    shutil.copytree(files.default_data_dir(), old)
    (old / "placement_outcome.toml").write_text(
        'title = "Art der Vermittlung"\n'
        "codes = [\n"
        '  { code = "SVB", label = "Sozialversicherungspflichtige Beschäftigung", '
        "attributes = { counts_as_integration = true } },\n"
        '  { code = "MINIJOB", label = "Geringfügige Beschäftigung (Minijob)", '
        "attributes = { counts_as_integration = false } },\n"
        "]\n",
        encoding="utf-8",
    )
    actor = Actor.system("tests")
    loading.load_reference_data(db, actor, data_dir=old)
    version = service.list_info(db, "placement_outcome").version
    assert (
        "subject_to_social_insurance"
        not in service.get_code(db, "placement_outcome", "SVB").attributes
    )
    report = loading.load_reference_data(db, actor)  # the shipped files
    change = next(c for c in report.changed if c.list_name == "placement_outcome")
    assert change.version == version + 1
    # The session database had the new codes already: the old file withdrew them.
    assert {"EINSTIEGSQUALIFIZIERUNG", "PRAKTIKUM"} <= set(change.added) | set(change.reactivated)
    assert set(change.updated) == {"SVB", "MINIJOB"}
    assert service.get_code(db, "placement_outcome", "SVB").attributes == {
        "counts_as_integration": True,
        "subject_to_social_insurance": True,
    }
    assert service.is_valid(db, "benefit_kind", "ASYLBLG")
    assert service.is_valid(db, "measure_kind", "AKTIVIERUNG")
