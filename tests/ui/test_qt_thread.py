"""Nothing slow on the Qt thread when a hotkey is pressed: which monitor the user is on is the capture
thread's question. On KDE (X11 too) asking the compositor runs a KWin script over D-Bus with a 3 s
deadline; the controller asked it on the Qt thread for every describe, window and read-the-text key."""

from __future__ import annotations

import threading

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
