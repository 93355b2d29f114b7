"""A real KWin (Debian 12's kwin_wayland 5.27) running headless on its virtual backend, with its own
runtime folder and its own session bus, and native Wayland windows (GTK, through zenity) on it.

Debian ships kwin_wayland with the file capability cap_sys_resource (to raise its own limits). Where
the tests run in a container whose bounding set lacks it, the kernel refuses to run the file at all
("Operation not permitted"); a copy of it, which carries no capability, runs the same."""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fixtures.desktops import NO_SYSTEM_BUS, start_session_bus, stop_process, unmount_left_behind
from portal_harness import XDP, call, wait_for_name

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
            if isinstance(found, kwin.KWinError):  # KWin still starting: asked again
                pass
            elif (found is None and title is None) or (found is not None and found[0] == title):
                time.sleep(0.3)  # mapped and focused; let the client draw its text
                return
            time.sleep(0.1)
        pytest.fail(f"KWin's focused window never became {title!r} (last: {found!r})")


@pytest.fixture
def kwin_desktop(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[KWinDesktop]:
    """kwin_wayland --virtual, 800x600, no lock screen, no XWayland, on a private session bus. Indirect
    parameters: {"scale": 2} for a scale of 2, {"outputs": 2} for two monitors side by side."""
    options = getattr(request, "param", {})
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
            "--scale",
            str(options.get("scale", 1)),
            "--output-count",
            str(options.get("outputs", 1)),
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    desktop = KWinDesktop(tmp_path, {**env, "WAYLAND_DISPLAY": SOCKET})
    try:
        wait_for_name(address, "org.kde.KWin", process)  # type: ignore[arg-type]
        _wait_for_scripting(desktop, process)
        yield desktop
    finally:
        for window in desktop.windows:
            stop_process(window)  # type: ignore[arg-type]
        stop_process(process)  # type: ignore[arg-type]
        stop_process(bus)
        unmount_left_behind(tmp_path)


def _wait_for_scripting(desktop: KWinDesktop, process: subprocess.Popen[bytes]) -> None:
    """Until KWin runs scripts: it takes its bus name before it exports /Scripting."""
    deadline = time.monotonic() + HANG_GUARD
    while True:
        try:
            kwin.focused(desktop.address)
            return
        except kwin.KWinError:
            assert process.poll() is None, (desktop.folder / "kwin.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "KWin never ran a script"
            time.sleep(0.05)


@contextlib.contextmanager
def running(desktop: KWinDesktop, *commands: tuple[list[str], str | None]) -> Iterator[None]:
    """Each command started in turn in the desktop's environment, each awaited by the D-Bus name given
    (None: by its socket in the runtime folder, see `start`), all stopped after, last first."""
    processes: list[subprocess.Popen[bytes]] = []
    log = (desktop.folder / "services.log").open("ab")
    try:
        for command, name in commands:
            env = {**desktop.env, "QT_QPA_PLATFORM": "wayland"}  # Qt's Wayland platform: qtwayland5
            process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
            processes.append(process)
            if name is not None:
                wait_for_name(desktop.address, name, process)
            else:
                _wait_for_pipewire(desktop, process)
        yield
    finally:
        for process in reversed(processes):
            stop_process(process)  # type: ignore[arg-type]


def _wait_for_pipewire(desktop: KWinDesktop, process: subprocess.Popen[bytes]) -> None:
    socket = Path(desktop.env["XDG_RUNTIME_DIR"]) / "pipewire-0"
    deadline = time.monotonic() + HANG_GUARD
    while not socket.exists():
        assert process.poll() is None and time.monotonic() < deadline, "PipeWire did not start"
        time.sleep(0.05)


def _portal_commands(desktop: KWinDesktop) -> list[tuple[list[str], str | None]]:
    if not XDP.exists() or not XDP_KDE.exists():
        pytest.skip("needs xdg-desktop-portal and xdg-desktop-portal-kde (dev.py's DEBIAN_TEST)")
    # KDE's portal saves each screenshot in the user's Pictures folder; it fails where there is none.
    (desktop.folder / "Pictures").mkdir(exist_ok=True)
    return [
        ([str(XDP_KDE)], "org.freedesktop.impl.portal.desktop.kde"),
        ([str(XDP), "--replace"], "org.freedesktop.portal.Desktop"),
    ]


@pytest.fixture
def kde_portal(kwin_desktop: KWinDesktop) -> Iterator[KWinDesktop]:
    """The real xdg-desktop-portal with KDE's backend (xdg-desktop-portal-kde 5.27) on that KWin."""
    with running(kwin_desktop, *_portal_commands(kwin_desktop)):
        yield kwin_desktop


@pytest.fixture
def kde_screencast(kwin_desktop: KWinDesktop) -> Iterator[KWinDesktop]:
    """As `kde_portal`, with PipeWire and its session manager (which links a stream to its reader)
    running first: KWin streams into PipeWire, and the portal hands out PipeWire connections."""
    if not (shutil.which("pipewire") and shutil.which("wireplumber") and shutil.which("gst-launch-1.0")):
        pytest.skip("needs pipewire, wireplumber and gstreamer1.0-pipewire (dev.py's DEBIAN_TEST)")
    pipewire: list[tuple[list[str], str | None]] = [(["pipewire"], None), (["wireplumber"], None)]
    with running(kwin_desktop, *pipewire, *_portal_commands(kwin_desktop)):
        yield kwin_desktop


def active_window_id(desktop: KWinDesktop) -> str:
    """KWin's id of the active window ("{uuid}"), which KDE's portal keeps to share that window again;
    a KWin script prints it to KWin's log."""
    script = desktop.folder / "window-id.js"
    script.write_text('print("assistant-window-id " + workspace.activeClient.internalId);\n')
    scripting = (desktop.address, kwin.KWIN, kwin.SCRIPTING_PATH, kwin.SCRIPTING)
    (number,) = call(*scripting, "loadScript", "ss", str(script), "assistant_window_id")
    try:
        call(desktop.address, kwin.KWIN, f"/{number}", kwin.SCRIPT, "run")
        deadline = time.monotonic() + HANG_GUARD
        while time.monotonic() < deadline:
            for line in (desktop.folder / "kwin.log").read_text(errors="replace").splitlines():
                if "assistant-window-id " in line:
                    return line.split("assistant-window-id ", 1)[1].strip()
            time.sleep(0.05)
        pytest.fail("KWin's script printed no window id")
    finally:
        call(*scripting, "unloadScript", "s", "assistant_window_id")


def _qstring(text: str) -> bytes:
    data = text.encode("utf-16-be")
    return struct.pack(">I", len(data)) + data


def kde_restore_data(windows: list[str]) -> tuple[str, Any]:
    """What xdg-desktop-portal-kde 5.27 answers Start with, for the xdg-desktop-portal to keep under a
    restore token, once the user has chosen to share `windows` and allowed restoring: ("KDE", 1, its
    choice as a QVariantMap written by QDataStream). Outputs are left empty: see test_kwin_screencast."""
    q_variant_list, q_string_list = 9, 11  # QMetaType ids
    entries = {
        "outputs": struct.pack(">IBI", q_variant_list, 0, 0),
        "windows": struct.pack(">IBI", q_string_list, 0, len(windows)) + b"".join(map(_qstring, windows)),
    }
    payload = struct.pack(">I", len(entries))
    for key in sorted(entries, reverse=True):  # QMap is written from its last key
        payload += _qstring(key) + entries[key]
    return "(suv)", ("KDE", 1, ("ay", payload))


def agreed_before(desktop: KWinDesktop, windows: list[str]) -> str:
    """A restore token as xdg-desktop-portal 1.16 keeps one after the user agreed to share `windows`
    (its permission store's "screencast" table, for host apps); the token."""
    token = str(uuid.uuid4())
    store = "org.freedesktop.impl.portal.PermissionStore"
    call(
        desktop.address,
        store,
        "/org/freedesktop/impl/portal/PermissionStore",
        store,
        "Set",
        "sbsa{sas}v",
        "screencast",
        True,
        token,
        {"": ["yes"]},
        kde_restore_data(windows),
    )
    return token


@pytest.fixture
def on_kwin(kwin_desktop: KWinDesktop, monkeypatch: pytest.MonkeyPatch) -> KWinDesktop:
    """This process as an app of that KWin session (no X display)."""
    for name, value in kwin_desktop.env.items():
        if name != "PATH":
            monkeypatch.setenv(name, value)
    for name in ("DISPLAY", "SWAYSOCK", "HYPRLAND_INSTANCE_SIGNATURE"):
        monkeypatch.delenv(name, raising=False)
    return kwin_desktop
