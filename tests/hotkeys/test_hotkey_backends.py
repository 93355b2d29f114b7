"""GlobalHotkeys' own rules and the choice of backend, without a keyboard (a recording backend)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from assistant.hotkeys import GlobalHotkeys, Hotkey, parse_hotkey
from assistant.hotkeys.backends import (
    WAYLAND_PROBLEM,
    XWAYLAND_PROBLEM,
    KeyboardBackend,
    PynputBackend,
    choose_backend,
    keyboard_combo,
    pynput_combo,
)


class RecordingBackend:
    name = "recording"

    def __init__(self) -> None:
        self.registered: dict[Hotkey, str] = {}
        self.on_action: Callable[[str], None] | None = None
        self.stopped = 0

    def start(self, bindings: Mapping[Hotkey, str], on_action: Callable[[str], None]) -> list[str]:
        self.registered = dict(bindings)
        self.on_action = on_action
        return []

    def stop(self) -> None:
        self.stopped += 1


def test_valid_bindings_reach_the_backend() -> None:
    backend = RecordingBackend()
    received: list[str] = []
    hotkeys = GlobalHotkeys({"describe-screen": "Ctrl+Alt+D", "stop": "ctrl+alt+s"}, received.append, backend)
    assert hotkeys.start() == []
    assert hotkeys.backend_name == "recording"
    assert backend.registered == {
        parse_hotkey("ctrl+alt+d"): "describe-screen",
        parse_hotkey("ctrl+alt+s"): "stop",
    }
    assert backend.on_action is not None
    backend.on_action("stop")
    assert received == ["stop"]
    hotkeys.stop()
    hotkeys.stop()
    assert backend.stopped == 1
    assert hotkeys.backend_name is None


def test_update_applies_new_bindings() -> None:
    backend = RecordingBackend()
    hotkeys = GlobalHotkeys({"describe-screen": "ctrl+alt+d"}, lambda action: None, backend)
    assert hotkeys.start() == []
    assert hotkeys.update({"describe-screen": "ctrl+alt+w", "ask": "bad"}) != []
    assert backend.stopped == 1
    assert backend.registered == {parse_hotkey("ctrl+alt+w"): "describe-screen"}
    hotkeys.stop()


def test_problems_are_sentences_and_the_rest_still_register() -> None:
    backend = RecordingBackend()
    bindings = {
        "describe-screen": "ctrl+alt+d",
        "ask": "ctrl+alt+nosuchkey",
        "stop": "ctrl+alt+D",  # the same as describe-screen
        "listen": "",  # turned off
        "dance": "ctrl+alt+j",
        "quit": "ctrl+alt+x",
    }
    problems = GlobalHotkeys(bindings, lambda action: None, backend).start()
    assert backend.registered == {
        parse_hotkey("ctrl+alt+d"): "describe-screen",
        parse_hotkey("ctrl+alt+x"): "quit",
    }
    assert len(problems) == 3
    assert "ask" in problems[0] and "nosuchkey" in problems[0]
    assert "both describe-screen and stop" in problems[1]
    assert '"dance"' in problems[2]
    for problem in problems:
        assert problem.endswith(".") and "\n" not in problem


def test_nothing_to_register_starts_no_backend() -> None:
    backend = RecordingBackend()
    assert GlobalHotkeys({"ask": ""}, lambda action: None, backend).start() == []
    assert backend.on_action is None


def test_choose_backend_per_platform() -> None:
    backend, notes = choose_backend({}, "win32")
    assert isinstance(backend, KeyboardBackend) and notes == []
    backend, notes = choose_backend({}, "darwin")
    assert isinstance(backend, PynputBackend) and notes == []
    backend, notes = choose_backend({"DISPLAY": ":0"}, "linux")
    assert isinstance(backend, PynputBackend) and notes == []


def test_wayland_points_to_the_trigger_command() -> None:
    backend, notes = choose_backend({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert backend is None
    assert notes == [WAYLAND_PROBLEM]
    assert "“assistant trigger describe-screen”" in WAYLAND_PROBLEM
    assert WAYLAND_PROBLEM.startswith("Global hotkeys are not available on Wayland")
    # With XWayland the X backend runs, but the user learns its limits.
    backend, notes = choose_backend({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "linux")
    assert isinstance(backend, PynputBackend)
    assert notes == [XWAYLAND_PROBLEM]
    backend, notes = choose_backend({"XDG_SESSION_TYPE": "wayland"}, "linux")
    assert backend is None and notes == [WAYLAND_PROBLEM]
    backend, notes = choose_backend({}, "linux")
    assert backend is None and "no" in notes[0] and "assistant trigger" in notes[0]


def test_on_sway_the_sentence_says_how_sway_binds_keys(spanish) -> None:
    """sway has no keyboard settings: its user was sent to "your desktop's keyboard settings"."""
    for environ in ({"SWAYSOCK": "/run/user/1000/sway-ipc.sock"}, {"XDG_CURRENT_DESKTOP": "sway"}):
        for display in ({}, {"DISPLAY": ":0"}):  # XWayland or not
            _backend, notes = choose_backend({"WAYLAND_DISPLAY": "wayland-1", **environ, **display}, "linux")
            assert len(notes) == 1
            assert "“bindsym Ctrl+Alt+d exec assistant trigger describe-screen”" in notes[0]
            assert "~/.config/sway/config" in notes[0] and "“swaymsg reload”" in notes[0]
            assert notes[0].startswith("sway no permite")  # in the user's language


def test_wayland_session_reports_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    hotkeys = GlobalHotkeys({"describe-screen": "ctrl+alt+d"}, lambda action: None)
    assert hotkeys.start() == [WAYLAND_PROBLEM]
    assert hotkeys.backend_name is None
    hotkeys.stop()


@pytest.mark.parametrize(
    ("text", "pynput", "keyboard"),
    [
        ("ctrl+alt+d", "<ctrl>+<alt>+d", "ctrl+alt+d"),
        ("super+shift+page_up", "<shift>+<cmd>+<page_up>", "shift+windows+page up"),
        ("ctrl+alt+print_screen", "<ctrl>+<alt>+<print_screen>", "ctrl+alt+print screen"),
        ("ctrl+alt+,", "<ctrl>+<alt>+,", "ctrl+alt+comma"),
        ("alt+f4", "<alt>+<f4>", "alt+f4"),
    ],
)
def test_combo_translation(text: str, pynput: str, keyboard: str) -> None:
    hotkey = parse_hotkey(text)
    assert pynput_combo(hotkey) == pynput
    assert keyboard_combo(hotkey) == keyboard
