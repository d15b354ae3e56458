"""Giving the memory a process freed back to the system, where the C library kept it.

glibc's malloc keeps freed blocks in its arenas (one per thread that allocated) for reuse, and returns the top of an
arena only: loading the models leaves tens of MB freed but resident (the e5 weights file read for its checksum, the
vocabulary parsed, ONNX Runtime's graph optimisation), on the three loading threads' arenas. `malloc_trim` returns
every arena's free pages.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _libc() -> Any:
    """glibc, or None elsewhere (musl, macOS: no malloc_trim)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the system (a few ms); False where the C library cannot."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
