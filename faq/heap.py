"""Giving the memory a process freed back to the system, where the C library kept it.

glibc's malloc keeps freed blocks in its arenas (one per thread that allocated) for reuse, and returns the top of an
arena only: loading the models leaves tens of MB freed but resident (the e5 weights file read for its checksum, the
vocabulary parsed, ONNX Runtime's graph optimisation), on the three loading threads' arenas. `malloc_trim` returns
every arena's free pages; what stays is pages holding a live block among free ones, scattered over every arena the
loading threads made (`one_arena` keeps them to one).
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


M_ARENA_MAX = -8  # mallopt's parameter, from glibc's malloc.h


def one_arena() -> bool:
    """Every thread created from now on allocates from glibc's main arena (M_ARENA_MAX 1), not one arena per thread.

    Loading the models on three threads left 38 MB more private heap per worker after trimming (132 MB against 94, a
    worker forked after service.preload): each loading thread's arena kept pages with a few live blocks. The service
    allocates little per question (ONNX Runtime reuses its own arena), so threads sharing one lock cost no measured
    questions a second. Inherited by a fork; False where the C library has no mallopt."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(M_ARENA_MAX, 1))
