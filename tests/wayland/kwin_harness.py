"""A real KWin (Debian 12's kwin_wayland 5.27) running headless on its virtual backend, with its own
runtime folder and its own session bus, and native Wayland windows (GTK, through zenity) on it.

Debian ships kwin_wayland with the file capability cap_sys_resource (to raise its own limits). Where
the tests run in a container whose bounding set lacks it, the kernel refuses to run the file at all
("Operation not permitted"); a copy of it, which carries no capability, runs the same."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fixtures.desktops import NO_SYSTEM_BUS, start_session_bus, stop_process
from portal_harness import XDP, wait_for_name

from assistant.capture import kwin

KWIN_WAYLAND = "/usr/bin/kwin_wayland"
XDP_KDE = Path("/usr/lib/x86_64-linux-gnu/libexec/xdg-desktop-portal-kde")
SIZE = (800, 600)
SOCKET = "wayland-kwin"
HANG_GUARD = 30.0


@dataclass
class KWinDesktop:
    folder: Path
    env: dict[str, str]
    """What a client of this KWin needs: its Wayland socket, runtime folder and session bus."""
    windows: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def address(self) -> str:
        return self.env["DBUS_SESSION_BUS_ADDRESS"]

    def open_window(self, title: str, text: str) -> subprocess.Popen[bytes]:
        """A native Wayland GTK window showing `text`; returns once KWin says it has the focus."""
        log = (self.folder / "windows.log").open("ab")
        window = subprocess.Popen(
            ["zenity", "--info", "--title", title, "--text", text, "--no-wrap"],
            env={**self.env, "GDK_BACKEND": "wayland"},
            stdout=log,
            stderr=log,
        )
        self.windows.append(window)
        self.wait_focused(title, window)
        return window

    def wait_focused(self, title: str | None, window: subprocess.Popen[bytes] | None = None) -> None:
        """Until KWin's active window has `title` (None: until no window has the focus)."""
        deadline = time.monotonic() + HANG_GUARD
        found: Any = "nothing yet"
        while time.monotonic() < deadline:
            assert window is None or window.poll() is None, (self.folder / "windows.log").read_text()[-2000:]
            try:
                found = kwin.focused(self.address)
            except kwin.KWinError as error:
                found = error
            if (found is None and title is None) or (found is not None and found[0] == title):
                time.sleep(0.3)  # mapped and focused; let the client draw its text
                return
            time.sleep(0.1)
        pytest.fail(f"KWin's focused window never became {title!r} (last: {found!r})")


@pytest.fixture
def kwin_desktop(tmp_path: Path) -> Iterator[KWinDesktop]:
    """kwin_wayland --virtual, 800x600, no lock screen, no XWayland, on a private session bus."""
    if not all(shutil.which(name) for name in (KWIN_WAYLAND, "zenity", "dbus-daemon")):
        pytest.skip("needs kwin-wayland, zenity and dbus (dev.py's DEBIAN_TEST)")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    compositor = tmp_path / "kwin_wayland"
    shutil.copyfile(KWIN_WAYLAND, compositor)  # see the module's note: no file capabilities
    compositor.chmod(0o755)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_SESSION_TYPE": "wayland",
        "XDG_CURRENT_DESKTOP": "KDE",
        "DBUS_SYSTEM_BUS_ADDRESS": NO_SYSTEM_BUS,
    }
    bus, address = start_session_bus(env)
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    log = (tmp_path / "kwin.log").open("wb")
    process = subprocess.Popen(
        [
            str(compositor),
            "--virtual",
            "--no-lockscreen",
            "--no-global-shortcuts",
            "--no-kactivities",
            "--socket",
            SOCKET,
            "--width",
            str(SIZE[0]),
            "--height",
            str(SIZE[1]),
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    desktop = KWinDesktop(tmp_path, {**env, "WAYLAND_DISPLAY": SOCKET})
    try:
        wait_for_name(address, "org.kde.KWin", process)  # type: ignore[arg-type]
        yield desktop
    finally:
        for window in desktop.windows:
            stop_process(window)  # type: ignore[arg-type]
        stop_process(process)  # type: ignore[arg-type]
        stop_process(bus)


@pytest.fixture
def kde_portal(kwin_desktop: KWinDesktop) -> Iterator[KWinDesktop]:
    """The real xdg-desktop-portal with KDE's backend (xdg-desktop-portal-kde 5.27) on that KWin."""
    if not XDP.exists() or not XDP_KDE.exists():
        pytest.skip("needs xdg-desktop-portal and xdg-desktop-portal-kde (dev.py's DEBIAN_TEST)")
    # KDE's portal saves each screenshot in the user's Pictures folder; it fails where there is none.
    (kwin_desktop.folder / "Pictures").mkdir()
    log = (kwin_desktop.folder / "portal.log").open("wb")
    # Qt's Wayland platform (qtwayland5): the portal's dialogs are windows of this KWin.
    backend = subprocess.Popen(
        [str(XDP_KDE)], env={**kwin_desktop.env, "QT_QPA_PLATFORM": "wayland"}, stdout=log, stderr=log
    )
    processes = [backend]
    try:
        wait_for_name(kwin_desktop.address, "org.freedesktop.impl.portal.desktop.kde", backend)
        portal = subprocess.Popen([str(XDP), "--replace"], env=kwin_desktop.env, stdout=log, stderr=log)
        processes.append(portal)
        wait_for_name(kwin_desktop.address, "org.freedesktop.portal.Desktop", portal)
        yield kwin_desktop
    finally:
        for process in reversed(processes):
            stop_process(process)  # type: ignore[arg-type]


@pytest.fixture
def on_kwin(kwin_desktop: KWinDesktop, monkeypatch: pytest.MonkeyPatch) -> KWinDesktop:
    """This process as an app of that KWin session (no X display)."""
    for name, value in kwin_desktop.env.items():
        if name != "PATH":
            monkeypatch.setenv(name, value)
    for name in ("DISPLAY", "SWAYSOCK", "HYPRLAND_INSTANCE_SIGNATURE"):
        monkeypatch.delenv(name, raising=False)
    return kwin_desktop
