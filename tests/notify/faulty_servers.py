"""Local stand-ins for a Slack that breaks the connection: one that resets it, one that hangs.

Real sockets on 127.0.0.1, so slack_sdk's own retry handlers see the errors they see in
production (``ConnectionResetError``, a socket timeout), with no patching.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .conftest import WEBHOOK_PATH


@contextmanager
def _serve(on_connection: str, hold: float = 0.0) -> Iterator[tuple[str, list[int]]]:
    """A listener whose connections are reset at once (``reset``) or held silent for ``hold`` s."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    accepted: list[int] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            if on_connection == "reset":
                conn.recv(65536)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
                conn.close()
            else:
                stop.wait(hold)
                conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}{WEBHOOK_PATH}", accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@contextmanager
def resetting_server() -> Iterator[tuple[str, list[int]]]:
    """(url, connections): every connection is reset after the request is read."""
    with _serve("reset") as served:
        yield served


@contextmanager
def hanging_server(hold: float) -> Iterator[tuple[str, list[int]]]:
    """(url, connections): every connection is accepted and never answered (for ``hold`` s)."""
    with _serve("hang", hold) as served:
        yield served
