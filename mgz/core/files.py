"""Files that mgz writes for people (exports, reports): whole or not at all, with a hash.

A reader never sees half a file: the content goes to a temporary file in the target's
folder, which then replaces the target in one step (``os.replace``). The SHA-256 of the
bytes on disk is returned, so the caller can log it (an audit event names the hash,
never the content) and the recipient can check the file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

T = TypeVar("T")
_CHUNK = 1 << 16


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomically(
    path: Path, write: Callable[[TextIO], T], *, prefix: str = ".mgz-"
) -> tuple[T, str]:
    """Write ``path`` through ``write(handle)`` atomically; return its result and the SHA-256.

    On any error (in ``write`` too) the temporary file is removed and ``path`` stays as
    it was. Text is UTF-8 without newline translation (CSV writers bring their own).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        digest = sha256_of(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result, digest


def write_bytes_atomically(path: Path, data: bytes, *, prefix: str = ".mgz-") -> str:
    """Write ``data`` to ``path`` atomically (charts, binary reports); return the SHA-256."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashlib.sha256(data).hexdigest()
