"""The declared hierarchies: worked values on every level, and the real municipality list."""

import pytest

from mgz.exports.hierarchies import (
    QUASI_IDENTIFIERS,
    age_hierarchy,
    declared_hierarchies,
    flat_hierarchy,
    generalise_key,
    municipality_hierarchy,
    year_moved_in_hierarchy,
)
from mgz.reference.files import read_lists


def municipality_groups():
    """AGS -> group as shipped in municipality.toml (public reference data)."""
    return {e["code"]: e["group"] for e in read_lists()["municipality"].entries}


def levels_of(hierarchy, value):
    return [hierarchy.generalise(value, lv) for lv in range(hierarchy.height + 1)]


def test_age_bands_on_every_level():
    age = age_hierarchy()
    assert levels_of(age, 23) == ["23", "20-24", "20-29", "20-39", "*"]
    assert levels_of(age, 40) == ["40", "40-44", "40-49", "40-59", "*"]
    assert levels_of(age, 0) == ["0", "0-4", "0-9", "0-19", "*"]


@pytest.mark.parametrize("bad", [-1, True, "23", 23.5, None])
def test_age_refuses_what_is_not_an_age(bad):
    with pytest.raises(ValueError, match="Alter"):
        age_hierarchy().generalise(bad, 1)


def test_year_periods_start_on_even_years():
    year = year_moved_in_hierarchy()
    assert levels_of(year, 2018) == ["2018", "2018-2019", "*"]
    assert levels_of(year, 2019) == ["2019", "2018-2019", "*"]
    assert levels_of(year, 2020)[1] == "2020-2021"


def test_municipality_group_and_county():
    municipality = municipality_hierarchy(municipality_groups())
    # Badbergen is a member of Samtgemeinde Artland; Melle is its own group.
    assert levels_of(municipality, "03459007") == ["03459007", "034595401", "03459", "*"]
    assert levels_of(municipality, "03459024") == ["03459024", "03459024", "03459", "*"]


@pytest.mark.parametrize("level", [0, 1, 2])
def test_unknown_municipality_is_refused_on_every_level_but_the_top(level):
    municipality = municipality_hierarchy({"03459024": "03459024"})
    with pytest.raises(ValueError, match="Gemeindeschlüssel"):
        municipality.generalise("99999999", level)


def test_every_shipped_municipality_reaches_the_county():
    groups = municipality_groups()
    municipality = municipality_hierarchy(groups)
    assert len(groups) > 30
    assert {municipality.generalise(code, 2) for code in groups} == {"03459", "unknown"}
    assert municipality.generalise("unknown", 1) == "unknown"
    assert {municipality.generalise(code, 1) for code in groups} == set(groups.values())


def test_flat_codes_are_released_or_starred():
    assert levels_of(flat_hierarchy("gender"), "female") == ["female", "*"]


def test_declared_order_and_key_generalisation():
    hierarchies = declared_hierarchies(municipality_groups())
    assert tuple(h.name for h in hierarchies) == QUASI_IDENTIFIERS
    key = (34, "male", "third_country", "protection_open", "03459007", 2017)
    assert generalise_key(hierarchies, key, (2, 0, 1, 0, 1, 1)) == (
        "30-39",
        "male",
        "*",
        "protection_open",
        "034595401",
        "2016-2017",
    )
    with pytest.raises(ValueError, match="Anzahl"):
        generalise_key(hierarchies, key[:5], (0,) * 6)
    with pytest.raises(ValueError, match="Anzahl"):
        generalise_key(hierarchies, key, (0,) * 5)
