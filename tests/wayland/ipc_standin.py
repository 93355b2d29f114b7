"""A stand-in for a compositor's IPC socket (sway's, Hyprland's): a Unix socket served on a thread, one
connection at a time, each answered by the test's own protocol function, until the block ends."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def ipc_standin(path: Path, answer: Callable[[socket.socket], None], name: str) -> Iterator[None]:
    """Listen at `path`; `answer` reads one request from each connection and writes the reply (the
    connection is closed after it). `name` names the serving thread."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    server.settimeout(0.1)  # so that the loop sees the stop soon after the block ends
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                answer(connection)

    thread = threading.Thread(target=serve, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
        server.close()
