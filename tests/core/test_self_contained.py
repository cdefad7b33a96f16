"""The repository stands alone: no file names a path outside it.

A clone is all a user, operator or contributor gets; a pointer to a sibling folder
(a design document next to the checkout) or to a machine's absolute paths is a dead
end for them. Scans every tracked (and new, not ignored) text file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest

REPO = Path(__file__).resolve().parents[2]
# Built from parts, so that this file does not name what it looks for.
_DESIGN = "DESIGN" + ".md"
_SHARED = "shared" + "/"
_MACHINE_PATHS = ("/" + "work/", "/" + "tmp/")
# "../x" as a path (not the "..." of an elided URL).
_PARENT_PATH = re.compile(r"(?<![.\w])((?:\.\./)+)([\w.-][\w./-]*)?")


def _repository_files() -> list[Path]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [REPO / name for name in listed.split("\0") if name and (REPO / name).is_file()]


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _escapes(relative_file: PurePosixPath, parents: str) -> bool:
    """Whether ``parents`` ("../../") from the file's folder leaves the repository."""
    return parents.count("../") > len(relative_file.parent.parts)


def outside_references(files: list[Path]) -> list[str]:
    """``path:line: what`` for every reference to something outside the repository."""
    found = []
    for path in files:
        text = _text(path)
        if text is None:
            continue
        relative = PurePosixPath(path.relative_to(REPO).as_posix())
        for number, line in enumerate(text.splitlines(), start=1):
            where = f"{relative}:{number}"
            if _DESIGN in line or _SHARED in line:
                found.append(f"{where}: {line.strip()}")
            for machine in _MACHINE_PATHS:
                if machine in line:
                    found.append(f"{where}: absolute path {machine}")
            for match in _PARENT_PATH.finditer(line):
                if _escapes(relative, match.group(1)):
                    found.append(f"{where}: {match.group(0)} leaves the repository")
    return found


def test_no_file_names_a_path_outside_the_repository():
    files = _repository_files()
    assert any(p.name == "README.md" for p in files)
    assert outside_references(files) == []


def test_the_scan_finds_what_it_looks_for(tmp_path, monkeypatch):
    # The checker itself: each kind of outside reference is reported, inner paths are not.
    # The samples lie one folder deep in a repository rooted at tmp_path's parent.
    samples = {
        "a.md": f"Design: `../{_SHARED}{_DESIGN}`",
        "b.md": "see ../../elsewhere/notes.txt",
        "c.md": f"logs in {_MACHINE_PATHS[1]}mgz.log",
        "d.md": "[glossary](../docs/glossary.md) and PATCH .../consultations/{cid}",
    }
    paths = []
    for name, content in samples.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        paths.append(path)
    monkeypatch.setattr("tests.core.test_self_contained.REPO", tmp_path.parent, raising=True)
    found = outside_references(paths)
    assert any("a.md" in line for line in found)
    assert any("b.md" in line and "leaves" in line for line in found)
    assert any("c.md" in line for line in found)
    assert not any("d.md" in line for line in found)
