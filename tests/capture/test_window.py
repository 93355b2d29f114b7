"""The focused window under Xvfb with a real window manager (openbox): its title, its area, its picture."""

import shutil
import subprocess
import sys
import time

import pytest

from assistant.capture.window import (
    WAYLAND_MESSAGE,
    FocusedWindow,
    NoFocusedWindow,
    focused_window,
    frontmost_of,
    grab_focused_window,
)

XVFB_SIZE = (1280, 800)
COLOURS = {"Quarterly report - Writer": (0xF4, 0xF4, 0xC8), "Invoice 2041 - Mail": (0xC8, 0xE4, 0xF4)}
needs_desktop = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not (shutil.which("openbox") and shutil.which("xdotool")),
    reason="needs openbox and xdotool (apt-get install openbox xdotool)",
)


def activate(title: str) -> None:
    subprocess.run(
        ["xdotool", "search", "--sync", "--name", title, "windowactivate", "--sync"], check=True, timeout=10
    )
    deadline = time.monotonic() + 5
    while focused_window().title != title and time.monotonic() < deadline:
        time.sleep(0.05)


@needs_desktop
@pytest.mark.parametrize("title", list(COLOURS))
def test_the_focused_window_is_found_and_captured_alone(openbox_desktop, title: str) -> None:
    activate(title)
    window, picture = grab_focused_window()
    assert window.title == title
    assert window.spoken_title == f"Window: {title}."
    _, _, width, height = window.geometry
    # The frame openbox drew: the 440x240 client and its title bar, not the whole screen.
    assert 440 <= width <= 470 and 240 < height <= 300
    assert picture.size == (width, height)
    # Below the title bar, the picture is the focused window's own colour, not the other window's.
    inside = picture.getpixel((width // 2, height - 20))
    assert max(abs(a - b) for a, b in zip(inside, COLOURS[title], strict=True)) <= 8


@needs_desktop
def test_the_focused_windows_text_is_read_title_first(openbox_desktop) -> None:
    from assistant.ocr import read_text

    activate("Invoice 2041 - Mail")
    _, picture = grab_focused_window()
    lines = read_text(picture).lines
    text = " ".join(lines).lower()
    assert "payment received thank you" in text
    assert "revenue" not in text
    assert "invoice" in lines[0].lower()  # the title bar comes first


def test_wayland_says_the_window_cannot_be_found(monkeypatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    with pytest.raises(NoFocusedWindow) as raised:
        focused_window()
    assert str(raised.value) == WAYLAND_MESSAGE


def test_macos_frontmost_is_the_first_normal_window() -> None:
    windows = [
        {
            "kCGWindowLayer": 25,
            "kCGWindowOwnerName": "Dock",
            "kCGWindowBounds": {"X": 0, "Y": 0, "Width": 9, "Height": 9},
        },
        {
            "kCGWindowLayer": 0,
            "kCGWindowOwnerName": "TextEdit",
            "kCGWindowName": "Notes.txt",
            "kCGWindowBounds": {"X": 10, "Y": 20, "Width": 300, "Height": 200},
        },
        {
            "kCGWindowLayer": 0,
            "kCGWindowOwnerName": "Finder",
            "kCGWindowBounds": {"X": 0, "Y": 0, "Width": 99, "Height": 99},
        },
    ]
    assert frontmost_of(windows) == FocusedWindow("Notes.txt - TextEdit", (10, 20, 300, 200))
    assert frontmost_of([]) is None
