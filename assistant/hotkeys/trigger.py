"""The single-instance trigger channel: `assistant trigger ACTION` talks to the running app.

A `multiprocessing.connection` listener on an AF_UNIX socket in the user's runtime folder (a named pipe
on Windows). The running app holds a lock on that folder, so a second app knows to step aside and a
socket left by a crashed app is recognised as stale. Each start writes a fresh random secret to a file
only the user can read; a client proves it knows the secret by an HMAC over the server's fresh nonce
and the action, so other users cannot trigger actions. The handshake is done here rather than with
`Listener(authkey=…)` so that every wait, on both sides, has a deadline.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import sys
import threading
import time
import warnings
from collections.abc import Callable
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path

import platformdirs

from assistant.actions import NAMES

if sys.platform != "win32":
    import fcntl

RUNTIME_DIR_ENV = "ASSISTANT_RUNTIME_DIR"
APP_NAME = "assistant"
HELLO = b"assistant-trigger/1 "
HANDSHAKE_TIMEOUT = 2.0  # how long the server waits for a connected client to speak
MAX_MESSAGE = 256
NOT_RUNNING = "The assistant is not running. Start it with `assistant run`."

_log = logging.getLogger(__name__)


class TriggerError(Exception):
    """The trigger channel failed in a way the user should hear about; the message is one sentence."""


def runtime_dir() -> Path:
    """$ASSISTANT_RUNTIME_DIR, else the user's runtime folder (e.g. $XDG_RUNTIME_DIR/assistant)."""
    folder = os.environ.get(RUNTIME_DIR_ENV)
    if folder:
        return Path(folder)
    with warnings.catch_warnings():  # platformdirs warns when it falls back from a missing XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        return platformdirs.user_runtime_path(APP_NAME, appauthor=False)


class _Channel:
    """Where the socket (or pipe), the secret and the lock live for one runtime folder."""

    def __init__(self, folder: Path | str | None) -> None:
        self.folder = Path(folder) if folder is not None else runtime_dir()
        self.key_path = self.folder / "trigger.key"
        self.lock_path = self.folder / "trigger.lock"
        if sys.platform == "win32":
            digest = hashlib.sha256(str(self.folder.resolve()).lower().encode()).hexdigest()[:16]
            self.family = "AF_PIPE"
            self.address = rf"\\.\pipe\assistant-trigger-{digest}"
        else:
            self.family = "AF_UNIX"
            self.address = str(self.folder / "trigger.sock")

    def prepare(self) -> None:
        """Create the folder (private to the user) and refuse one that belongs to someone else."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = self.folder.stat()
        except OSError as error:
            raise TriggerError(
                f"The folder {self.folder} for `assistant trigger` could not be created "
                f"({error.strerror or error}); set {RUNTIME_DIR_ENV} to a private folder."
            ) from error
        if sys.platform != "win32":
            if info.st_uid != os.getuid():
                raise TriggerError(
                    f"The folder {self.folder} belongs to another user, so `assistant trigger` is turned off; "
                    f"set {RUNTIME_DIR_ENV} to a private folder."
                )
            if len(os.fsencode(self.address)) > 100:
                raise TriggerError(
                    f"The folder {self.folder} has too long a path for the trigger socket; "
                    f"set {RUNTIME_DIR_ENV} to a shorter one."
                )

    def write_key(self) -> bytes:
        """A fresh secret, written atomically to a file only this user can read; returns the derived key."""
        secret = secrets.token_hex(32)
        temp = self.key_path.with_name(f".trigger.key.{os.getpid()}.tmp")
        temp.unlink(missing_ok=True)
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secret)
            os.replace(temp, self.key_path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return _derive(secret)

    def read_key(self) -> bytes | None:
        """The key of the running app, or None when no app has written one."""
        try:
            with open(self.key_path, encoding="ascii") as handle:
                if sys.platform != "win32":
                    info = os.fstat(handle.fileno())
                    if info.st_uid != os.getuid() or info.st_mode & 0o077:
                        raise TriggerError(
                            f"The trigger key {self.key_path} is not private to you, so it was not used; "
                            "restart the assistant to make a new one."
                        )
                secret = handle.read().strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise TriggerError(
                f"The trigger key {self.key_path} could not be read ({error}); restart the assistant."
            ) from error
        return _derive(secret) if secret else None


def _derive(secret: str) -> bytes:
    return hashlib.sha256(b"assistant trigger key\0" + secret.encode("ascii")).digest()


def _proof(key: bytes, nonce: bytes, action: bytes) -> bytes:
    return hmac.new(key, nonce + b"\0" + action, hashlib.sha256).digest()


class TriggerServer:
    """Listens for `assistant trigger ACTION` and calls on_action(action) on its own thread.

    `start()` returns False when another app already listens on this channel. `on_action` runs on the
    listener thread and should hand the action over quickly (a Qt app re-posts it to its main thread).
    """

    def __init__(self, on_action: Callable[[str], None], folder: Path | str | None = None) -> None:
        self._on_action = on_action
        self._channel = _Channel(folder)
        self._listener: Listener | None = None
        self._thread: threading.Thread | None = None
        self._lock_fd: int | None = None
        self._key = b""
        self._closing = threading.Event()

    @property
    def address(self) -> str:
        return self._channel.address

    def start(self) -> bool:
        """Begin listening. False: another app is listening. Raises TriggerError if the channel is unusable."""
        if self._listener is not None:
            return True
        channel = self._channel
        channel.prepare()
        try:
            if sys.platform == "win32":
                try:  # multiprocessing creates the first pipe instance exclusively
                    listener = Listener(channel.address, channel.family, backlog=8)
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
                listener = Listener(channel.address, channel.family, backlog=8)
                os.chmod(channel.address, 0o600)
        except OSError as error:
            self._unlock()
            raise TriggerError(
                f"`assistant trigger` cannot reach this app because its channel could not be opened "
                f"({error.strerror or error})."
            ) from error
        self._listener = listener
        self._closing.clear()
        self._thread = threading.Thread(target=self._serve, name="assistant-trigger", daemon=True)
        self._thread.start()
        return True

    def close(self, timeout: float = 2.0) -> None:
        """Stop listening and remove the socket and secret, waiting at most `timeout` for the thread."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._closing.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            with contextlib.suppress(OSError):
                Client(self._channel.address, self._channel.family).close()  # wakes accept()
            thread.join(timeout)
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
                connection = listener.accept()
            except OSError:
                if not self._closing.is_set():
                    _log.exception("the trigger listener failed; `assistant trigger` stops working")
                return
            with connection:
                if not self._closing.is_set():
                    self._handle(connection)

    def _handle(self, connection: Connection) -> None:
        nonce = secrets.token_bytes(32)
        try:
            connection.send_bytes(HELLO + nonce)
            if not connection.poll(HANDSHAKE_TIMEOUT):
                return
            message = connection.recv_bytes(MAX_MESSAGE)
        except (OSError, EOFError):
            return  # a client that vanished, or one that sent too much
        proof, action_bytes = message[:32], message[32:]
        if not hmac.compare_digest(proof, _proof(self._key, nonce, action_bytes)):
            self._reply(connection, b"denied")
            return
        action = action_bytes.decode("ascii", "replace")
        if action not in NAMES:
            self._reply(connection, b"unknown")
            return
        try:
            self._on_action(action)
        except Exception:
            _log.exception("the triggered action %s failed", action)
            self._reply(connection, b"failed")
            return
        self._reply(connection, b"ok")

    @staticmethod
    def _reply(connection: Connection, reply: bytes) -> None:
        with contextlib.suppress(OSError):
            connection.send_bytes(reply)


def send_trigger(action: str, timeout: float = 2.0, folder: Path | str | None = None) -> bool:
    """Send `action` to the running app. False: no app is running. Raises TriggerError when one is
    running but did not take the action (no answer within `timeout`, or it refused)."""
    if action not in NAMES:
        raise ValueError(f"unknown action {action!r}")
    channel = _Channel(folder)
    key = channel.read_key()
    if key is None:
        return False
    try:
        connection = Client(channel.address, channel.family)
    except (FileNotFoundError, ConnectionRefusedError):
        return False
    except OSError as error:
        raise TriggerError(f"The assistant could not be reached ({error.strerror or error}).") from error
    deadline = time.monotonic() + timeout
    no_answer = TriggerError(
        f"The assistant did not answer within {timeout:g} seconds; it may be busy, try again or restart it."
    )
    with connection:
        try:
            if not connection.poll(max(0.0, deadline - time.monotonic())):
                raise no_answer
            hello = connection.recv_bytes(MAX_MESSAGE)
            if not hello.startswith(HELLO):
                raise TriggerError("Something other than the assistant answered on its channel; restart it.")
            encoded = action.encode("ascii")
            connection.send_bytes(_proof(key, hello[len(HELLO) :], encoded) + encoded)
            if not connection.poll(max(0.0, deadline - time.monotonic())):
                raise no_answer
            reply = connection.recv_bytes(MAX_MESSAGE)
        except (OSError, EOFError) as error:
            raise TriggerError(
                "The assistant closed the connection before taking the action; try again."
            ) from error
    if reply == b"ok":
        return True
    if reply == b"denied":
        raise TriggerError("The running assistant did not accept the trigger's key; restart the assistant.")
    if reply == b"failed":
        raise TriggerError(f"The assistant could not start {action}; its window or speech says why.")
    raise TriggerError(f"The running assistant does not know the action {action}; update or restart it.")
