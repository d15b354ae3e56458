"""`faq serve --workers 2` on the fake models: service.workers.serve_workers over tests/fake_asgi.py, in its own
process group, for tests of what several worker processes share (metrics, the rate limit)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from serving import free_port, wait_ready

ROOT = Path(__file__).resolve().parent.parent
SERVE = ("import sys; sys.path.insert(0, 'tests'); from service.workers import serve_workers; "
         "serve_workers('fake_asgi:app', 2, host='127.0.0.1', port=int(sys.argv[1]))")


@contextmanager
def two_fake_workers(settings: dict[str, str]) -> Iterator[str]:
    """Two workers configured by `settings` (FAQ_* variables beside the environment), both answering /readyz;
    yields the base URL and stops them after."""
    port = free_port()
    env = {**os.environ, **settings, "PYTHONPATH": str(ROOT)}
    log = tempfile.TemporaryFile()  # the supervisor's and workers' log, shown when the test fails (why a worker went)
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, 90, proc, every=0.2, times=8)  # both workers up: several ready answers on new connections
        yield base
    except BaseException:
        log.seek(0)
        sys.stderr.write("two_fake_workers' log (last 4 KB):\n" + log.read()[-4096:].decode(errors="replace") + "\n")
        raise
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
