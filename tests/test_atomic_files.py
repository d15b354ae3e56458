"""faq.files.write_atomically: a file is replaced whole or not at all."""

from pathlib import Path

import pytest

from faq.files import write_atomically


def test_text_bytes_and_a_writer_each_replace_the_file(tmp_path: Path):
    target = tmp_path / "CURRENT"
    write_atomically(target, "v1\n")
    assert target.read_text() == "v1\n"
    write_atomically(target, b"v2")
    assert target.read_bytes() == b"v2"
    write_atomically(target, lambda f: f.write(b"v3"))
    assert target.read_bytes() == b"v3"
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"]


def test_a_writer_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path: Path):
    target = tmp_path / "manifest.json"
    target.write_text("old")

    def half_then_fail(f):
        f.write(b"ne")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, half_then_fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
