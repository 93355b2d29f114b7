"""Nothing slow on the Qt thread when a hotkey is pressed: which monitor the user is on is the capture
thread's question. On KDE (X11 too) asking the compositor runs a KWin script over D-Bus with a 3 s
deadline; the controller asked it on the Qt thread for every describe, window and read-the-text key."""

from __future__ import annotations

import threading

from fixtures.views import Shown

from assistant.config import Settings
from assistant.ui.controller import Controller
from assistant.ui.earcons import Earcons


def test_the_grab_keys_leave_the_compositor_to_the_capture_thread(qtbot, tmp_path, monkeypatch):
    from assistant.capture import monitors

    asked: list[str] = []
    monkeypatch.setattr(monitors, "layout", lambda: asked.append(threading.current_thread().name))
    controller = Controller(Settings(), None, Earcons(log_to=tmp_path), lambda spec, progress: None)
    try:
        controller.screen_grab()
        controller.describe_window()
        controller.read_text()
        assert asked == []
    finally:
        assert controller.shutdown(timeout=5)


def test_the_region_key_asks_the_compositor_off_the_qt_thread_once(qtbot, tmp_path, monkeypatch):
    from assistant.capture import monitors

    asked: list[str] = []
    answer = threading.Event()

    def layout() -> None:
        asked.append(threading.current_thread().name)
        answer.wait(10)
        raise RuntimeError("KWin did not answer")  # a failure: the screen under the pointer, as Qt knows it

    monkeypatch.setattr(monitors, "layout", layout)
    controller = Controller(Settings(), None, Earcons(log_to=tmp_path), lambda spec, progress: None)
    try:
        controller.describe_region()
        controller.describe_region()  # pressed again while the compositor is asked: nothing more
        qtbot.waitUntil(lambda: asked != [], timeout=5000)
        assert controller.session.capture_job is None  # nothing waits on the Qt thread for the answer
        answer.set()
        qtbot.waitUntil(lambda: controller.session.capture_job is not None, timeout=5000)
        assert asked == ["compositor-screen"] and controller.session.capture_kind == "choose-region"
        assert controller.region.screen is not None
    finally:
        answer.set()
        assert controller.shutdown(timeout=5)


class Bound:
    """A hotkey backend that records what it was asked to bind."""

    name = "recording"

    def __init__(self) -> None:
        self.registered: dict = {}

    def start(self, bindings, on_action) -> list[str]:
        self.registered = dict(bindings)
        return []

    def stop(self) -> None:
        pass


def asked_on_a_thread(monkeypatch, answer: threading.Event, chosen) -> list[str]:
    """choose_backend() recording the thread it runs on, answering `chosen` once `answer` is set."""
    from assistant.hotkeys import backends, global_hotkeys

    asked: list[str] = []

    def choose_backend(environ=None, platform=None):
        asked.append(threading.current_thread().name)
        answer.wait(10)  # on Wayland: D-Bus, up to 2 s while a portal starts
        return chosen

    monkeypatch.setattr(backends, "choose_backend", choose_backend)
    monkeypatch.setattr(global_hotkeys, "choose_backend", choose_backend)
    return asked


def test_how_the_desktop_binds_hotkeys_is_asked_off_the_qt_thread_once(qtbot, tmp_path, monkeypatch):
    """At the app's start, whether the portal offers GlobalShortcuts was asked of D-Bus on the Qt thread."""
    from assistant.hotkeys import parse_hotkey

    answer = threading.Event()
    backend = Bound()
    asked = asked_on_a_thread(monkeypatch, answer, (backend, []))
    controller = Controller(Settings(), None, Earcons(log_to=tmp_path), lambda spec, progress: None)
    try:
        assert controller.start_hotkeys()
        assert not controller.start_hotkeys()  # started again while the desktop is asked: nothing more
        qtbot.waitUntil(lambda: asked != [], timeout=5000)
        assert controller.hotkeys is None  # nothing waits on the Qt thread for the answer
        answer.set()
        qtbot.waitUntil(lambda: controller.hotkeys is not None, timeout=5000)
        assert asked == ["hotkeys-choice"]
        assert backend.registered[parse_hotkey(controller.settings.hotkeys["describe-screen"])] == (
            "describe-screen"
        )
        assert controller.start_hotkeys()  # a change in Settings asks again once that answer is in
        qtbot.waitUntil(lambda: len(asked) == 2, timeout=5000)
    finally:
        answer.set()
        assert controller.shutdown(timeout=5)


def test_where_no_key_can_be_bound_it_is_said_once(qtbot, tmp_path, monkeypatch):
    from assistant.hotkeys.backends import WAYLAND_PROBLEM

    answer = threading.Event()
    asked = asked_on_a_thread(monkeypatch, answer, (None, [WAYLAND_PROBLEM]))
    controller = Controller(Settings(), None, Earcons(log_to=tmp_path), lambda spec, progress: None)
    shown = Shown()
    controller.views.append(shown)
    try:
        assert controller.start_hotkeys()
        assert not controller.start_hotkeys()
        answer.set()
        qtbot.waitUntil(lambda: controller.hotkeys is not None, timeout=5000)
        qtbot.waitUntil(lambda: controller.desktop._choosing is None, timeout=5000)
        assert asked == ["hotkeys-choice"]
        assert controller.hotkey_problems == [WAYLAND_PROBLEM] and shown.texts == [WAYLAND_PROBLEM]
    finally:
        answer.set()
        assert controller.shutdown(timeout=5)


def test_an_answer_after_the_app_stopped_binds_nothing(qtbot, tmp_path, monkeypatch):
    answer = threading.Event()
    backend = Bound()
    asked = asked_on_a_thread(monkeypatch, answer, (backend, []))
    controller = Controller(Settings(), None, Earcons(log_to=tmp_path), lambda spec, progress: None)
    try:
        assert controller.start_hotkeys()
        qtbot.waitUntil(lambda: asked != [], timeout=5000)
    finally:
        assert controller.shutdown(timeout=5)
        answer.set()
    qtbot.waitUntil(lambda: controller.desktop._choosing is None, timeout=5000)
    assert controller.hotkeys is None and backend.registered == {}


def test_a_question_that_breaks_says_so_and_binds_nothing(qtbot, tmp_path, monkeypatch):
    from assistant.hotkeys import backends

    def broken(environ=None, platform=None):
        raise OSError("the bus went away")

    monkeypatch.setattr(backends, "choose_backend", broken)
    controller = Controller(Settings(), None, Earcons(log_to=tmp_path), lambda spec, progress: None)
    shown = Shown()
    controller.views.append(shown)
    try:
        assert controller.start_hotkeys()
        qtbot.waitUntil(lambda: controller.hotkeys is not None, timeout=5000)
        assert controller.hotkeys.backend_name is None
        assert shown.texts == controller.hotkey_problems
        assert controller.hotkey_problems[0].startswith(
            "Global hotkeys could not start (the bus went away); bind"
        )
    finally:
        assert controller.shutdown(timeout=5)
