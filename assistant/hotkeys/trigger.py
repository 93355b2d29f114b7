"""The single-instance trigger channel: `assistant trigger ACTION` talks to the running app.

An AF_UNIX socket in the user's runtime folder (a `multiprocessing.connection` named pipe on Windows),
carrying length-prefixed messages. The running app holds a lock on that folder, so a second app knows
to step aside and a socket left by a crashed app is recognised as stale. Each start writes a fresh
random secret to a file only the user can read; a client proves it knows the secret by an HMAC over the
server's fresh nonce and the action, so other users cannot trigger actions.

Every wait has a deadline, on both sides: connecting, and each message as a whole (a client that sends
part of a message and then nothing is dropped when its time is up). Each client is served on its own
thread, so one slow client never holds up another, and the number served at once is capped.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import select
import socket
import stat
import struct
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path

import platformdirs

from assistant.actions import NAMES
from assistant.errors import UserError
from assistant.files import replace_text

if sys.platform != "win32":
    import fcntl

RUNTIME_DIR_ENV = "ASSISTANT_RUNTIME_DIR"
APP_NAME = "assistant"
HELLO = b"assistant-trigger/1 "
HANDSHAKE_TIMEOUT = 2.0  # how long the server gives a connected client to say all it has to say
MAX_MESSAGE = 256
# Served at once; more are turned away until one is done. Only this user can connect (the folder is
# theirs alone), so this is room for bursts of key presses, not a defence.
MAX_CLIENTS = 32
NOT_RUNNING = "The assistant is not running. Start it with `assistant run`."
_FRAME = struct.Struct("!i")  # multiprocessing.connection's length prefix

_log = logging.getLogger(__name__)


class TriggerError(UserError):
    """The trigger channel failed in a way the user should hear about; the message is one sentence."""


def runtime_dir() -> Path:
    """$ASSISTANT_RUNTIME_DIR, else the user's runtime folder ($XDG_RUNTIME_DIR/assistant on Linux).

    Without XDG_RUNTIME_DIR the folder is assistant-UID right in the temporary folder, whose sticky bit
    keeps other users from renaming or replacing it (inside a folder of theirs, they could); `prepare`
    then insists that it is a real folder of ours that no one else can enter.
    """
    folder = os.environ.get(RUNTIME_DIR_ENV)
    if folder:
        return Path(folder)
    if _shared_fallback_needed():
        return Path(tempfile.gettempdir()) / f"{APP_NAME}-{os.getuid()}"
    with warnings.catch_warnings():  # platformdirs warns when it falls back from a missing XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        return platformdirs.user_runtime_path(APP_NAME, appauthor=False)


def _shared_fallback_needed() -> bool:
    return sys.platform not in ("win32", "darwin") and not os.environ.get("XDG_RUNTIME_DIR")


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
        """Create the folder (private to the user) and refuse one that someone else could change."""
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(self.folder, 0o700)
            info = os.lstat(self.folder)
        except OSError as error:
            raise TriggerError(
                f"The folder {self.folder} for `assistant trigger` could not be created "
                f"({error.strerror or error}); set {RUNTIME_DIR_ENV} to a private folder."
            ) from error
        if sys.platform == "win32":
            return
        if not stat.S_ISDIR(info.st_mode):
            raise TriggerError(
                f"{self.folder} is not a folder (it may be a link someone else made), so `assistant trigger` "
                f"is turned off; set {RUNTIME_DIR_ENV} to a private folder."
            )
        if info.st_uid != os.getuid():
            raise TriggerError(
                f"The folder {self.folder} belongs to another user, so `assistant trigger` is turned off; "
                f"set {RUNTIME_DIR_ENV} to a private folder."
            )
        if info.st_mode & 0o077:
            # Ours, so ours to close: anyone who could enter it could have swapped the files in it.
            try:
                os.chmod(self.folder, 0o700)
            except OSError as error:
                raise TriggerError(
                    f"The folder {self.folder} is open to other users and could not be made private "
                    f"({error.strerror or error}); set {RUNTIME_DIR_ENV} to a private folder."
                ) from error
        if len(os.fsencode(self.address)) > 100:
            raise TriggerError(
                f"The folder {self.folder} has too long a path for the trigger socket; "
                f"set {RUNTIME_DIR_ENV} to a shorter one."
            )

    def write_key(self) -> bytes:
        """A fresh secret, written atomically to a file only this user can read; returns the derived key."""
        secret = secrets.token_hex(32)
        replace_text(self.key_path, secret, mode=0o600)
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


class _Messages:
    """Length-prefixed messages over a connected AF_UNIX socket; every send and receive has a deadline.

    The framing is multiprocessing.connection's, so either end may be a `Connection`.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline = sock, deadline

    def send(self, data: bytes) -> None:
        self._within_deadline()
        self.sock.sendall(_FRAME.pack(len(data)) + data)

    def receive(self) -> bytes:
        """One message of at most MAX_MESSAGE bytes. TimeoutError when the deadline passes first,
        EOFError when the other end hangs up, OSError when the message is too long."""
        (length,) = _FRAME.unpack(self._read(_FRAME.size))
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


class _PipeMessages:
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
        self._channel = _Channel(folder)
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
                f"`assistant trigger` cannot reach this app because its channel could not be opened "
                f"({error.strerror or error})."
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
                _Messages(client, deadline)
                if isinstance(client, socket.socket)
                else _PipeMessages(client, deadline)
            )
            if self._closing.is_set() or not self._clients.acquire(blocking=False):
                messages.close()  # too many at once: this one may try again in a moment
                continue
            threading.Thread(
                target=self._serve_client, args=(messages,), name="assistant-trigger-client", daemon=True
            ).start()

    def _serve_client(self, messages: _Messages | _PipeMessages) -> None:
        try:
            self._handle(messages)
        finally:
            with contextlib.suppress(OSError):
                messages.close()
            self._clients.release()

    def _handle(self, messages: _Messages | _PipeMessages) -> None:
        nonce = secrets.token_bytes(32)
        try:
            messages.send(HELLO + nonce)
            message = messages.receive()
        except (OSError, EOFError):
            return  # a client that vanished, said too much, or too little in its time (TimeoutError)
        proof, action_bytes = message[:32], message[32:]
        if not hmac.compare_digest(proof, _proof(self._key, nonce, action_bytes)):
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
    def _reply(messages: _Messages | _PipeMessages, reply: bytes) -> None:
        with contextlib.suppress(OSError):
            messages.send(reply)


def send_trigger(action: str, timeout: float = 2.0, folder: Path | str | None = None) -> bool:
    """Send `action` to the running app. False: no app is running. Raises TriggerError when one is
    running but did not take the action (no answer within `timeout`, or it refused)."""
    if action not in NAMES:
        raise ValueError(f"unknown action {action!r}")
    channel = _Channel(folder)
    key = channel.read_key()
    if key is None:
        return False
    deadline = time.monotonic() + timeout
    no_answer = TriggerError(
        f"The assistant did not answer within {timeout:g} seconds; it may be busy, try again or restart it."
    )
    messages = _connect(channel, deadline, no_answer)
    if messages is None:
        return False
    try:
        hello = messages.receive()
        if not hello.startswith(HELLO):
            raise TriggerError("Something other than the assistant answered on its channel; restart it.")
        encoded = action.encode("ascii")
        messages.send(_proof(key, hello[len(HELLO) :], encoded) + encoded)
        reply = messages.receive()
    except TimeoutError:
        raise no_answer from None
    except (OSError, EOFError) as error:
        raise TriggerError(
            "The assistant closed the connection before taking the action; try again."
        ) from error
    finally:
        with contextlib.suppress(OSError):
            messages.close()
    if reply == b"ok":
        return True
    if reply == b"denied":
        raise TriggerError("The running assistant did not accept the trigger's key; restart the assistant.")
    if reply == b"failed":
        raise TriggerError(f"The assistant could not start {action}; its window or speech says why.")
    raise TriggerError(f"The running assistant does not know the action {action}; update or restart it.")


def _connect(channel: _Channel, deadline: float, no_answer: TriggerError) -> _Messages | _PipeMessages | None:
    """A connection to the running app before `deadline`; None when nothing listens there."""
    if sys.platform == "win32":
        try:
            return _PipeMessages(Client(channel.address, channel.family), deadline)
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        except OSError as error:
            raise TriggerError(f"The assistant could not be reached ({error.strerror or error}).") from error
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
            sock.connect(channel.address)
            return _Messages(sock, deadline)
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            return None
        except (BlockingIOError, InterruptedError):
            # Its queue of waiting connections is full (a socket that waits gives no time-out here).
            sock.close()
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        except TimeoutError:
            sock.close()
            raise no_answer from None
        except OSError as error:
            sock.close()
            raise TriggerError(f"The assistant could not be reached ({error.strerror or error}).") from error
