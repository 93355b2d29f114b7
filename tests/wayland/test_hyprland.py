"""Hyprland's IPC for the monitor under the pointer and the active window, against a stand-in for its
request socket (Hyprland is not packaged in Debian 12, so no real one runs here): one request a
connection, "j/<command>", the JSON answer, then the socket closes, as Hyprland's wiki describes it."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from ipc_standin import ipc_standin
from PIL import Image

from assistant.capture import hyprland, monitors
from assistant.capture.grim import GrimBackend
from assistant.capture.window import FocusedWindow, NoFocusedWindow, focused_window

SIGNATURE = "abc123_1700000000_42"
# DP-1: 1920 x 1080 at scale 1; HDMI-A-1 to its right: a 3840 x 2160 mode at scale 2, 1920 x 1080 logical.
MONITORS = [
    {"name": "DP-1", "x": 0, "y": 0, "width": 1920, "height": 1080, "scale": 1.0, "transform": 0,
     "focused": True, "disabled": False},
    {"name": "HDMI-A-1", "x": 1920, "y": 0, "width": 3840, "height": 2160, "scale": 2.0, "transform": 0,
     "focused": False, "disabled": False},
]  # fmt: skip
ACTIVE = {"title": "Invoices - Thunderbird", "at": [1930, 40], "size": [900, 700], "class": "thunderbird"}


@pytest.fixture
def hyprland_socket(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    """The stand-in socket in this test's runtime folder; the test sets what each command answers."""
    answers: dict[str, object] = {
        "monitors": MONITORS,
        "cursorpos": {"x": 2500, "y": 300},
        "activewindow": ACTIVE,
    }
    # A short runtime folder of the test's own, not tmp_path: a socket's path is limited to about 100
    # bytes, and tmp_path's grows with the test's name and the xdist worker's folder.
    tmp_path = Path(tempfile.mkdtemp(prefix="hypr-"))
    folder = tmp_path / "hypr" / SIGNATURE
    folder.mkdir(parents=True)

    def answer(connection: socket.socket) -> None:
        request = connection.recv(1024).decode()
        assert request.startswith("j/")
        connection.sendall(json.dumps(answers[request[2:]]).encode())

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("HYPRLAND_INSTANCE_SIGNATURE", SIGNATURE)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "Hyprland")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")  # no AT-SPI
    for name in ("SWAYSOCK", "DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    with ipc_standin(folder / ".socket.sock", answer, "fake-hyprland"):
        yield answers
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_the_monitor_under_the_pointer_is_the_one_the_user_is_on(hyprland_socket) -> None:
    """Hyprland says where the pointer is: that monitor wins over the one it marks focused."""
    found = monitors.layout()
    assert found == [
        monitors.Monitor("DP-1", (0, 0, 1920, 1080), 1.0, False),
        monitors.Monitor("HDMI-A-1", (1920, 0, 1920, 1080), 2.0, True),
    ]
    hyprland_socket["cursorpos"] = {"x": -5, "y": -5}  # on no monitor: Hyprland's own focus
    assert monitors.current(monitors.layout()).name == "DP-1"  # type: ignore[union-attr]


def test_grim_takes_the_monitor_under_the_pointer(hyprland_socket, monkeypatch) -> None:
    asked: list[list[str]] = []
    monkeypatch.setattr(
        GrimBackend, "_grim", lambda self, where: asked.append(where) or Image.new("RGB", (1, 1))
    )
    GrimBackend().grab_screen(at=(10, 10))  # Qt's stale idea of the pointer loses to Hyprland's
    assert asked == [["-o", "HDMI-A-1"]]


def test_a_monitor_turned_a_quarter_is_as_tall_as_its_mode_is_wide() -> None:
    turned = {**MONITORS[1], "transform": 1}
    assert hyprland.logical_rect(turned) == (1920, 0, 1080, 1920)


def test_the_active_window_is_named_with_its_frame(hyprland_socket) -> None:
    assert focused_window() == FocusedWindow("Invoices - Thunderbird", (1930, 40, 900, 700))


def test_with_no_active_window_it_says_so(hyprland_socket) -> None:
    hyprland_socket["activewindow"] = {}
    with pytest.raises(NoFocusedWindow, match="No window has the focus"):
        focused_window()


def test_a_stale_signature_asks_the_accessibility_bus(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("HYPRLAND_INSTANCE_SIGNATURE", "gone")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    for name in ("SWAYSOCK", "DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    assert monitors.layout() is None
    with pytest.raises(NoFocusedWindow) as raised:
        focused_window()
    assert str(raised.value) == (  # not "this Wayland desktop" cannot show it: Hyprland's socket is stale
        "Hyprland did not answer on its socket, so the whole screen is described; if Hyprland was "
        "restarted, start the assistant again from within it."
    )
