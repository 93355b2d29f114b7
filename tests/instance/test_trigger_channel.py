"""The single-instance trigger channel: TriggerServer and send_trigger over a real socket."""

from __future__ import annotations

import os
import queue
import socket
import stat
import struct
import sys
import threading
from collections.abc import Iterator
from multiprocessing.connection import Client, Listener
from pathlib import Path

import pytest

from assistant.actions import TRIGGER_NAMES
from assistant.instance import TriggerError, TriggerServer, send_trigger
from assistant.instance.channel import Channel, proof, runtime_dir
from assistant.instance.messages import HELLO

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="these tests use the POSIX socket channel")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "run"


@pytest.fixture
def received() -> queue.Queue[str]:
    return queue.Queue()


@pytest.fixture
def server(folder: Path, received: queue.Queue[str]):
    server = TriggerServer(received.put, folder=folder)
    assert server.start() is True
    yield server
    server.close()


def _trigger_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "assistant-trigger"]


def test_round_trip_of_every_action(server: TriggerServer, folder: Path, received: queue.Queue[str]) -> None:
    for action in TRIGGER_NAMES:
        assert send_trigger(action, folder=folder) is True
    # on_action runs before the server replies "ok", so everything has arrived by now.
    assert [received.get_nowait() for _ in TRIGGER_NAMES] == list(TRIGGER_NAMES)
    assert received.empty()


def test_no_app_running(folder: Path) -> None:
    assert send_trigger("describe-screen", folder=folder) is False
    folder.mkdir()
    assert send_trigger("describe-screen", folder=folder) is False


def test_second_server_steps_aside(server: TriggerServer, folder: Path, received: queue.Queue[str]) -> None:
    other: queue.Queue[str] = queue.Queue()
    second = TriggerServer(other.put, folder=folder)
    assert second.start() is False
    assert send_trigger("ask", folder=folder) is True
    assert received.get_nowait() == "ask"
    assert other.empty()
    second.close()  # closing one that never started is harmless
    assert send_trigger("stop", folder=folder) is True
    assert received.get_nowait() == "stop"


def test_next_app_can_start_after_close(folder: Path, received: queue.Queue[str]) -> None:
    first = TriggerServer(received.put, folder=folder)
    assert first.start()
    first.close()
    assert not _trigger_threads()
    assert not (folder / "trigger.sock").exists()
    assert not (folder / "trigger.key").exists()
    assert send_trigger("ask", folder=folder) is False
    second = TriggerServer(received.put, folder=folder)
    assert second.start()
    try:
        assert send_trigger("listen", folder=folder)
        assert received.get_nowait() == "listen"
    finally:
        second.close()


def test_stale_socket_from_a_crashed_app_is_recovered(folder: Path, received: queue.Queue[str]) -> None:
    folder.mkdir(mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(folder / "trigger.sock"))
    stale.close()  # the socket file stays, with nobody listening: what a crash leaves
    (folder / "trigger.key").write_text("old-secret")
    os.chmod(folder / "trigger.key", 0o600)
    assert send_trigger("describe-screen", folder=folder) is False

    server = TriggerServer(received.put, folder=folder)
    assert server.start() is True
    try:
        assert send_trigger("describe-screen", folder=folder) is True
        assert received.get_nowait() == "describe-screen"
        assert (folder / "trigger.key").read_text() != "old-secret"
    finally:
        server.close()


def test_files_are_private(server: TriggerServer, folder: Path) -> None:
    for name in ("trigger.sock", "trigger.key"):
        mode = stat.S_IMODE((folder / name).stat().st_mode)
        assert mode & 0o077 == 0, (name, oct(mode))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_runtime_dir_from_environment(
    monkeypatch: pytest.MonkeyPatch, folder: Path, received: queue.Queue[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_RUNTIME_DIR", str(folder))
    server = TriggerServer(received.put)
    assert server.start()
    try:
        assert server.address == str(folder / "trigger.sock")
        assert send_trigger("settings")
        assert received.get_nowait() == "settings"
    finally:
        server.close()


def _handshake(folder: Path) -> tuple[object, bytes]:
    connection = Client(str(folder / "trigger.sock"), "AF_UNIX")
    hello = connection.recv_bytes()
    assert hello.startswith(HELLO)
    return connection, hello[len(HELLO) :]


def test_bad_messages_are_ignored(server: TriggerServer, folder: Path, received: queue.Queue[str]) -> None:
    # Wrong proof: someone without the key.
    connection, _ = _handshake(folder)
    with connection:
        connection.send_bytes(b"\0" * 32 + b"describe-screen")
        assert connection.recv_bytes() == b"denied"
    # A proof for another nonce (a replayed message).
    key = Channel(folder).read_key()
    assert key is not None
    connection, _ = _handshake(folder)
    with connection:
        connection.send_bytes(proof(key, b"x" * 32, b"ask") + b"ask")
        assert connection.recv_bytes() == b"denied"
    # Right key, unknown action.
    connection, nonce = _handshake(folder)
    with connection:
        connection.send_bytes(proof(key, nonce, b"format-disk") + b"format-disk")
        assert connection.recv_bytes() == b"unknown"
    # Too long a message.
    connection, _ = _handshake(folder)
    with connection:
        connection.send_bytes(b"y" * 5000)
        with pytest.raises((EOFError, OSError)):
            connection.recv_bytes()
    # A client that connects and leaves without a word.
    Client(str(folder / "trigger.sock"), "AF_UNIX").close()

    assert received.empty()
    assert send_trigger("describe-region", folder=folder) is True
    assert received.get_nowait() == "describe-region"


def test_failing_action_is_reported_and_the_server_keeps_going(folder: Path) -> None:
    calls: list[str] = []

    def on_action(action: str) -> None:
        calls.append(action)
        if action == "ask":
            raise RuntimeError("broken")

    server = TriggerServer(on_action, folder=folder)
    assert server.start()
    try:
        with pytest.raises(TriggerError, match="could not start ask"):
            send_trigger("ask", folder=folder)
        assert send_trigger("stop", folder=folder)
        assert calls == ["ask", "stop"]
    finally:
        server.close()


def test_quit_can_close_the_server_from_its_own_thread(folder: Path) -> None:
    holder: list[TriggerServer] = []
    server = TriggerServer(lambda action: holder[0].close(), folder=folder)
    holder.append(server)
    assert server.start()
    assert send_trigger("quit", folder=folder) is True
    for thread in _trigger_threads():
        thread.join(5)
    assert not _trigger_threads()
    assert send_trigger("quit", folder=folder) is False


def test_an_app_that_does_not_answer_gives_a_sentence(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    (folder / "trigger.key").write_text("secret")
    os.chmod(folder / "trigger.key", 0o600)
    listener = Listener(str(folder / "trigger.sock"), "AF_UNIX")
    done = threading.Event()

    def accept_and_hang() -> None:
        with listener.accept():
            done.wait(10)

    thread = threading.Thread(target=accept_and_hang)
    thread.start()
    try:
        with pytest.raises(TriggerError, match=r"did not answer within 0\.2 seconds"):
            send_trigger("describe-screen", timeout=0.2, folder=folder)
    finally:
        done.set()
        thread.join(5)
        listener.close()


def test_a_key_other_users_can_read_is_refused(server: TriggerServer, folder: Path) -> None:
    os.chmod(folder / "trigger.key", 0o644)
    with pytest.raises(TriggerError, match="not private"):
        send_trigger("describe-screen", folder=folder)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_folder_owned_by_someone_else_is_refused(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    with pytest.raises(TriggerError, match="belongs to another user"):
        TriggerServer(lambda action: None, folder=folder).start()


def test_unknown_action_is_a_programming_error(folder: Path) -> None:
    with pytest.raises(ValueError):
        send_trigger("format-disk", folder=folder)


# ---- deadlines, one client never blocking another, a missing socket, the fallback folder -------------


def _connected(folder: Path) -> socket.socket:
    client = socket.socket(socket.AF_UNIX)
    client.connect(str(folder / "trigger.sock"))
    client.settimeout(10)  # a hang fails the test instead of stopping it
    return client


def test_a_client_that_stops_half_way_is_dropped_and_holds_up_no_one(
    server: TriggerServer, folder: Path, received: queue.Queue[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = _connected(folder)
    with stuck:
        assert stuck.recv(4096).startswith(b"\0\0\0")  # the hello arrived
        stuck.sendall(struct.pack("!i", 64) + b"x" * 10)  # 10 of the 64 bytes it promises
        assert send_trigger("describe-screen", folder=folder) is True
        assert received.get_nowait() == "describe-screen"
        # When its time is up the server hangs up on it.
        assert stuck.recv(4096) == b""


def test_silent_clients_hold_up_no_one(
    server: TriggerServer, folder: Path, received: queue.Queue[str]
) -> None:
    silent = [_connected(folder) for _ in range(10)]
    try:
        assert send_trigger("ask", timeout=3, folder=folder) is True
        assert received.get_nowait() == "ask"
    finally:
        for client in silent:
            client.close()


def test_connecting_to_an_app_that_accepts_no_one_has_a_deadline(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    (folder / "trigger.key").write_text("secret")
    os.chmod(folder / "trigger.key", 0o600)
    frozen = socket.socket(socket.AF_UNIX)
    frozen.bind(str(folder / "trigger.sock"))
    frozen.listen(0)
    waiting: list[socket.socket] = []
    try:
        while True:  # fill its queue of connections waiting to be accepted
            client = socket.socket(socket.AF_UNIX)
            client.setblocking(False)
            waiting.append(client)
            try:
                client.connect(str(folder / "trigger.sock"))
            except BlockingIOError:
                break
        outcome: list[BaseException | bool] = []

        def trigger() -> None:
            try:
                outcome.append(send_trigger("describe-screen", timeout=0.3, folder=folder))
            except BaseException as error:
                outcome.append(error)

        thread = threading.Thread(target=trigger, daemon=True)
        thread.start()
        thread.join(10)
        assert not thread.is_alive(), "send_trigger waited for the connection without a deadline"
        assert isinstance(outcome[0], TriggerError)
        assert "did not answer within 0.3 seconds" in str(outcome[0])
    finally:
        for client in waiting:
            client.close()
        frozen.close()


def test_quit_after_the_socket_file_was_removed(folder: Path, received: queue.Queue[str]) -> None:
    server = TriggerServer(received.put, folder=folder)
    assert server.start()
    os.unlink(folder / "trigger.sock")  # a clean-up tool emptied the runtime folder
    server.close()
    for thread in _trigger_threads():
        thread.join(5)
    assert not _trigger_threads()
    assert not (folder / "trigger.key").exists()


@pytest.fixture
def no_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No XDG_RUNTIME_DIR and no ASSISTANT_RUNTIME_DIR; the temporary folder is the test's own. Made
    directly in the system's, not in tmp_path: a socket's path is limited to about 100 bytes, and
    tmp_path's grows with the test's name and the xdist worker's folder."""
    import shutil
    import tempfile

    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("ASSISTANT_RUNTIME_DIR", raising=False)
    shared = Path(tempfile.mkdtemp(prefix="trig-"))
    os.chmod(shared, 0o1777)
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    yield shared / f"assistant-{os.getuid()}"
    shutil.rmtree(shared, ignore_errors=True)


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS has a per-user runtime folder")
def test_without_a_runtime_folder_the_channel_sits_right_in_the_sticky_temporary_folder(
    no_runtime_dir: Path, received: queue.Queue[str]
) -> None:
    # Directly in the sticky /tmp, so no other user can rename it away; not in a parent someone else may own.
    assert runtime_dir() == no_runtime_dir
    server = TriggerServer(received.put)
    assert server.start()
    try:
        assert stat.S_IMODE(os.lstat(no_runtime_dir).st_mode) == 0o700
        assert send_trigger("stop") is True
        assert received.get_nowait() == "stop"
    finally:
        server.close()


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS has a per-user runtime folder")
def test_a_link_in_place_of_the_fallback_folder_is_refused(no_runtime_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    no_runtime_dir.symlink_to(elsewhere)
    with pytest.raises(TriggerError, match="is not a folder"):
        TriggerServer(lambda action: None).start()
    assert not any(elsewhere.iterdir())


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS has a per-user runtime folder")
def test_an_open_fallback_folder_of_ours_is_made_private(no_runtime_dir: Path) -> None:
    no_runtime_dir.mkdir()
    os.chmod(no_runtime_dir, 0o777)
    server = TriggerServer(lambda action: None)
    assert server.start()
    server.close()
    assert stat.S_IMODE(os.lstat(no_runtime_dir).st_mode) == 0o700
