"""Declared generalisation hierarchies of the microdata export's quasi-identifiers.

Issue 19 fixes which attributes may single a person out in combination (the
quasi-identifiers) and how each may be coarsened. They are declared here as data,
one list of levels per quasi-identifier, so that the anonymity search
(``mgz.exports.anonymity``) can walk the lattice of level vectors without knowing
what an age band or a Samtgemeinde is, and so that the manifest can name exactly
which level was released. Level 0 is the finest value as one GROUP BY gives it;
the last level is always ``"*"`` (attribute suppressed), so the top of the lattice
is one single class and a search always has a candidate.

Values are made into strings on every level so that one release column holds one
type whatever level was chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

SUPPRESSED = "*"

Level = Callable[[object], str]


@dataclass(frozen=True)
class Hierarchy:
    """The levels of one quasi-identifier; ``levels[0]`` is the finest, the last ``"*"``."""

    name: str
    level_names: tuple[str, ...]
    levels: tuple[Level, ...]

    def __post_init__(self) -> None:
        if len(self.levels) < 2 or len(self.levels) != len(self.level_names):
            raise ValueError(f"Hierarchie {self.name!r}: mindestens zwei benannte Stufen nötig.")

    @property
    def height(self) -> int:
        """The highest level index (the ``"*"`` level)."""
        return len(self.levels) - 1

    def generalise(self, value: object, level: int) -> str:
        """``value`` (finest) generalised to ``level``."""
        return self.levels[level](value)


def _suppress(_value: object) -> str:
    return SUPPRESSED


def _as_code(value: object) -> str:
    return str(value)


def _age(value: object) -> int:
    # bool is an int in Python; an age of True is a programming error, not an age.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("Alter muss eine nicht negative ganze Zahl sein.")
    return value


def _age_band(width: int) -> Level:
    def band(value: object) -> str:
        low = _age(value) // width * width
        return f"{low}-{low + width - 1}"

    return band


def _year(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Zuzugsjahr muss eine ganze Zahl sein.")
    return value


def _two_year_period(value: object) -> str:
    # Periods start on even years (2018-2019, 2020-2021) so that they are the same
    # in every export and two releases cannot be intersected to a single year.
    low = _year(value) // 2 * 2
    return f"{low}-{low + 1}"


def age_hierarchy() -> Hierarchy:
    """Exact age -> 5-year band -> 10-year band -> 20-year band -> ``"*"``."""
    return Hierarchy(
        name="age",
        level_names=("age", "band_5", "band_10", "band_20", SUPPRESSED),
        levels=(lambda v: str(_age(v)), _age_band(5), _age_band(10), _age_band(20), _suppress),
    )


def year_moved_in_hierarchy() -> Hierarchy:
    """Year of moving in -> 2-year period -> ``"*"``."""
    return Hierarchy(
        name="year_moved_in",
        level_names=("year", "period_2", SUPPRESSED),
        levels=(lambda v: str(_year(v)), _two_year_period, _suppress),
    )


def municipality_hierarchy(groups: Mapping[str, str]) -> Hierarchy:
    """AGS -> municipality group (Samtgemeinde or the Einheitsgemeinde) -> county -> ``"*"``.

    ``groups`` maps each AGS to its group (``municipality.toml``); it is an argument so
    that the hierarchy stays a pure function of declared data. An AGS without a group
    is refused rather than passed through: an unknown code released as it is could be
    a small class of its own.
    """
    mapping = dict(groups)

    def known(value: object) -> str:
        code = str(value)
        if code not in mapping:
            raise ValueError("Unbekannter Gemeindeschlüssel in der Hierarchie.")
        return code

    def group(value: object) -> str:
        return mapping[known(value)]

    def county(value: object) -> str:
        # The first five digits of an AGS are the county (03459 = Landkreis Osnabrück).
        # A code that is no AGS ("unknown") stays itself: claiming it lies in the county
        # would be false, and suppression deals with it if its class is small.
        code = known(value)
        return code[:5] if len(code) == 8 and code.isdigit() else code

    return Hierarchy(
        name="municipality",
        level_names=("municipality", "municipality_group", "county", SUPPRESSED),
        levels=(known, group, county, _suppress),
    )


def flat_hierarchy(name: str) -> Hierarchy:
    """A code released as it is or not at all (gender, citizenship/residence group)."""
    return Hierarchy(name=name, level_names=(name, SUPPRESSED), levels=(_as_code, _suppress))


QUASI_IDENTIFIERS = (
    "age",
    "gender",
    "citizenship_group",
    "residence_status_group",
    "municipality",
    "year_moved_in",
)


def declared_hierarchies(municipality_groups: Mapping[str, str]) -> tuple[Hierarchy, ...]:
    """The hierarchies of issue 19's quasi-identifiers, in ``QUASI_IDENTIFIERS`` order."""
    return (
        age_hierarchy(),
        flat_hierarchy("gender"),
        flat_hierarchy("citizenship_group"),
        flat_hierarchy("residence_status_group"),
        municipality_hierarchy(municipality_groups),
        year_moved_in_hierarchy(),
    )


def generalise_key(
    hierarchies: Sequence[Hierarchy], key: Sequence[object], levels: Sequence[int]
) -> tuple[str, ...]:
    """One finest quasi-identifier tuple generalised to a level vector."""
    if len(key) != len(hierarchies) or len(levels) != len(hierarchies):
        raise ValueError("Anzahl der Quasi-Identifikatoren passt nicht zur Hierarchie.")
    return tuple(h.generalise(v, lv) for h, v, lv in zip(hierarchies, key, levels, strict=True))
