"""A capture key pressed while the app's conversation dialog is open takes the picture of what is under
the dialog, not of the dialog: the dialog is hidden first and comes back, focused, once the picture is
taken (the dialog's "New capture" did so; the keys captured the dialog itself)."""

from __future__ import annotations

import pytest
from PIL import Image

from assistant.config import Settings
from assistant.session import Captured
from assistant.ui import controller as controller_module
from assistant.ui.controller import Controller
from assistant.ui.earcons import Earcons


@pytest.mark.parametrize("action", ["describe-screen", "describe-window", "read-text"])
def test_a_capture_key_hides_the_open_dialog_for_the_picture_and_brings_it_back(
    qtbot, tmp_path, monkeypatch, action: str
) -> None:
    controller = Controller(Settings(), None, Earcons(log_to=tmp_path), lambda spec, progress: None)
    dialog_seen: list[bool] = []

    def grab(point: tuple[int, int]) -> Captured:
        dialog_seen.append(dialog.isVisible())  # as it is when the picture is taken
        return Captured(Image.new("RGB", (64, 32), "white"), title="Window: Mail.", what="window")

    monkeypatch.setattr(controller_module, "screen_at", grab)
    monkeypatch.setattr(controller_module, "focused_window_or_screen", grab)
    controller.capturing.start()
    try:
        controller.open_dialog()
        dialog = controller.ensure_dialog()
        assert dialog.isVisible()
        controller.handle(action)
        assert not dialog.isVisible()
        qtbot.waitUntil(lambda: dialog_seen != [], timeout=5000)
        qtbot.waitUntil(dialog.isVisible, timeout=5000)
        assert dialog_seen == [False]
    finally:
        assert controller.shutdown(timeout=5)
