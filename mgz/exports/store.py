"""Where export files live, and how they appear there: whole, or not at all.

An export is written into a hidden ``.<id>.partial`` folder and renamed to ``<id>``
only when every file and the manifest are written and synced: a rename is one step,
so an export that is interrupted (a crash, ``kill -9``) leaves only a ``.partial``
folder, which nothing serves and the clean-up removes. A folder without a database
row (its transaction rolled back after the rename) is never served either and goes
the same way. The same holds for ``mgz export --out PATH``: everything is written to
``PATH.partial-<random>`` first.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mgz.exports.manifest import MANIFEST_NAME
from mgz.exports.writers import sync_folder

FOLDER_NAME = "exports"
PARTIAL_SUFFIX = ".partial"
# A leftover (``.partial`` or without a row) younger than this may belong to an export
# that another worker is writing or about to commit: the clean-up leaves it alone.
LEFTOVER_GRACE_SECONDS = 3600


def exports_root(instance: Path) -> Path:
    """``<instance>/exports``, created (0700) when missing."""
    root = Path(instance) / FOLDER_NAME
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def staged(root: Path, export_id: str) -> Iterator[Path]:
    """A fresh ``.<id>.partial`` folder to write into; removed again on any error."""
    partial = root / f".{export_id}{PARTIAL_SUFFIX}"
    partial.mkdir(mode=0o700)
    try:
        yield partial
    except BaseException:
        _remove(partial)
        raise


def publish(partial: Path, root: Path, export_id: str) -> Path:
    """Rename the finished ``partial`` folder to ``<root>/<id>`` in one step."""
    final = root / export_id
    os.rename(partial, final)
    sync_folder(root)
    return final


def folder_of(root: Path, export_id: str) -> Path | None:
    """The published folder of an export with its manifest, or None."""
    folder = root / export_id
    if not (folder / MANIFEST_NAME).is_file():
        return None
    return folder


def remove_export(root: Path, export_id: str) -> None:
    """Delete an export's folder (retention, or an export whose row is gone)."""
    _remove(root / export_id)


def leftovers(root: Path, known: Iterable[str], now: float | None = None) -> list[Path]:
    """Entries of ``root`` that no export row stands for, older than the grace period.

    ``.partial`` folders (an export interrupted or still being written) and folders
    whose id has no live row; ``now`` is a POSIX time (tests move it forward).
    """
    wanted = set(known)
    limit = (time.time() if now is None else now) - LEFTOVER_GRACE_SECONDS
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name in wanted and not entry.name.endswith(PARTIAL_SUFFIX):
            continue
        if entry.lstat().st_mtime <= limit:
            found.append(entry)
    return found


def remove_leftovers(paths: Iterable[Path]) -> int:
    """Delete the given leftovers; how many there were."""
    count = 0
    for path in paths:
        _remove(path)
        count += 1
    return count


# --- ``--out PATH`` (command line) -----------------------------------------------------


@contextmanager
def staged_beside(out: Path) -> Iterator[Path]:
    """A fresh ``PATH.partial-<random>`` folder beside ``out``; removed on any error."""
    partial = out.parent / f"{out.name}{PARTIAL_SUFFIX}-{secrets.token_hex(4)}"
    partial.mkdir(mode=0o700)
    try:
        yield partial
    except BaseException:
        _remove(partial)
        raise


def remove_staged(partial: Path) -> None:
    """Delete a staged ``PATH.partial-<random>`` folder that will not be published."""
    _remove(partial)


def manifest_path_for(out: Path) -> Path:
    """Where the manifest of a one-file export (XLSX, JSON) at ``out`` goes."""
    return out.with_name(out.name + ".manifest.json")


def publish_at(partial: Path, out: Path, export_format: str) -> None:
    """Move the finished export to ``out``: the folder (CSV) or its file and manifest.

    For one file the data file is renamed first and the manifest last, so a file
    without its manifest beside it is one that never finished.
    """
    if export_format == "csv":
        os.rename(partial, out)
        sync_folder(out.parent)
        return
    os.rename(partial / out.name, out)
    os.rename(partial / MANIFEST_NAME, manifest_path_for(out))
    sync_folder(out.parent)
    partial.rmdir()
