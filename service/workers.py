"""Several uvicorn worker processes on one port, with Nagle's algorithm off on every connection.

`uvicorn --workers N` binds its socket as `socket.socket(AF_INET)`, whose protocol number is 0, and
asyncio sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP: every small response then
waited for the client's delayed ACK, ~40 ms (a cached answer took 44 ms over loopback with two
workers against 1.3 ms with one). Here the listening socket gets TCP_NODELAY itself, which the
connections accepted from it inherit (Linux).
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import tempfile
from contextlib import ExitStack
from typing import NoReturn

import uvicorn
import uvicorn._subprocess
from uvicorn.supervisors import Multiprocess

from service.log_config import logging_config

PRELOAD = "service.preload"  # what the forkserver imports before forking the workers


def use_forkserver(preload: str = PRELOAD) -> None:
    """Start uvicorn's workers from a forkserver that imported `preload`, not as fresh interpreters (spawn).

    A spawned worker imported everything itself: ~75 MB private to each. Forked workers share those pages with the
    forkserver until written (service.preload). The forkserver is a fresh process started by this one, which has
    made no ONNX Runtime session: nothing a fork cannot copy. uvicorn makes its workers with the `spawn` context of
    uvicorn._subprocess; it is replaced by a forkserver context, whose processes take the same pickled arguments."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([preload])
    uvicorn._subprocess.spawn = context  # type: ignore[assignment]


class _NoDelayConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def serve_workers(app: str, workers: int, host: str, port: int, log_level: str = "info") -> None:
    """What `uvicorn.run(app, workers=workers)` does, on a socket whose connections get TCP_NODELAY.

    Unless FAQ_EMBED_THREADS says otherwise, the workers share the cores out: each one's model gets
    cores / workers threads (two workers with a 2-thread team each made 52 requests/s at 8 clients
    on 2 cores, against 100 for one worker).

    /metrics adds up every worker's counts: the workers share a PROMETHEUS_MULTIPROC_DIR, made for this
    run and removed after it (prometheus-client's multiprocess mode; one set by the operator is used as is).

    Each worker enforces its share of the rate limit: FAQ_WORKERS tells them how many they are.
    """
    os.environ["FAQ_WORKERS"] = str(workers)  # read by each worker's settings
    if "FAQ_EMBED_THREADS" not in os.environ:
        os.environ["FAQ_EMBED_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))  # read by each worker's settings
    with ExitStack() as stack:
        if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:  # read by prometheus-client in each worker, and by its settings
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = stack.enter_context(tempfile.TemporaryDirectory(prefix="faq-metrics-"))
        config = _NoDelayConfig(app, host=host, port=port, workers=workers, log_level=log_level,
                                log_config=logging_config(log_level.upper()), access_log=False)
        use_forkserver()
        Multiprocess(config, sockets=[config.bind_socket()]).run()


def exec_supervisor(app: str, workers: int, host: str, port: int, log_level: str = "info") -> NoReturn:
    """`serve_workers` in this process made anew: `faq serve` imported the service, the models' libraries and its
    own checks (71 MB private) that a process which only starts and watches workers never uses. The process (its pid,
    its signals) stays the one the operator started; what it imported does not. Settings pass through the environment,
    as they do to the workers."""
    sys.stdout.flush()
    sys.stderr.flush()
    code = "import sys; from service.workers import main; main(sys.argv[1:])"  # not -m: pickled classes keep their module
    os.execv(sys.executable, [sys.executable, "-c", code, app, str(workers), host, str(port), log_level])


def main(argv: list[str]) -> None:
    """`exec_supervisor`'s process: APP WORKERS HOST PORT LOG_LEVEL."""
    app, workers, host, port, log_level = argv
    serve_workers(app, int(workers), host, int(port), log_level)
