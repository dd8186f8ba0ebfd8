"""DNS-rebinding protection as deploy/README.md tells a host to set it: with
STREAMLIT_SERVER_ALLOWED_HOSTS given (as the Docker image takes it), a websocket
whose Host header names another site is refused, and the listed name still works."""

from __future__ import annotations

import base64
import os
import socket

import pytest

from conftest import Server


def upgrade_status(port: int, host: str) -> int:
    """The HTTP status a websocket upgrade to the dashboard gets with this Host header."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


@pytest.fixture(scope="module")
def guarded():
    s = Server(env={"STREAMLIT_SERVER_ALLOWED_HOSTS": "tracker.example.org localhost"}).start()
    yield s
    s.stop()


def test_a_websocket_for_another_host_is_refused(guarded):
    assert upgrade_status(guarded.port, "rebind.attacker.example") >= 400


def test_a_listed_host_opens_the_websocket(guarded):
    assert upgrade_status(guarded.port, f"localhost:{guarded.port}") == 101
    assert upgrade_status(guarded.port, "tracker.example.org") == 101
