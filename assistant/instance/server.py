"""The running app's side: it holds the lock, listens, and serves each client on a thread of its own
within a deadline, one action at a time."""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import secrets
import select
import socket
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Client, Listener
from pathlib import Path

from assistant.actions import NAMES
from assistant.i18n import _, os_reason
from assistant.instance.channel import Channel, TriggerError, proof
from assistant.instance.messages import HELLO, Messages, PipeMessages

if sys.platform != "win32":
    import fcntl

HANDSHAKE_TIMEOUT = 2.0  # how long the server gives a connected client to say all it has to say
# Served at once; more are turned away until one is done. Only this user can connect (the folder is
# theirs alone), so this is room for bursts of key presses, not a defence.
MAX_CLIENTS = 32

_log = logging.getLogger(__name__)


class _UnixListener:
    """A listening AF_UNIX socket whose `accept` returns None once `wake` is called (by `close`),
    whether or not the socket file is still there to connect to."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._socket.bind(address)
            os.chmod(address, 0o600)
            self._socket.listen(MAX_CLIENTS)
        except BaseException:
            self._socket.close()
            raise
        self._waker, self._wakee = socket.socketpair()

    def accept(self) -> socket.socket | None:
        while True:
            readable, _, _ = select.select([self._socket, self._wakee], [], [])
            if self._wakee in readable:
                return None
            try:
                client, _ = self._socket.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue  # the client left between select and accept
            return client

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            self._waker.send(b"\0")

    def close(self) -> None:
        self._socket.close()
        self._waker.close()
        self._wakee.close()
        with contextlib.suppress(FileNotFoundError):  # someone may have removed it while the app ran
            os.unlink(self.address)


class TriggerServer:
    """Listens for `assistant trigger ACTION` and calls on_action(action), one call at a time.

    `start()` returns False when another app already listens on this channel. `on_action` runs on a
    channel thread and should hand the action over quickly (a Qt app re-posts it to its main thread).
    """

    def __init__(self, on_action: Callable[[str], None], folder: Path | str | None = None) -> None:
        self._on_action = on_action
        self._channel = Channel(folder)
        self._listener: _UnixListener | Listener | None = None
        self._thread: threading.Thread | None = None
        self._lock_fd: int | None = None
        self._key = b""
        self._closing = threading.Event()
        self._clients = threading.BoundedSemaphore(MAX_CLIENTS)
        self._one_action_at_a_time = threading.Lock()

    @property
    def address(self) -> str:
        return self._channel.address

    def start(self) -> bool:
        """Begin listening. False: another app is listening. Raises TriggerError if the channel is unusable."""
        if self._listener is not None:
            return True
        channel = self._channel
        channel.prepare()
        listener: _UnixListener | Listener
        try:
            if sys.platform == "win32":
                try:  # multiprocessing creates the first pipe instance exclusively
                    listener = Listener(channel.address, channel.family, backlog=MAX_CLIENTS)
                except PermissionError:
                    return False
                self._key = channel.write_key()
            else:
                if not self._lock():
                    return False
                # We hold the lock, so a socket file still here was left by an app that crashed.
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(channel.address)
                self._key = channel.write_key()
                listener = _UnixListener(channel.address)
        except OSError as error:
            self._unlock()
            raise TriggerError(
                _(
                    "“assistant trigger” cannot reach this app because its channel could not be opened ({value})."
                ).format(value=os_reason(error))
            ) from error
        self._listener = listener
        self._closing.clear()
        self._thread = threading.Thread(target=self._serve, name="assistant-trigger", daemon=True)
        self._thread.start()
        return True

    def close(self, timeout: float = 2.0) -> None:
        """Stop listening and remove the socket and secret, waiting at most `timeout` for the thread.

        Clients being served finish on their own threads (each within its deadline)."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._closing.set()
        if isinstance(listener, _UnixListener):
            listener.wake()
        else:
            with contextlib.suppress(OSError):
                Client(self._channel.address, self._channel.family).close()  # wakes accept()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with contextlib.suppress(OSError):
            listener.close()
        with contextlib.suppress(OSError):
            self._channel.key_path.unlink()
        self._unlock()

    def _lock(self) -> bool:
        descriptor = os.open(self._channel.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._lock_fd = descriptor
        return True

    def _unlock(self) -> None:
        descriptor, self._lock_fd = self._lock_fd, None
        if descriptor is not None:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def _serve(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._closing.is_set():
            try:
                client = listener.accept()
            except OSError:
                if not self._closing.is_set():
                    _log.exception("the trigger listener failed; `assistant trigger` stops working")
                return
            if client is None:
                return
            deadline = time.monotonic() + HANDSHAKE_TIMEOUT
            messages = (
                Messages(client, deadline)
                if isinstance(client, socket.socket)
                else PipeMessages(client, deadline)
            )
            if self._closing.is_set() or not self._clients.acquire(blocking=False):
                messages.close()  # too many at once: this one may try again in a moment
                continue
            threading.Thread(
                target=self._serve_client, args=(messages,), name="assistant-trigger-client", daemon=True
            ).start()

    def _serve_client(self, messages: Messages | PipeMessages) -> None:
        try:
            self._handle(messages)
        finally:
            with contextlib.suppress(OSError):
                messages.close()
            self._clients.release()

    def _handle(self, messages: Messages | PipeMessages) -> None:
        nonce = secrets.token_bytes(32)
        try:
            messages.send(HELLO + nonce)
            message = messages.receive()
        except (OSError, EOFError):
            return  # a client that vanished, said too much, or too little in its time (TimeoutError)
        given, action_bytes = message[:32], message[32:]
        if not hmac.compare_digest(given, proof(self._key, nonce, action_bytes)):
            self._reply(messages, b"denied")
            return
        action = action_bytes.decode("ascii", "replace")
        if action not in NAMES:
            self._reply(messages, b"unknown")
            return
        try:
            with self._one_action_at_a_time:
                if self._closing.is_set():
                    return
                self._on_action(action)
        except Exception:
            _log.exception("the triggered action %s failed", action)
            self._reply(messages, b"failed")
            return
        self._reply(messages, b"ok")

    @staticmethod
    def _reply(messages: Messages | PipeMessages, reply: bytes) -> None:
        with contextlib.suppress(OSError):
            messages.send(reply)
