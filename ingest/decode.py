"""Reading a corpus file as UTF-8 text, failing with the line of the first bad byte."""

from __future__ import annotations

from pathlib import Path

from faq.errors import CorpusError
from faq.limits import MAX_FILE_BYTES


def read_text(path: Path) -> str:
    """The decoded file (BOM dropped, newlines as in the file); refuses empty, non-UTF-8 and too large files."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(path, None, f"the file is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes a file "
                                          "(faq.limits.MAX_FILE_BYTES); split it into several files")
        raw = path.read_bytes()
    except OSError as e:
        raise CorpusError(path, None, f"cannot read the file ({e.strerror})") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise CorpusError(
            path, line, f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at offset {e.start}); save the file as UTF-8"
        ) from e
    if not text.strip():
        raise CorpusError(path, 1, "the file is empty; a corpus file needs at least one question and answer")
    return text


def lines_with_offsets(text: str) -> list[tuple[int, int, str]]:
    """(line number, start offset, line without its newline) for every line."""
    out: list[tuple[int, int, str]] = []
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        out.append((number, offset, line.rstrip("\r\n")))
        offset += len(line)
    return out
