"""Hotkeys through the GlobalShortcuts portal, against the real xdg-desktop-portal, its desktop side mocked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from assistant.actions import BY_NAME
from assistant.hotkeys import GlobalHotkeys, parse_hotkey
from assistant.hotkeys.backends import choose_backend
from assistant.hotkeys.portal_shortcuts import NO_PORTAL, PortalShortcutsBackend, portal_trigger

BINDINGS = {parse_hotkey("ctrl+alt+d"): "describe-screen", parse_hotkey("super+page_up"): "read-text"}
HANG_GUARD = 10.0


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_our_hotkeys_in_the_specifications_notation() -> None:
    assert portal_trigger(parse_hotkey("ctrl+alt+d")) == "CTRL+ALT+d"
    assert portal_trigger(parse_hotkey("super+page_up")) == "LOGO+Page_Up"
    assert portal_trigger(parse_hotkey("ctrl+shift+f5")) == "CTRL+SHIFT+F5"
    assert portal_trigger(parse_hotkey("ctrl+alt+,")) == "CTRL+ALT+comma"


def test_every_action_is_bound_with_its_description_and_activated(portal_desktop) -> None:
    pressed: list[str] = []
    arrived = threading.Event()

    def on_action(action: str) -> None:
        pressed.append(action)
        arrived.set()

    backend = PortalShortcutsBackend(portal_desktop.address)
    try:
        assert backend.start(BINDINGS, on_action) == []
        wait_until(lambda: len(backend.triggers) == 2, "the keys were never bound")
        (bound,) = portal_desktop.seen()["sessions"].values()
        assert {name: details["description"] for name, details in bound} == {
            "describe-screen": BY_NAME["describe-screen"].help,
            "read-text": BY_NAME["read-text"].help,
        }
        assert backend.triggers == {"describe-screen": "Press CTRL+ALT+d", "read-text": "Press LOGO+Page_Up"}
        portal_desktop.mock("Trigger", "s", "read-text")
        assert arrived.wait(HANG_GUARD), "the activated shortcut never reached the app"
        assert pressed == ["read-text"]
    finally:
        backend.stop()
    wait_until(lambda: bool(portal_desktop.seen()["closed"]), "the session was not closed on stop")


def test_keys_changed_in_the_desktops_dialog_are_read_back(portal_desktop) -> None:
    backend = PortalShortcutsBackend(portal_desktop.address)
    try:
        assert backend.start(BINDINGS, lambda _action: None) == []
        wait_until(lambda: len(backend.triggers) == 2, "the keys were never bound")
        portal_desktop.mock("Change", "ss", "describe-screen", "Super+D")
        wait_until(
            lambda: backend.triggers.get("describe-screen") == "Super+D", "the change was not read back"
        )
        assert backend.triggers["read-text"] == "Press LOGO+Page_Up"
    finally:
        backend.stop()


def test_wayland_with_the_portal_binds_through_it(portal_desktop) -> None:
    backend, notes = choose_backend(
        {"WAYLAND_DISPLAY": "wayland-1", "DBUS_SESSION_BUS_ADDRESS": portal_desktop.address}, "linux"
    )
    assert isinstance(backend, PortalShortcutsBackend) and notes == []
    hotkeys = GlobalHotkeys({"describe-screen": "ctrl+alt+d"}, lambda _action: None, backend=backend)
    try:
        assert hotkeys.start() == []
        assert hotkeys.backend_name == "portal"
    finally:
        hotkeys.stop()


def test_no_portal_says_to_bind_assistant_trigger(tmp_path) -> None:
    backend = PortalShortcutsBackend(f"unix:path={tmp_path / 'no-bus'}")
    assert backend.start(BINDINGS, lambda _action: None) == [NO_PORTAL]
    assert "“assistant trigger describe-screen”" in NO_PORTAL
    backend.stop()


def test_the_desktops_keys_are_shown_in_settings(qtbot, portal_desktop) -> None:
    from assistant.config import Settings
    from assistant.ui.settings_dialog import SettingsDialog

    hotkeys = GlobalHotkeys(
        {"describe-screen": "ctrl+alt+d"},
        lambda _action: None,
        backend=PortalShortcutsBackend(portal_desktop.address),
    )
    try:
        assert hotkeys.start() == []
        wait_until(lambda: bool(hotkeys.desktop_keys), "the keys were never bound")
        portal_desktop.mock("Change", "ss", "describe-screen", "Super+D")
        wait_until(
            lambda: hotkeys.desktop_keys == {"describe-screen": "Super+D"}, "the change was not read back"
        )
        dialog = SettingsDialog(Settings(), desktop_keys=hotkeys.desktop_keys)
        qtbot.addWidget(dialog)
        assert dialog.hotkeys_box.desktop_keys.text() == (
            "The desktop binds these keys (change them in its settings): Describe screen: Super+D."
        )
        assert dialog.hotkeys_box.desktop_keys.accessibleName() == "Keys bound by the desktop"
    finally:
        hotkeys.stop()
    assert GlobalHotkeys({}, lambda _action: None).desktop_keys == {}


def test_binding_waits_for_the_desktops_dialog_off_the_callers_thread(portal_desktop) -> None:
    portal_desktop.answer(never=True)  # the dialog is left open
    backend = PortalShortcutsBackend(portal_desktop.address)
    started = time.monotonic()
    assert backend.start(BINDINGS, lambda _action: None) == []  # CreateSession answered; Bind waits
    backend.stop()  # the app quits while the dialog is still open: nothing waits for it
    assert time.monotonic() - started < HANG_GUARD
    assert backend.problem is None and backend.triggers == {}


def test_a_cancelled_binding_says_how_to_bind_by_hand(portal_desktop) -> None:
    backend = PortalShortcutsBackend(portal_desktop.address)
    try:
        assert backend.start(BINDINGS, lambda _action: None) == []
        wait_until(lambda: len(backend.triggers) == 2, "the keys were never bound")
    finally:
        backend.stop()
    portal_desktop.answer(response=1)
    try:
        assert backend.start(BINDINGS, lambda _action: None) == []
        wait_until(lambda: backend.problem is not None, "the cancelled binding was not noticed")
        assert "“assistant trigger describe-screen”" in str(backend.problem)
    finally:
        backend.stop()


def test_on_sway_settings_say_the_hotkeys_are_not_taken(qtbot, tmp_path, monkeypatch) -> None:
    """sway without GlobalShortcuts: the hotkey fields bound nothing, and Settings did not say so."""
    from assistant.config import Settings
    from assistant.hotkeys.backends import SWAY_PROBLEM
    from assistant.ui.settings_dialog import SettingsDialog

    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.setenv("SWAYSOCK", str(tmp_path / "sway-ipc.sock"))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    monkeypatch.delenv("DISPLAY", raising=False)
    dialog = SettingsDialog(Settings(), desktop_keys={})
    qtbot.addWidget(dialog)
    box = dialog.hotkeys_box
    qtbot.waitUntil(lambda: getattr(box, "not_taken", None) is not None, timeout=10_000)
    assert box.not_taken.text() == SWAY_PROBLEM
    assert box.not_taken.accessibleName() == "Hotkeys on this desktop"
    assert box.not_taken.accessibleDescription() == SWAY_PROBLEM  # a screen reader hears it with its name


def test_the_session_is_opened_off_the_callers_thread(portal_desktop, monkeypatch) -> None:
    """start() runs on the Qt thread: a portal still starting (at login) held it for CreateSession's answer."""
    from assistant.hotkeys.portal import Portal

    asked_on: list[threading.Thread] = []
    request = Portal.request

    def recording(self, interface, method, *args, **kwargs):
        if method == "CreateSession":
            asked_on.append(threading.current_thread())
        return request(self, interface, method, *args, **kwargs)

    monkeypatch.setattr(Portal, "request", recording)
    backend = PortalShortcutsBackend(portal_desktop.address)
    try:
        assert backend.start(BINDINGS, lambda _action: None) == []
        wait_until(lambda: len(backend.triggers) == 2, "the keys were never bound")
    finally:
        backend.stop()
    assert asked_on and threading.current_thread() not in asked_on
