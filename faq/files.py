"""Files replaced whole: a reader (another worker, a replica, a restart after a crash) sees the old file or the new one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_atomically"]


def write_atomically(path: Path, content: bytes | str | Callable[[BinaryIO], object]) -> None:
    """Write `content` (bytes, UTF-8 text, or a function writing to the open file) into a hidden temporary file
    beside `path`, fsync it, and rename it over `path`; on any failure the temporary file is removed and `path`
    is untouched. The file gets the process's usual permissions (umask), so a service running as another user
    can read what a command wrote."""
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "xb") as f:
            if callable(content):
                content(f)
            else:
                f.write(content.encode("utf-8") if isinstance(content, str) else content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
