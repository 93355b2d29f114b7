"""Global hotkeys through pynput on a real X server (Xvfb), pressed with xdotool."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading

import pytest

from assistant.bench.xvfb import Xvfb
from assistant.hotkeys import GlobalHotkeys
from assistant.hotkeys.combos import NAMED_KEYS, parse_hotkey

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")),
    reason="needs Xvfb and xdotool (apt install xvfb xdotool)",
)


@pytest.fixture
def x11(xvfb: Xvfb, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    return xvfb.display


def press(display: str, combo: str) -> None:
    subprocess.run(["xdotool", "key", combo], env={**os.environ, "DISPLAY": display}, check=True, timeout=10)


def press_until(display: str, combo: str, received: queue.Queue[str]) -> str:
    """Press until an action arrives (the X recording can take a moment to begin after start())."""
    for _ in range(5):
        press(display, combo)
        try:
            return received.get(timeout=2)
        except queue.Empty:
            continue
    pytest.fail(f"pressing {combo} did not reach on_action")


def hotkey_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "assistant-hotkeys"]


def test_pressed_hotkeys_reach_on_action(x11: str) -> None:
    received: queue.Queue[str] = queue.Queue()
    hotkeys = GlobalHotkeys(
        {
            "describe-screen": "ctrl+alt+d",
            "ask": "ctrl+alt+nosuchkey",
            "stop": "ctrl+alt+s",
            "listen": "ctrl+shift+f9",
            "settings": "ctrl+alt+f9",  # switches to a text console on Linux
        },
        received.put,
    )
    problems = hotkeys.start()
    try:
        assert hotkeys.backend_name == "pynput"
        assert len(problems) == 2
        assert problems[0].startswith("The hotkey for ask was not registered") and "nosuchkey" in problems[0]
        assert problems[1].startswith("The hotkey ctrl+alt+f9 for settings could not be registered")

        assert press_until(x11, "ctrl+alt+d", received) == "describe-screen"
        press(x11, "ctrl+alt+s")
        assert received.get(timeout=5) == "stop"
        press(x11, "ctrl+shift+F9")
        assert received.get(timeout=5) == "listen"
        # Keys that are not hotkeys fire nothing: the next action to arrive is the next hotkey's.
        press(x11, "ctrl+alt+x")
        press(x11, "d")
        press(x11, "ctrl+d")
        press(x11, "ctrl+alt+d")
        assert received.get(timeout=5) == "describe-screen"
        assert received.empty()
    finally:
        hotkeys.stop()
    for thread in hotkey_threads():
        thread.join(5)
    assert not hotkey_threads()


def test_a_failing_action_does_not_stop_the_hotkeys(x11: str) -> None:
    received: queue.Queue[str] = queue.Queue()

    def on_action(action: str) -> None:
        received.put(action)
        raise RuntimeError("the UI had a bad moment")

    hotkeys = GlobalHotkeys({"describe-screen": "ctrl+alt+d"}, on_action)
    assert hotkeys.start() == []
    try:
        assert press_until(x11, "ctrl+alt+d", received) == "describe-screen"
        press(x11, "ctrl+alt+d")
        assert received.get(timeout=5) == "describe-screen"
    finally:
        hotkeys.stop()


def test_every_named_key_is_known_to_pynput_here(x11: str) -> None:
    from pynput import keyboard

    from assistant.hotkeys.backends import pynput_combo

    for name in NAMED_KEYS:
        if name in {"f21", "f22", "f23", "f24"}:
            continue  # pynput's X backend names keys up to F20
        keyboard.HotKey.parse(pynput_combo(parse_hotkey(f"ctrl+alt+{name}")))


def test_an_x_server_that_went_away_gives_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":250")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    hotkeys = GlobalHotkeys({"describe-screen": "ctrl+alt+d"}, lambda action: None)
    problems = hotkeys.start()
    assert len(problems) == 1
    assert problems[0].startswith(
        "Global hotkeys could not start because the X display :250 cannot be reached"
    )
    assert "“assistant trigger describe-screen”" in problems[0]
    assert not hotkey_threads()
    hotkeys.stop()
