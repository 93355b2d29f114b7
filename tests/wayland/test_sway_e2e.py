"""End to end on a real headless Wayland compositor: Debian 12's sway 1.7 (pixman renderer, no XWayland,
as an unprivileged user) with a native Wayland window of a few lines of text (foot).

The focused window is found through sway's IPC and named by its title; it is captured by grim, and by
the real xdg-desktop-portal through xdg-desktop-portal-wlr (with PipeWire up, as xdpw needs); the text
read from each picture holds at least 90 % of the window's words."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.desktops import NO_SYSTEM_BUS, start_session_bus, stop_process
from portal_harness import (
    BACKEND_NAME,
    BACKEND_TEMPLATE,
    PERMISSION_STORE,
    XDP,
    bus_config,
    mock_python,
    wait_for_name,
)
from sway_harness import TextWindow, running_sway

from assistant.capture import grab_focused_window
from assistant.capture.backends import choose_backend
from assistant.capture.blank import blank_colour
from assistant.capture.portal_screenshot import PortalScreenshotBackend
from assistant.ocr import read_text

LINES = ["Revenue grew by twelve percent", "The meeting moves to Thursday", "Please review the budget draft"]
TITLE = "Quarterly notes"
XDPW = Path("/usr/libexec/xdg-desktop-portal-wlr")
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def share_of_words(text: str, lines: list[str] = LINES) -> float:
    """The share of the words of `lines` found in `text` (OCR's, or what the app said)."""
    wanted = [word.lower() for line in lines for word in line.split()]
    seen = {word.lower().strip(".,") for word in text.split()}
    return sum(word in seen for word in wanted) / len(wanted)


@pytest.fixture(scope="module")
def sway() -> Iterator[dict[str, str]]:
    """Headless sway with foot showing LINES, focused; the environment a client of it needs."""
    with running_sway(["resolution 800x600"], [TextWindow(TITLE, LINES)], focus=TITLE) as client:
        yield client


@pytest.fixture
def on_sway(sway: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in sway.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DISPLAY", raising=False)
    return sway


def app_on_sway(
    on_sway: dict[str, str], model: Path, tmp_path: Path, qt_platform: str
) -> tuple[subprocess.Popen[bytes], dict[str, str], Path, Path, list[str]]:
    """What the real app needs to run on sway with the tiny model, recording what it says: its own
    session bus (returned, to be stopped), its environment, its speech folder and log, its command."""
    bus, address = start_session_bus()
    speech, log = tmp_path / "speech", tmp_path / "app.log"
    (tmp_path / "settings.toml").write_text("rate = 300\n")
    env = {
        **os.environ,
        **on_sway,
        "DBUS_SESSION_BUS_ADDRESS": address,
        "DBUS_SYSTEM_BUS_ADDRESS": NO_SYSTEM_BUS,
        "QT_QPA_PLATFORM": qt_platform,
        "ASSISTANT_RUNTIME_DIR": str(tmp_path / "run"),
        "ASSISTANT_CONFIG_DIR": str(tmp_path / "config"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DISPLAY", None)
    command = [sys.executable, "-m", "assistant", "run", "--model", str(model), "--device", "cpu",
               "--precision", "fp32", "--speech-to", str(speech), "--settings", str(tmp_path / "settings.toml")]  # fmt: skip
    return bus, env, speech, log, command


def test_grim_and_sways_ipc_read_the_focused_window(on_sway) -> None:
    backend, _notes = choose_backend(preferred="auto")
    assert backend.name == "grim"
    window, picture = grab_focused_window()
    assert window.spoken_title == f"Window: {TITLE}."
    assert picture.size == window.geometry[2:] and blank_colour(picture) is None
    assert share_of_words(read_text(picture).text) >= 0.9


@pytest.fixture
def wlr_portal(on_sway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real xdg-desktop-portal with xdg-desktop-portal-wlr for Screenshot (grim behind it) and PipeWire,
    on a private bus; the desktop's Access question (xdpw has none) answered Allow by the dbusmock desktop."""
    python = mock_python()
    if not (
        XDP.exists() and XDPW.exists() and shutil.which("pipewire") and PERMISSION_STORE.exists() and python
    ):
        pytest.skip("needs xdg-desktop-portal, xdg-desktop-portal-wlr, pipewire and python3-dbusmock")
    portals = tmp_path / "portals"
    portals.mkdir()
    shutil.copy("/usr/share/xdg-desktop-portal/portals/wlr.portal", portals)
    (portals / "access.portal").write_text(
        f"[portal]\nDBusName={BACKEND_NAME}\nInterfaces=org.freedesktop.impl.portal.Access;\nUseIn=sway\n"
    )
    env = {
        **on_sway,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_DESKTOP_PORTAL_DIR": str(portals),
        "DBUS_SYSTEM_BUS_ADDRESS": NO_SYSTEM_BUS,
    }
    bus_folder = tmp_path / "bus"
    bus_folder.mkdir()
    bus, address = start_session_bus(env, bus_config(bus_folder))
    processes: list[subprocess.Popen[Any]] = [bus]
    log = (tmp_path / "portal.log").open("wb")
    try:
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        for command, name in (
            ([python, "-m", "dbusmock", "-t", str(BACKEND_TEMPLATE)], BACKEND_NAME),
            (["pipewire"], None),
            ([str(XDPW)], "org.freedesktop.impl.portal.desktop.wlr"),
            ([str(XDP), "--replace"], "org.freedesktop.portal.Desktop"),
        ):
            process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
            processes.append(process)
            if name is not None:
                wait_for_name(address, name, process)
            else:
                time.sleep(0.5)  # PipeWire's socket; xdpw connects at its start
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        monkeypatch.setenv("HOME", str(tmp_path))
        yield address
    finally:
        for process in reversed(processes):
            stop_process(process)  # type: ignore[arg-type]


def test_the_screenshot_portal_captures_through_xdpw(wlr_portal, tmp_path: Path) -> None:
    picture = PortalScreenshotBackend().grab_screen()
    assert picture.size == (800, 600) and blank_colour(picture) is None
    assert share_of_words(read_text(picture).text) >= 0.9
    leftovers = [path for path in tmp_path.rglob("*.png")]
    assert leftovers == []  # the portal's file was read into memory and deleted


def spoken(speech: Path) -> list[str]:
    """What the app said, in order (each utterance's .txt is written when it has been said)."""
    return [path.read_text(encoding="utf-8").strip() for path in sorted(speech.glob("[0-9]*.txt"))]


def wait_said(speech: Path, count: int, app: subprocess.Popen[bytes], log: Path) -> list[str]:
    deadline = time.monotonic() + 60  # a hang guard: the app loads the tiny model first
    while len(said := spoken(speech)) < count:
        assert app.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"the app said only {said}"
        time.sleep(0.1)
    return said


def test_the_app_describes_the_screen_and_reads_the_focused_window_on_sway(
    on_sway, tiny_model_dir, tmp_path: Path
) -> None:
    """`assistant trigger describe-screen` and `read-text` with the real app (Qt offscreen: the app's own
    windows do not matter here) on sway: at least 90 % of the window's words said, the window named."""
    bus, env, speech, log, command = app_on_sway(on_sway, tiny_model_dir, tmp_path, "offscreen")
    app = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        said = wait_said(speech, 2, app, log)
        assert said[-1] == "Ready."
        assert "“assistant trigger describe-screen”" in said[0]  # no GlobalShortcuts portal on this bus

        def trigger(action: str) -> None:
            done = subprocess.run(
                [sys.executable, "-m", "assistant", "trigger", action], env=env, cwd=ROOT, check=False
            )
            assert done.returncode == 0

        trigger("read-text")
        said = wait_said(speech, 4, app, log)
        assert said[2] == f"Window: {TITLE}."
        assert said[3].startswith("Text on it:") and share_of_words(said[3]) >= 0.9
        trigger("describe-screen")
        said = wait_said(speech, 6, app, log)
        assert said[5].startswith("Text on it:") and share_of_words(said[5]) >= 0.9
    finally:
        stop_process(app)  # type: ignore[arg-type]
        stop_process(bus)
