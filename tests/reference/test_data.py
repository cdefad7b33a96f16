"""The shipped code-list files: complete, consistent and right where a statistic depends on them."""

import re
import shutil

import pytest

from mgz.reference.files import ReferenceDataError, default_data_dir, read_lists

# The 27 EU member states (since Croatia 2013, after the United Kingdom left in 2020).
EU_27 = {
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
}


@pytest.fixture(scope="module")
def lists():
    return read_lists()


def by_code(lists, name):
    return {entry["code"]: entry for entry in lists[name].entries}


def test_every_list_the_issues_need_is_shipped(lists):
    needed = {
        "residence_status", "residence_status_group", "municipality", "municipality_group",
        "country", "citizenship_group", "language", "consultation_topic", "referral_institution",
        "consultation_channel", "gender", "isced_level", "cefr_level", "kldb_area",
        "kldb_requirement_level", "recognition_status", "profile_type", "key_factor",
        "competence_class", "integration_goal", "need_rating", "course_type", "funding",
        "placement_outcome",
    }  # fmt: skip
    assert needed <= set(lists)


def test_every_country_code_is_two_upper_case_letters(lists):
    countries = by_code(lists, "country")
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in countries)
    assert len(countries) == 252  # 249 ISO 3166-1 + XK Kosovo, XX stateless, ZZ unknown


def test_eu_membership_is_exactly_the_27_states(lists):
    countries = by_code(lists, "country")
    members = {c for c, e in countries.items() if e["attributes"].get("eu_member")}
    assert members == EU_27
    sovereign_eu = {
        c
        for c, e in countries.items()
        if e["group"] == "eu" and "territory_of" not in e["attributes"]
    }
    efta = {c for c, e in countries.items() if e["attributes"].get("efta_member")}
    assert sovereign_eu == EU_27 | efta
    assert countries["DE"]["group"] == "eu"


def test_eea_switzerland_and_special_codes_are_grouped(lists):
    countries = by_code(lists, "country")
    efta = {c for c, e in countries.items() if e["attributes"].get("efta_member")}
    assert efta == {"IS", "LI", "NO", "CH"}
    assert all(countries[code]["group"] == "eu" for code in efta)
    assert countries["XX"]["group"] == "stateless"
    assert countries["ZZ"]["group"] == "unknown"
    # Left the EU: third countries for the statistic.
    assert countries["GB"]["group"] == "third_country"
    for code in ("SY", "AF", "UA", "TR", "IQ", "ER", "XK", "RU"):
        assert countries[code]["group"] == "third_country"


def test_territories_follow_their_sovereigns_group(lists):
    countries = by_code(lists, "country")
    for code, entry in countries.items():
        owner = entry["attributes"].get("territory_of")
        if owner:
            assert countries[owner]["group"] == entry["group"], code


def test_21_kommunen_17_einheitsgemeinden_and_4_samtgemeinden(lists):
    kommunen = by_code(lists, "municipality_group")
    kinds = [e["attributes"].get("kind") for c, e in kommunen.items() if c != "unknown"]
    assert len(kinds) == 21
    assert kinds.count("Samtgemeinde") == 4
    assert all(re.fullmatch(r"03459\d{3}|034595\d{3}", c) for c in kommunen if c != "unknown")


def test_every_municipality_belongs_to_an_existing_kommune(lists):
    kommunen = by_code(lists, "municipality_group")
    municipalities = by_code(lists, "municipality")
    assert len(municipalities) == 17 + 17 + 1  # Einheitsgemeinden, SG members, unknown
    members: dict[str, list[str]] = {}
    for code, entry in municipalities.items():
        assert entry["group"] in kommunen
        members.setdefault(entry["group"], []).append(code)
        if code != "unknown":
            ars = entry["attributes"]["ars"]
            assert ars[:5] + ars[9:] == code  # AGS = ARS[0:5] + ARS[9:12]
    for code, entry in kommunen.items():
        if entry["attributes"].get("kind") == "Samtgemeinde":
            assert len(members[code]) >= 3
        elif code != "unknown":
            assert members[code] == [code]  # an Einheitsgemeinde is its own Kommune
    assert municipalities["03459030"]["label"] == "Quakenbrück"
    assert municipalities["03459030"]["group"] == "034595401"


def test_residence_status_groups_all_exist_and_flag_protection_seekers(lists):
    groups = by_code(lists, "residence_status_group")
    statuses = by_code(lists, "residence_status")
    assert {e["group"] for e in statuses.values()} <= set(groups)
    assert {c for c, e in groups.items() if e["attributes"]["protection_seeker"]} == {
        "protection_open",
        "protection_recognised",
        "protection_rejected",
    }
    assert statuses["GESTATTUNG"]["group"] == "protection_open"
    assert statuses["AE_25_2_GFK"]["group"] == "protection_recognised"
    assert statuses["DULDUNG_60A"]["group"] == "protection_rejected"
    assert statuses["BLUE_CARD_18G"]["group"] == "other_third_country"
    assert statuses["EU_FREIZUEGIG"]["group"] == "eu"


def test_language_codes_are_iso_639_1_or_documented_639_3(lists):
    for code, entry in by_code(lists, "language").items():
        if len(code) == 3:
            assert entry["attributes"] == {"standard": "ISO 639-3"}, code
        else:
            assert re.fullmatch(r"[a-z]{2}", code), code
    assert {"prs", "kmr", "ckb", "fa", "ps", "ti", "ar", "uk"} <= set(by_code(lists, "language"))


def test_legacy_course_types_ship_withdrawn(lists):
    courses = by_code(lists, "course_type")
    assert {c for c, e in courses.items() if e["withdrawn"]} == {"JUGEND", "ELTERN", "FRAUEN"}


def test_only_svb_training_and_self_employment_count_as_integration(lists):
    outcomes = by_code(lists, "placement_outcome")
    counting = {c for c, e in outcomes.items() if e["attributes"]["counts_as_integration"]}
    assert counting == {"SVB", "AUSBILDUNG", "SELBSTAENDIG"}


def test_kldb_areas_are_the_ten_berufsbereiche(lists):
    assert list(by_code(lists, "kldb_area")) == [str(n) for n in range(10)]


def test_a_group_missing_from_its_group_list_is_refused(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    path = data / "residence_status.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('group = "protection_open"', 'group = "asyl"', 1),
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match="unknown group 'asyl'"):
        read_lists(data)


def test_a_duplicate_code_is_refused(tmp_path):
    (tmp_path / "gender.toml").write_text(
        'title = "G"\ncodes = [{ code = "x", label = "a" }, { code = "x", label = "b" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match="duplicate code 'x'"):
        read_lists(tmp_path)
