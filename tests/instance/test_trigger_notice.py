"""`assistant trigger` on a desktop's key with the app not running: the sentence it printed went to a
terminal nobody sees (sway's bindsym, a desktop's custom shortcut), and nothing was heard. It is also a
desktop notification (org.freedesktop.Notifications, here python-dbusmock's notification_daemon) and,
where speech-dispatcher runs, said through it; the printed sentence and the exit status stay. Typed in
a terminal, it is only printed there, where the user's screen reader reads it."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.instance import NOT_RUNNING
from tests.speech.speech_fakes import needs_speechd, private_speechd

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="D-Bus and speech-dispatcher")

REPO = Path(__file__).resolve().parents[2]
NOTIFICATIONS = "org.freedesktop.Notifications"
NOT_RUNNING_ES = "El asistente no se está ejecutando. Inícialo con “assistant run”."
HANG_GUARD = 20.0  # seconds; only a hang reaches it


def wait_for(condition, what: str) -> object:
    deadline = time.monotonic() + HANG_GUARD
    while not (found := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {HANG_GUARD:g} s")
        time.sleep(0.05)
    return found


def name_owned(name: str) -> bool:
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    bus = DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus")
    with open_dbus_connection(bus="SESSION") as connection:
        reply = connection.send_and_get_reply(new_method_call(bus, "NameHasOwner", "s", (name,)), timeout=5)
    return bool(reply.body[0])


@pytest.fixture
def notifications(quiet_desktop: str, tmp_path: Path) -> Iterator[Path]:
    """python-dbusmock's notification daemon on the test's own bus; the file it logs each call to."""
    from tests.wayland.portal_harness import mock_python

    python = mock_python()
    if python is None:
        pytest.skip("needs python3-dbusmock with python3-gi")
    log = tmp_path / "notifications.log"
    command = [python, "-m", "dbusmock", "--session", "-t", "notification_daemon", "-l", str(log)]
    daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: daemon.poll() is not None or name_owned(NOTIFICATIONS), "the notification daemon")
        assert daemon.poll() is None, "the notification daemon did not start"
        yield log
    finally:
        daemon.terminate()
        daemon.wait(10)


def notified(log: Path) -> list[str]:
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [line for line in lines if " Notify " in line]


def press(tmp_path: Path, *extra: str, **options: object) -> subprocess.CompletedProcess[str]:
    """`assistant trigger describe-screen` as a desktop runs it for a key: in a session of its own."""
    env = {**os.environ, "ASSISTANT_RUNTIME_DIR": str(tmp_path / "run"), "PYTHONPATH": str(REPO)}
    options = {"stdin": subprocess.DEVNULL, **options}
    if "stdout" not in options:
        options["capture_output"] = True
    return subprocess.run(
        [sys.executable, "-m", "assistant", "trigger", "describe-screen", *extra],
        env=env,
        text=True,
        timeout=60,
        start_new_session=True,
        **options,  # type: ignore[call-overload]
    )


@pytest.mark.parametrize(("language", "sentence"), [("en", NOT_RUNNING), ("es", NOT_RUNNING_ES)])
def test_a_key_pressed_with_the_app_not_running_shows_a_notification(
    notifications, tmp_path, monkeypatch, language, sentence
):
    monkeypatch.setenv("LANGUAGE", language)
    pressed = press(tmp_path)
    assert (pressed.returncode, pressed.stderr.strip(), pressed.stdout) == (1, sentence, "")
    shown = wait_for(lambda: notified(notifications), "the notification")
    summary = "Asistente" if language == "es" else "Assistant"
    assert shown == [  # type: ignore[comparison-overlap]
        f'{shown[0].split()[0]} Notify "assistant" 0 "assistant" "{summary}" "{sentence}" [] '  # type: ignore[index]
        '{"desktop-entry": "assistant", "urgency": 1} -1'
    ]


@needs_speechd
def test_a_key_pressed_with_the_app_not_running_is_said_through_speech_dispatcher(
    quiet_desktop, tmp_path, monkeypatch
):
    with private_speechd(tmp_path / "speechd", monkeypatch, seconds=0.1) as voice:
        pressed = press(tmp_path)
        assert (pressed.returncode, pressed.stderr.strip()) == (1, NOT_RUNNING)
        # Its voice takes a message a sentence at a time: one line each.
        wait_for(lambda: "".join(voice.said()) == NOT_RUNNING, "the sentence said")


def test_without_a_notification_service_or_speech_the_sentence_is_printed_at_once(quiet_desktop, tmp_path):
    """Nothing answers on the bus, nothing speaks: the same sentence and status, without a wait."""
    started = time.monotonic()
    pressed = press(tmp_path)
    assert (pressed.returncode, pressed.stderr.strip()) == (1, NOT_RUNNING)
    assert time.monotonic() - started < HANG_GUARD


def test_a_desktop_started_from_a_terminal_still_gets_the_notification(notifications, tmp_path):
    """sway started from a console: a key's command writes to that console (nobody looks at it), in a
    session of its own, where that console is no terminal it runs in."""
    console, other_end = pty.openpty()
    try:
        pressed = press(tmp_path, stdout=other_end, stderr=other_end)
    finally:
        os.close(other_end)
    assert pressed.returncode == 1
    assert os.read(console, 4096).decode().strip() == NOT_RUNNING
    os.close(console)
    assert len(wait_for(lambda: notified(notifications), "the notification")) == 1  # type: ignore[arg-type]


def test_typed_in_a_terminal_it_is_only_printed_there(notifications, tmp_path):
    """A screen reader reads the terminal: a notification (read out on some desktops) or speech as well
    would say it twice."""
    env = {**os.environ, "ASSISTANT_RUNTIME_DIR": str(tmp_path / "run"), "PYTHONPATH": str(REPO)}
    command = f"{sys.executable} -m assistant trigger describe-screen; echo status=$?"
    typed = subprocess.run(  # `script` runs it in a new terminal, in the foreground there
        ["script", "--quiet", "--return", "--command", command, "/dev/null"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert typed.stdout.replace("\r", "").splitlines() == [NOT_RUNNING, "status=1"]
    pressed = press(tmp_path)  # then from a key: the one notification
    assert pressed.returncode == 1
    assert len(wait_for(lambda: notified(notifications), "the notification")) == 1  # type: ignore[arg-type]


@needs_speechd
def test_where_the_desktop_reads_out_its_notifications_the_sentence_is_not_said_as_well(
    notifications, tmp_path, monkeypatch
):
    """GNOME Shell's notification pop-ups are read out by Orca: speech-dispatcher saying the sentence too
    would have the user hear it twice."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    def served_by(name: str) -> None:
        mock = DBusAddress("/org/freedesktop/Notifications", NOTIFICATIONS, "org.freedesktop.DBus.Mock")
        code = f'ret = ("{name}", "vendor", "1.0", "1.2")'
        answer = new_method_call(mock, "AddMethod", "sssss", ("", "GetServerInformation", "", "ssss", code))
        with open_dbus_connection(bus="SESSION") as connection:
            connection.send_and_get_reply(answer, timeout=5)

    with private_speechd(tmp_path / "speechd", monkeypatch, seconds=0.1) as voice:
        served_by("GNOME Shell")
        pressed = press(tmp_path)
        assert (pressed.returncode, pressed.stderr.strip()) == (1, NOT_RUNNING)
        assert len(wait_for(lambda: notified(notifications), "the notification")) == 1  # type: ignore[arg-type]
        served_by("mako")  # then where nobody reads them out: said, after anything said before
        press(tmp_path)
        wait_for(lambda: len(notified(notifications)) == 2, "the second notification")
        # Its voice takes a message a sentence at a time: one line each.
        wait_for(lambda: "".join(voice.said()).endswith(NOT_RUNNING), "the sentence said")
        assert "".join(voice.said()) == NOT_RUNNING


def test_an_app_that_does_not_answer_the_key_is_told_as_a_notification(notifications, tmp_path):
    """Running but stuck: its sentence went to the same terminal nobody sees."""
    from multiprocessing.connection import Listener

    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    (folder / "trigger.key").write_text("secret")
    os.chmod(folder / "trigger.key", 0o600)
    listener = Listener(str(folder / "trigger.sock"), "AF_UNIX")
    done = threading.Event()

    def accept_and_hang() -> None:
        with listener.accept():
            done.wait(HANG_GUARD)

    hanging = threading.Thread(target=accept_and_hang)
    hanging.start()
    try:
        pressed = press(tmp_path, "--timeout", "0.2")
    finally:
        done.set()
        hanging.join(HANG_GUARD)
        listener.close()
    sentence = "The assistant did not answer within 0.2 seconds; it may be busy, try again or restart it."
    assert (pressed.returncode, pressed.stderr.strip()) == (1, sentence)
    shown = wait_for(lambda: notified(notifications), "the notification")
    assert len(shown) == 1 and f'"Assistant" "{sentence}"' in shown[0]  # type: ignore[arg-type, index]


def test_an_action_the_app_took_and_failed_is_told_by_the_app_alone(notifications, tmp_path):
    """The app says why itself (its window, its speech): a notification as well would say it twice."""
    from assistant.instance import TriggerServer

    def failing(action: str) -> None:
        raise RuntimeError("the app is shutting down")

    server = TriggerServer(failing, folder=tmp_path / "run")
    assert server.start()
    try:
        pressed = press(tmp_path)
    finally:
        server.close()
    sentence = "The assistant could not start describe-screen; its window or speech says why."
    assert (pressed.returncode, pressed.stderr.strip()) == (1, sentence)
    assert notified(notifications) == []  # the command waits for its notification before it ends
