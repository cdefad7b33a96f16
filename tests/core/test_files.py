"""The atomic, hashed file writer: whole or not at all."""

from __future__ import annotations

import hashlib

import pytest

from mgz.core.files import write_atomically


def test_writes_the_whole_file_and_returns_its_sha256(tmp_path):
    target = tmp_path / "export.csv"
    result, digest = write_atomically(target, lambda handle: handle.write("a;b\r\n1;2\r\n"))
    assert target.read_bytes() == b"a;b\r\n1;2\r\n"  # no newline translation
    assert digest == hashlib.sha256(b"a;b\r\n1;2\r\n").hexdigest()
    assert result == 10
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]


def test_a_failing_writer_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "export.csv"
    target.write_text("old", encoding="utf-8")

    def broken(handle):
        handle.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, broken)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]
