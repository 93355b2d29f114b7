"""Settings' "Set up screen capture": the desktop's question asked from the app's own window, by keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from assistant.capture.portal_screenshot import REFUSED
from assistant.config import Settings
from assistant.ui.settings_dialog import SettingsDialog


def open_settings(qtbot) -> SettingsDialog:
    dialog = SettingsDialog(Settings(capture_backend="portal"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def press_set_up(qtbot, dialog: SettingsDialog) -> None:
    assert dialog.capture_box.capture_setup.shortcut().toString() == "Alt+U"  # its mnemonic
    assert dialog.capture_box.capture_setup.focusPolicy() & Qt.FocusPolicy.TabFocus
    dialog.capture_box.capture_setup.setFocus()
    QTest.keyClick(dialog.capture_box.capture_setup, Qt.Key.Key_Space)
    assert not dialog.capture_box.capture_setup.isEnabled()  # asking, on a thread of its own
    qtbot.waitUntil(lambda: dialog.capture_box.capture_setup.isEnabled(), timeout=20_000)


def test_set_up_asks_the_desktop_once_and_keeps_the_answer(qtbot, portal_desktop) -> None:
    picture = portal_desktop.pictures / "shot.png"
    from PIL import Image

    Image.new("RGB", (8, 8), (1, 2, 3)).save(picture)
    portal_desktop.answer(response=0, uri=picture.as_uri())
    dialog = open_settings(qtbot)
    assert dialog.capture_box.capture_setup.accessibleName() == "Set up screen capture"
    assert "asks once" in dialog.capture_box.capture_setup.accessibleDescription()
    press_set_up(qtbot, dialog)
    assert dialog.capture_box.capture_status.text().startswith("The desktop allowed screen capture")
    assert portal_desktop.seen()["access_asked"] == ["Allow Applications to Take Screenshots?"]
    assert dialog.collect().capture_set_up and dialog.collect().capture_backend == "portal"


def test_a_refusal_says_how_to_allow_it(qtbot, portal_desktop) -> None:
    portal_desktop.answer(access=2)
    dialog = open_settings(qtbot)
    press_set_up(qtbot, dialog)
    assert dialog.capture_box.capture_status.text() == REFUSED
    assert not dialog.collect().capture_set_up


def test_the_chosen_capture_applies_to_the_next_grab(qtbot) -> None:
    from assistant.capture.backends import preferred, use_backend

    dialog = open_settings(qtbot)
    dialog.capture_box.capture_backend.setCurrentIndex(dialog.capture_box.capture_backend.findData("grim"))
    try:
        assert dialog.apply()
        assert preferred() == "grim" and dialog.settings.capture_backend == "grim"
    finally:
        use_backend("auto")


def test_a_method_that_cannot_run_here_is_said_when_chosen(qtbot, tmp_path, monkeypatch) -> None:
    """grim chosen where there is none: every grab went another way, and nobody said so."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    dialog = open_settings(qtbot)
    box = dialog.capture_box
    with qtbot.waitSignal(box.answered, timeout=20_000) as said:
        box.capture_backend.setCurrentIndex(box.capture_backend.findData("grim"))
    assert said.args == [False, box.capture_status.text()]
    assert box.capture_status.text() == (
        "The chosen screen capture, grim (wlroots screencopy: sway, Hyprland), cannot run here: grim is not "
        "installed; install it (Debian's package grim) or choose another screen capture."
    )
