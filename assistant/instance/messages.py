"""Length-prefixed messages with a deadline, over a connected AF_UNIX socket or a Windows named pipe:
what the app and `assistant trigger` say to each other."""

from __future__ import annotations

import socket
import struct
import time
from multiprocessing.connection import Connection

HELLO = b"assistant-trigger/1 "
MAX_MESSAGE = 256
FRAME = struct.Struct("!i")  # multiprocessing.connection's length prefix


class Messages:
    """Length-prefixed messages over a connected AF_UNIX socket; every send and receive has a deadline.

    The framing is multiprocessing.connection's, so either end may be a `Connection`.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline = sock, deadline

    def send(self, data: bytes) -> None:
        self._within_deadline()
        self.sock.sendall(FRAME.pack(len(data)) + data)

    def receive(self) -> bytes:
        """One message of at most MAX_MESSAGE bytes. TimeoutError when the deadline passes first,
        EOFError when the other end hangs up, OSError when the message is too long."""
        (length,) = FRAME.unpack(self._read(FRAME.size))
        if not 0 <= length <= MAX_MESSAGE:
            raise OSError("message too long")
        return self._read(length)

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            self._within_deadline()
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _within_deadline(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.sock.settimeout(left)

    def close(self) -> None:
        self.sock.close()


class PipeMessages:
    """The same over a Windows named pipe. multiprocessing opens it in message mode, where each message
    arrives whole, so waiting for a message to begin (with the deadline) is waiting for all of it."""

    def __init__(self, connection: Connection, deadline: float) -> None:
        self.connection, self.deadline = connection, deadline

    def send(self, data: bytes) -> None:
        self.connection.send_bytes(data)

    def receive(self) -> bytes:
        if not self.connection.poll(max(0.0, self.deadline - time.monotonic())):
            raise TimeoutError
        return self.connection.recv_bytes(MAX_MESSAGE)

    def close(self) -> None:
        self.connection.close()
