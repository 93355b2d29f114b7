"""sway's IPC for the focused window and the outputs, and grim for the pictures, each against a stand-in:
a socket speaking i3's IPC protocol, and a `grim` on PATH that writes a PNG as the real one does."""

from __future__ import annotations

import json
import socket
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ipc_standin import ipc_standin

from assistant.capture import sway
from assistant.capture.base import CaptureError
from assistant.capture.grim import GrimBackend
from assistant.capture.window import FocusedWindow, NoFocusedWindow, focused_window

TREE = {
    "type": "root",
    "nodes": [
        {
            "type": "output",
            "nodes": [
                {
                    "type": "workspace",
                    "nodes": [
                        {"type": "con", "name": "Terminal", "focused": False, "rect": {}},
                        {
                            "type": "con",
                            "name": "Notes — Editor",
                            "focused": True,
                            "rect": {"x": 10, "y": 40, "width": 300, "height": 200},
                            "deco_rect": {"x": 0, "y": 0, "width": 300, "height": 20},
                        },
                    ],
                    "floating_nodes": [],
                }
            ],
        }
    ],
}
OUTPUTS = [
    {"name": "HEADLESS-1", "active": True, "rect": {"x": 0, "y": 0, "width": 64, "height": 48}},
    {"name": "HEADLESS-2", "active": True, "rect": {"x": 64, "y": 0, "width": 32, "height": 48}},
]


@pytest.fixture
def sway_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[int, object]]:
    """A stand-in for sway's IPC socket; the test sets what each request type answers."""
    answers: dict[int, object] = {sway.GET_TREE: TREE, sway.GET_OUTPUTS: OUTPUTS}
    path = tmp_path / "sway-ipc.sock"

    def answer(connection: socket.socket) -> None:
        header = connection.recv(14)
        _length, kind = struct.unpack("<II", header[6:])
        payload = json.dumps(answers[kind]).encode()
        connection.sendall(sway.MAGIC + struct.pack("<II", len(payload), kind) + payload)

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("SWAYSOCK", str(path))
    with ipc_standin(path, answer, "fake-sway"):
        yield answers


def test_sway_names_the_focused_window_and_its_frame(sway_socket) -> None:
    assert focused_window() == FocusedWindow("Notes — Editor", (10, 20, 300, 220))


def test_sway_with_no_focused_window_says_so(sway_socket) -> None:
    sway_socket[sway.GET_TREE] = {"type": "root", "nodes": []}
    with pytest.raises(NoFocusedWindow, match="No window has the focus"):
        focused_window()


def test_a_dead_sway_socket_falls_back_to_the_wayland_sentence(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")  # no AT-SPI either
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("SWAYSOCK", str(tmp_path / "gone.sock"))
    with pytest.raises(NoFocusedWindow) as error:
        focused_window()
    # It said "this Wayland desktop" cannot show the focused window, which is untrue of sway.
    assert str(error.value) == (
        "sway did not answer on its socket, so the whole screen is described; if sway was restarted, "
        "start the assistant again from within it."
    )


@pytest.fixture
def fake_grim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`grim` on PATH: writes a 96x48 PNG (red, blue from x=64: OUTPUTS) or the part -g or -o asks for;
    logs its arguments."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "grim-args.json"
    script = folder / "grim"
    script.write_text(
        f"#!{sys.executable}\n"
        "import io, json, sys\n"
        "from PIL import Image\n"
        f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "image = Image.new('RGBA', (96, 48), (255, 0, 0, 255))\n"
        "image.paste((0, 0, 255, 255), (64, 0, 96, 48))\n"
        "if '-g' in sys.argv:\n"
        "    where, size = sys.argv[sys.argv.index('-g') + 1].split(' ')\n"
        "    x, y = map(int, where.split(',')); w, h = map(int, size.split('x'))\n"
        "    image = image.crop((x, y, x + w, y + h))\n"
        "if '-o' in sys.argv:\n"
        "    x = {'HEADLESS-1': 0, 'HEADLESS-2': 64}[sys.argv[sys.argv.index('-o') + 1]]\n"
        "    image = image.crop((x, 0, x + (64 if x == 0 else 32), 48))\n"
        "out = io.BytesIO(); image.save(out, 'PNG'); sys.stdout.buffer.write(out.getvalue())\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    return log


def test_grim_gives_the_monitor_under_the_pointer(sway_socket, fake_grim) -> None:
    image = GrimBackend().grab_screen(at=(70, 10))
    assert image.mode == "RGB" and image.size == (32, 48)
    assert image.getcolors() == [(32 * 48, (0, 0, 255))]
    assert json.loads(fake_grim.read_text().splitlines()[-1])[-3:] == ["-o", "HEADLESS-2", "-"]


def test_grim_gives_the_monitor_sway_focuses_over_the_apps_idea_of_the_pointer(
    sway_socket, fake_grim
) -> None:
    """On Wayland the app knows the pointer only over its own windows: sway's focused output wins."""
    sway_socket[sway.GET_OUTPUTS] = [{**OUTPUTS[0], "focused": True}, OUTPUTS[1]]
    image = GrimBackend().grab_screen(at=(70, 10))
    assert image.size == (64, 48) and image.getcolors() == [(64 * 48, (255, 0, 0))]
    assert json.loads(fake_grim.read_text().splitlines()[-1])[-3:] == ["-o", "HEADLESS-1", "-"]


def test_grim_takes_a_region_itself_cut_to_the_monitors(sway_socket, fake_grim) -> None:
    """grim -g takes the layout's logical pixels at the monitors' scale; the part outside them is cut off."""
    region = GrimBackend().grab_region((90, 40, 50, 50))
    assert region.size == (6, 8)
    assert json.loads(fake_grim.read_text().splitlines()[-1])[-3:] == ["-g", "90,40 6x8", "-"]
    with pytest.raises(CaptureError, match="outside the screen"):
        GrimBackend().grab_region((200, 0, 10, 10))


def test_grim_without_sway_cuts_the_region_from_the_whole_desktop(fake_grim, monkeypatch) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.delenv("SWAYSOCK", raising=False)
    region = GrimBackend().grab_region((60, 0, 10, 10))
    assert region.size == (10, 10) and region.getpixel((9, 0)) == (0, 0, 255)
    assert json.loads(fake_grim.read_text().splitlines()[-1]) == ["-t", "png", "-l", "0", "-"]


def test_grim_cuts_a_region_from_the_desktop(sway_socket, fake_grim) -> None:
    region = GrimBackend().grab_region((60, 0, 10, 10))
    assert region.size == (10, 10)
    assert region.getpixel((0, 0)) == (255, 0, 0) and region.getpixel((9, 9)) == (0, 0, 255)


def test_grim_failing_says_what_to_do(sway_socket, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "failing"
    folder.mkdir()
    script = folder / "grim"
    script.write_text("#!/bin/sh\necho 'compositor lacks wlr-screencopy-unstable-v1' >&2\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    with pytest.raises(CaptureError) as error:
        GrimBackend().grab_screen()
    assert "wlr-screencopy" in str(error.value) and "choose the portal in Settings" in str(error.value)
