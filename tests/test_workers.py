"""`faq serve --workers N`: connections to the shared socket do not wait on Nagle's algorithm."""

import socket

from service.workers import _NoDelayConfig


def test_the_shared_listening_socket_has_nagle_off():
    sock = _NoDelayConfig("service.asgi:app", host="127.0.0.1", port=0, workers=2).bind_socket()
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()


def test_connections_accepted_from_it_inherit_nagle_off():
    listener = _NoDelayConfig("service.asgi:app", host="127.0.0.1", port=0, workers=2).bind_socket()
    listener.listen()
    with listener, socket.create_connection(listener.getsockname()):
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def test_workers_are_forked_from_a_server_that_imported_what_they_share(monkeypatch):
    """Not spawned as fresh interpreters: a forked worker shares the preloaded modules' pages with its siblings."""
    from multiprocessing import forkserver

    import uvicorn._subprocess

    from service.workers import PRELOAD, use_forkserver

    monkeypatch.setattr(uvicorn._subprocess, "spawn", uvicorn._subprocess.spawn)  # put back after the test
    use_forkserver()
    context = uvicorn._subprocess.spawn
    assert context.get_start_method() == "forkserver"
    assert forkserver._forkserver._preload_modules == [PRELOAD]  # one forkserver a process


def test_what_the_workers_are_forked_from_runs_no_thread_of_its_own():
    """A fork copies only the forking thread: a pool thread (an ONNX Runtime session's) would be missing in every worker."""
    import subprocess
    import sys

    count = "import threading, service.preload; print(threading.active_count())"
    done = subprocess.run([sys.executable, "-c", count], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"
