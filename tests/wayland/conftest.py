"""The real xdg-desktop-portal on a private session bus, its desktop side mocked by python-dbusmock
(templates/portal_backend.py, templates/screencast_backend.py), as xdg-desktop-portal tests itself.
Everything is local: a bus in the test's own folder, no network."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.desktops import NO_SYSTEM_BUS, start_session_bus, stop_process
from portal_harness import (
    BACKEND_NAME,
    BACKEND_TEMPLATE,
    CAST_NAME,
    CAST_TEMPLATE,
    PERMISSION_STORE,
    XDP,
    PortalDesktop,
    bus_config,
    mock_python,
    wait_for_name,
)
from wayland_env import WAYLAND

# The Settings tests here show widgets on Qt's offscreen platform: no display needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def wayland(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a Wayland session on an unknown desktop."""
    for name, value in WAYLAND.items():
        monkeypatch.setenv(name, value)
    for name in ("SWAYSOCK", "HYPRLAND_INSTANCE_SIGNATURE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def portal_desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PortalDesktop]:
    """xdg-desktop-portal 1.16 (Debian 12) on a private bus, in this process's environment, backed by the mock."""
    python = mock_python()
    if (
        not XDP.exists()
        or not PERMISSION_STORE.exists()
        or python is None
        or shutil.which("dbus-daemon") is None
    ):
        pytest.skip("needs xdg-desktop-portal, dbus and python3-dbusmock (dev.py's DEBIAN_TEST)")
    folder = tmp_path / "desktop"
    folder.mkdir()
    portals = folder / "portals"
    portals.mkdir()
    (portals / "assistant-test.portal").write_text(
        f"[portal]\nDBusName={BACKEND_NAME}\n"
        "Interfaces=org.freedesktop.impl.portal.Screenshot;org.freedesktop.impl.portal.Access;"
        "org.freedesktop.impl.portal.GlobalShortcuts;\n"
        "UseIn=assistant-test\n"
    )
    (portals / "assistant-cast.portal").write_text(
        f"[portal]\nDBusName={CAST_NAME}\nInterfaces=org.freedesktop.impl.portal.ScreenCast;\nUseIn=assistant-test\n"
    )
    pictures = tmp_path / "Pictures"
    pictures.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(folder),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CURRENT_DESKTOP": "assistant-test",
        "XDG_DESKTOP_PORTAL_DIR": str(portals),
        "DBUS_SYSTEM_BUS_ADDRESS": NO_SYSTEM_BUS,
    }
    bus, address = start_session_bus(env, bus_config(folder))
    processes: list[subprocess.Popen[Any]] = [bus]
    try:
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        log = (tmp_path / "portal.log").open("wb")
        backend = subprocess.Popen(
            [python, "-m", "dbusmock", "-t", str(BACKEND_TEMPLATE)], env=env, stdout=log, stderr=log
        )
        processes.append(backend)
        wait_for_name(address, BACKEND_NAME, backend)
        cast = subprocess.Popen(
            [python, "-m", "dbusmock", "-t", str(CAST_TEMPLATE)], env=env, stdout=log, stderr=log
        )
        processes.append(cast)
        wait_for_name(address, CAST_NAME, cast)
        portal = subprocess.Popen([str(XDP), "--replace"], env=env, stdout=log, stderr=log)
        processes.append(portal)
        wait_for_name(address, "org.freedesktop.portal.Desktop", portal)
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", NO_SYSTEM_BUS)
        yield PortalDesktop(address, pictures, env)
    finally:
        for process in reversed(processes):
            stop_process(process)  # type: ignore[arg-type]
