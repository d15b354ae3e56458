"""faq.heap: memory freed in the middle of glibc's heap, which malloc keeps resident, goes back to the system."""

import ctypes
from pathlib import Path

import pytest

from faq.heap import _libc, release_freed_memory


def _rss_mb() -> float:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.mark.skipif(_libc() is None, reason="glibc's malloc_trim only")
def test_freed_blocks_below_a_live_one_are_given_back():
    libc = _libc()
    libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
    blocks = [libc.malloc(4000) for _ in range(25_000)]  # ~100 MB of small blocks: from the heap, not mmap'd one by one
    for block in blocks:
        ctypes.memset(block, 1, 4000)  # resident
    pinned = libc.malloc(4000)  # a live block above them: the heap's top cannot shrink past it
    for block in blocks:
        libc.free(block)
    before = _rss_mb()
    assert release_freed_memory()
    assert before - _rss_mb() > 50
    libc.free(pinned)


ARENAS = """
import ctypes, sys, threading
from faq.heap import _libc, one_arena
if sys.argv[1] == "one":
    one_arena()
libc = _libc()
libc.malloc.restype = ctypes.c_void_p
together = threading.Barrier(4)
def work():
    together.wait()  # all four alive at once: none can take an arena another left
    for _ in range(100):
        libc.malloc(1000)
    together.wait()
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
libc.malloc_stats()
"""


def _arenas(mode: str) -> int:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", ARENAS, mode], capture_output=True, text=True, check=True)
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


@pytest.mark.skipif(_libc() is None, reason="glibc's mallopt only")
def test_after_one_arena_threads_allocate_from_the_main_arena_only():
    assert _arenas("default") > 1
    assert _arenas("one") == 1
