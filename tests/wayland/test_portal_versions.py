"""Screenshot portals of other versions than Debian's (2): version 1 takes no target, version 3 grabs the
active window alone where AvailableTargets offers it. The portal itself is a dbusmock stand-in here."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fixtures.desktops import NO_SYSTEM_BUS, start_session_bus, stop_process
from PIL import Image
from portal_harness import call, mock_python, wait_for_name

from assistant.capture.portal_screenshot import TARGET_ACTIVE_WINDOW, PortalScreenshotBackend

FRONTEND = Path(__file__).resolve().parent / "templates" / "screenshot_frontend.py"
Seen = Callable[[], list[dict[str, int]]]


@pytest.fixture
def portal_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Seen]]:
    """Starts a stand-in Screenshot portal of `version` (and `targets`); returns what it was asked."""
    python = mock_python()
    if python is None:
        pytest.skip("needs python3-dbusmock (dev.py's DEBIAN_TEST)")
    bus, address = start_session_bus()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", NO_SYSTEM_BUS)
    processes: list[subprocess.Popen[bytes]] = []

    def start(**parameters: object) -> Seen:
        picture = tmp_path / "shot.png"
        Image.new("RGB", (30, 20), (0, 128, 0)).save(picture)
        parameters["uri"] = picture.as_uri()
        command = [python, "-m", "dbusmock", "-t", str(FRONTEND), "-p", json.dumps(parameters)]
        mock = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(mock)
        wait_for_name(address, "org.freedesktop.portal.Desktop", mock)
        path, iface = "/org/freedesktop/portal/desktop", "org.freedesktop.DBus.Mock"
        return lambda: json.loads(call(address, "org.freedesktop.portal.Desktop", path, iface, "Seen")[0])

    yield start
    for process in processes:
        stop_process(process)  # type: ignore[arg-type]
    stop_process(bus)


def test_version_3_grabs_the_active_window_alone(portal_of) -> None:
    seen = portal_of(version=3, targets=1 | 2 | 4 | 8)
    picture = PortalScreenshotBackend().grab_active_window()
    assert picture is not None and picture.size == (30, 20)
    assert seen() == [{"interactive": 0, "target": TARGET_ACTIVE_WINDOW}]


def test_version_3_without_the_active_window_target_gives_none(portal_of) -> None:
    seen = portal_of(version=3, targets=1 | 4)
    assert PortalScreenshotBackend().grab_active_window() is None
    assert seen() == []


def test_version_1_takes_no_target(portal_of) -> None:
    seen = portal_of(version=1)
    backend = PortalScreenshotBackend()
    assert backend.grab_active_window() is None
    assert backend.grab_screen().size == (30, 20)
    assert seen() == [{"interactive": 0}]
