"""The app's side of a Wayland desktop's questions, against the real xdg-desktop-portal with its desktop
side mocked: the first run offers to set up screen capture from the app's own window and keeps the
answer; a key binding the desktop refuses is said once; the desktop's keys are shown in Settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.views import Shown
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from wayland_env import WAYLAND

from assistant.capture.portal_screenshot import REFUSED
from assistant.config import Settings, load_settings
from assistant.ui.controller import Controller
from assistant.ui.desktop_setup import capture_needs_permission
from assistant.ui.earcons import Earcons


def never_loaded(spec, on_progress):
    raise AssertionError("these tests load no model")


@pytest.fixture
def controller(qtbot, tmp_path: Path):
    """Made after the portal_desktop fixture where a test asks for both, so it stops before the bus does."""
    made = Controller(
        Settings(), None, Earcons(False), never_loaded, settings_path=tmp_path / "settings.toml"
    )
    yield made
    assert made.shutdown(timeout=10)


def test_only_a_wayland_capture_that_asks_and_was_never_set_up_needs_permission(portal_desktop, wayland):
    assert capture_needs_permission(Settings(), WAYLAND, "linux")
    assert not capture_needs_permission(Settings(capture_set_up=True), WAYLAND, "linux")
    assert not capture_needs_permission(Settings(), {"DISPLAY": ":0"}, "linux")
    assert not capture_needs_permission(Settings(capture_backend="mss"), {"DISPLAY": ":0"}, "linux")


def open_offer(qtbot, controller: Controller):
    assert controller.desktop.offer_capture_setup()
    assert not controller.desktop.offer_capture_setup()  # asked once while the check runs
    qtbot.waitUntil(lambda: controller.desktop.prompt is not None, timeout=20_000)
    prompt = controller.desktop.prompt
    assert prompt is not None
    qtbot.waitExposed(prompt)
    assert not controller.desktop.offer_capture_setup()  # said once: a second call shows nothing more
    assert "asks this once, and only the window in front" in prompt.why.text()
    assert prompt.set_up.accessibleName() == "Set up screen capture"
    assert prompt.set_up.shortcut().toString() == "Alt+U"
    return prompt


def test_whether_to_offer_is_found_off_the_qt_thread(qtbot, monkeypatch, controller):
    """The check starts programs (gst-inspect-1.0) and asks D-Bus: the window must not wait for it."""
    import threading

    from assistant.ui import desktop_setup

    checked_on: list[threading.Thread] = []

    def needs_permission(settings, environ=None, platform=None) -> bool:
        checked_on.append(threading.current_thread())
        return True

    monkeypatch.setattr(desktop_setup, "capture_needs_permission", needs_permission)
    assert controller.desktop.offer_capture_setup()
    qtbot.waitUntil(lambda: controller.desktop.prompt is not None, timeout=20_000)
    assert checked_on and threading.main_thread() not in checked_on
    assert controller.settings.capture_offered  # kept once shown
    controller.desktop.prompt.reject()


def test_no_offer_where_capture_asks_nothing(qtbot, monkeypatch, controller):
    from assistant.ui import desktop_setup

    monkeypatch.setattr(desktop_setup, "capture_needs_permission", lambda *args, **kwargs: False)
    assert controller.desktop.offer_capture_setup()
    qtbot.waitUntil(lambda: controller.desktop._checking is None, timeout=20_000)
    assert controller.desktop.prompt is None and not controller.settings.capture_offered


def test_a_check_that_breaks_ends_and_offers_nothing(qtbot, monkeypatch, controller):
    from assistant.ui import desktop_setup

    def broken(*args, **kwargs) -> bool:
        raise OSError("the bus went away")

    monkeypatch.setattr(desktop_setup, "capture_needs_permission", broken)
    assert controller.desktop.offer_capture_setup()
    qtbot.waitUntil(lambda: controller.desktop._checking is None, timeout=20_000)
    assert controller.desktop.prompt is None and not controller.settings.capture_offered


def press_set_up(qtbot, prompt) -> None:
    prompt.activateWindow()
    prompt.set_up.setFocus()
    QTest.keyClick(prompt.set_up, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: prompt.status.text() and not prompt.status.text().endswith("…"), timeout=20_000)


def test_the_first_run_offers_the_set_up_and_keeps_the_answer(qtbot, portal_desktop, wayland, controller):
    from PIL import Image

    picture = portal_desktop.pictures / "shot.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(picture)
    portal_desktop.answer(response=0, uri=picture.as_uri())
    prompt = open_offer(qtbot, controller)
    press_set_up(qtbot, prompt)
    assert prompt.status.text().startswith("The desktop allowed screen capture")
    assert portal_desktop.seen()["access_asked"] == ["Allow Applications to Take Screenshots?"]
    assert controller.settings.capture_set_up and controller.status == prompt.status.text()
    assert prompt.close_button.text() == "&Close" and prompt.close_button.hasFocus()
    assert load_settings(controller.settings_path)[0].capture_set_up  # kept for the next start
    QTest.keyClick(prompt.close_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: controller.desktop.prompt is None)
    assert not capture_needs_permission(controller.settings, WAYLAND, "linux")
    assert not controller.desktop.offer_capture_setup(WAYLAND)  # never again once set up


def test_a_refusal_says_how_to_allow_it_and_may_be_asked_again(qtbot, portal_desktop, wayland, controller):
    portal_desktop.answer(access=2)
    prompt = open_offer(qtbot, controller)
    press_set_up(qtbot, prompt)
    assert prompt.status.text() == REFUSED and controller.status == REFUSED
    assert not controller.settings.capture_set_up
    assert prompt.set_up.isEnabled() and prompt.set_up.hasFocus()
    QTest.keyClick(prompt.close_button, Qt.Key.Key_Space)  # Not now
    qtbot.waitUntil(lambda: controller.desktop.prompt is None)
    kept = load_settings(controller.settings_path)[0]
    assert kept.capture_offered and not kept.capture_set_up  # shown once: the next start says nothing
    assert not controller.desktop.offer_capture_setup(WAYLAND)


def test_a_refused_key_binding_is_said_once(qtbot, portal_desktop, wayland, controller):
    shown = Shown()
    controller.views.append(shown)
    portal_desktop.answer(response=1)  # the desktop's shortcuts dialog is cancelled
    for _attempt in range(2):  # Settings' hotkey changes bind again, and fail the same way
        with qtbot.waitSignal(controller.desktop.hotkey_failed, timeout=20_000) as failed:
            # Bound once the desktop answers, on a thread, that it binds the keys.
            assert controller.start_hotkeys()
        QApplication.processEvents()
    problem = failed.args[0]
    assert "“assistant trigger describe-screen”" in problem
    assert controller.hotkeys is not None and controller.hotkeys.backend_name == "portal"
    assert controller.hotkey_problems == [problem] and controller.status == problem
    assert shown.texts == [problem]  # said once, though both bindings failed


def test_settings_show_the_keys_the_desktop_bound(qtbot, portal_desktop, wayland, controller):
    assert controller.start_hotkeys()
    qtbot.waitUntil(lambda: controller.hotkeys is not None, timeout=20_000)
    assert controller.hotkey_problems == []
    hotkeys = controller.hotkeys
    qtbot.waitUntil(lambda: bool(hotkeys.desktop_keys), timeout=20_000)
    portal_desktop.mock("Change", "ss", "describe-screen", "Super+D")
    qtbot.waitUntil(lambda: hotkeys.desktop_keys.get("describe-screen") == "Super+D", timeout=20_000)
    controller.open_settings()
    dialog = controller.settings_flow.dialog
    assert dialog is not None
    assert dialog.hotkeys_box.desktop_keys.accessibleName() == "Keys bound by the desktop"
    assert "Describe screen: Super+D" in dialog.hotkeys_box.desktop_keys.text()
    assert (
        dialog.hotkeys_box.desktop_keys.accessibleDescription() == dialog.hotkeys_box.desktop_keys.text()
    )  # a screen reader hears them


class SaidAloud:
    """The app's own voice, working: records what it is asked to say."""

    enabled = True
    status_message = ""

    def __init__(self, screen_reader: str | None = None) -> None:
        self.said: list[str] = []
        self.screen_reader = screen_reader  # how it reaches the screen reader; None: the app's own voice

    def say(self, text: str, interrupt: bool = False) -> None:
        self.said.append(text)

    def stop(self) -> None:
        pass

    def close(self, timeout: float = 2.0) -> None:
        pass


def test_with_the_apps_own_voice_the_offer_and_the_question_are_said_once(qtbot, monkeypatch, tmp_path: Path):
    """No screen reader reads the offer's window to a user of the app's own voice: it was shown in
    silence, the focus on a button nobody named, and "The desktop is asking…" was only announced."""
    from assistant.capture import backends
    from assistant.ui import desktop_setup

    monkeypatch.setattr(desktop_setup, "capture_needs_permission", lambda *args, **kwargs: True)
    monkeypatch.setattr(backends, "set_up", lambda choice: "Allowed.")
    voice = SaidAloud()
    controller = Controller(
        Settings(), voice, Earcons(False), never_loaded, settings_path=tmp_path / "settings.toml"
    )
    try:
        assert controller.desktop.offer_capture_setup()
        qtbot.waitUntil(lambda: controller.desktop.prompt is not None, timeout=20_000)
        prompt = controller.desktop.prompt
        keys = "Press Enter to set up screen capture now, or Escape to leave it for later."
        assert voice.said == [f"{prompt.why.text()} {keys}"]
        press_set_up(qtbot, prompt)
        assert voice.said[1:] == [
            "The desktop is asking whether the assistant may capture the screen…",
            "Allowed.",
        ]
    finally:
        assert controller.shutdown(timeout=10)


def test_through_a_screen_reader_the_offer_is_left_to_it(qtbot, monkeypatch, tmp_path: Path):
    """The screen reader reads the offer's window as it takes the focus: the app saying it too through
    the screen reader, it was heard twice."""
    from assistant.capture import backends
    from assistant.ui import desktop_setup

    monkeypatch.setattr(desktop_setup, "capture_needs_permission", lambda *args, **kwargs: True)
    monkeypatch.setattr(backends, "set_up", lambda choice: "Allowed.")
    voice = SaidAloud(screen_reader="Orca through speech-dispatcher")
    controller = Controller(
        Settings(), voice, Earcons(False), never_loaded, settings_path=tmp_path / "settings.toml"
    )
    try:
        assert controller.desktop.offer_capture_setup()
        qtbot.waitUntil(lambda: controller.desktop.prompt is not None, timeout=20_000)
        press_set_up(qtbot, controller.desktop.prompt)
        assert voice.said == ["Allowed."]  # the answer alone: the window's status is not announced
    finally:
        assert controller.shutdown(timeout=10)
