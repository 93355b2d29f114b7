"""The single-instance trigger channel: TriggerServer and send_trigger over a real socket."""

from __future__ import annotations

import os
import queue
import socket
import stat
import sys
import threading
from multiprocessing.connection import Client, Listener
from pathlib import Path

import pytest

from assistant.actions import TRIGGER_NAMES
from assistant.hotkeys import TriggerError, TriggerServer, send_trigger
from assistant.hotkeys import trigger as trigger_module

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
    assert hello.startswith(trigger_module.HELLO)
    return connection, hello[len(trigger_module.HELLO) :]


def test_bad_messages_are_ignored(server: TriggerServer, folder: Path, received: queue.Queue[str]) -> None:
    # Wrong proof: someone without the key.
    connection, _ = _handshake(folder)
    with connection:
        connection.send_bytes(b"\0" * 32 + b"describe-screen")
        assert connection.recv_bytes() == b"denied"
    # A proof for another nonce (a replayed message).
    key = trigger_module._Channel(folder).read_key()
    assert key is not None
    connection, _ = _handshake(folder)
    with connection:
        connection.send_bytes(trigger_module._proof(key, b"x" * 32, b"ask") + b"ask")
        assert connection.recv_bytes() == b"denied"
    # Right key, unknown action.
    connection, nonce = _handshake(folder)
    with connection:
        connection.send_bytes(trigger_module._proof(key, nonce, b"format-disk") + b"format-disk")
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
