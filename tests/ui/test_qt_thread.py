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
