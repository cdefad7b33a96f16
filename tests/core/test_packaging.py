"""The package ships its data the way setuptools supports, so installing it warns of nothing.

setuptools warns (and will one day refuse) when a folder inside a package holds
shipped files but is no package of the ``packages`` configuration: every folder
under ``mgz/`` is a regular package, and each ``package_data`` entry names one.
"""

from __future__ import annotations

import configparser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "mgz"


def _folders() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*")
        if path.is_dir() and path.name != "__pycache__" and not path.name.endswith(".egg-info")
    )


def test_every_folder_under_mgz_is_a_regular_package():
    missing = [
        str(p.relative_to(REPO)) for p in [PACKAGE, *_folders()] if not (p / "__init__.py").exists()
    ]
    assert missing == []


def test_package_data_names_packages_and_matches_the_shipped_files():
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg", encoding="utf-8")
    entries = dict(setup["options.package_data"])
    assert entries, "no package_data configured"
    shipped = set()
    for package, patterns in entries.items():
        folder = REPO / package.replace(".", "/")
        assert (folder / "__init__.py").exists(), f"{package} is not a package"
        for pattern in patterns.split():
            assert "/" not in pattern, f"{package}: {pattern} reaches into a sub-folder"
            matched = set(folder.glob(pattern))
            assert matched, f"{package}: {pattern} matches nothing"
            shipped |= matched
    toml = set((PACKAGE / "reference" / "data").glob("*.toml"))
    assert toml <= shipped
