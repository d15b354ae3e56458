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
