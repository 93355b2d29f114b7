"""The real xdg-desktop-portal on a private session bus, its desktop side mocked by python-dbusmock
(templates/portal_backend.py), as xdg-desktop-portal tests itself. Everything is local: a bus in the
test's own folder, no network."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fixtures.desktops import NO_SYSTEM_BUS, stop_process

HERE = Path(__file__).resolve().parent
BACKEND_TEMPLATE = HERE / "templates" / "portal_backend.py"
BACKEND_NAME = "org.freedesktop.impl.portal.AssistantTest"
CAST_TEMPLATE = HERE / "templates" / "screencast_backend.py"
CAST_NAME = "org.freedesktop.impl.portal.AssistantCast"
XDP = Path("/usr/libexec/xdg-desktop-portal")
PERMISSION_STORE = Path("/usr/share/dbus-1/services/org.freedesktop.impl.portal.PermissionStore.service")
START_SECONDS = 20.0  # a hang guard only

# The Settings tests here show widgets on Qt's offscreen platform: no display needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def mock_python() -> str | None:
    """A Python that can run dbusmock's server (it needs dbus-python and gi): this one, or Debian's."""
    if importlib.util.find_spec("dbusmock") and importlib.util.find_spec("gi"):
        return sys.executable
    system = "/usr/bin/python3"
    probe = subprocess.run([system, "-c", "import dbusmock, gi"], capture_output=True, check=False)
    return system if Path(system).exists() and probe.returncode == 0 else None


def call(
    address: str, bus_name: str, path: str, interface: str, method: str, signature: str = "", *args: Any
) -> Any:
    from jeepney import DBusAddress, MessageType, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(address) as connection:
        message = new_method_call(DBusAddress(path, bus_name, interface), method, signature, args)
        reply = connection.send_and_get_reply(message, timeout=5)
    assert reply.header.message_type == MessageType.method_return, reply.body
    return reply.body


def wait_for_name(address: str, name: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the process meant to own {name} ended"
        owned = call(
            address,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            "s",
            name,
        )
        if owned[0]:
            return
        time.sleep(0.05)
    pytest.fail(f"{name} did not appear on the test bus")


@dataclass
class PortalDesktop:
    address: str
    pictures: Path
    env: dict[str, str]
    """The desktop's environment (its runtime folder, where a PipeWire started for it listens)."""

    def mock(self, method: str, signature: str = "", *args: Any) -> Any:
        return call(
            self.address,
            BACKEND_NAME,
            "/org/freedesktop/portal/desktop",
            "org.freedesktop.DBus.Mock",
            method,
            signature,
            *args,
        )

    def answer(self, **answer: Any) -> None:
        """How the desktop side answers from now on: response, delay (ms), uri, never."""
        self.mock("SetAnswer", "s", json.dumps(answer))

    def seen(self) -> dict[str, Any]:
        return dict(json.loads(self.mock("Seen")[0]))

    def cast(self, method: str, signature: str = "", *args: Any) -> Any:
        """The ScreenCast side's mock: SetAnswer, Seen."""
        return call(
            self.address,
            CAST_NAME,
            "/org/freedesktop/portal/desktop",
            "org.freedesktop.DBus.Mock",
            method,
            signature,
            *args,
        )


def _bus_config(folder: Path) -> Path:
    services = folder / "services"
    services.mkdir()
    shutil.copy(PERMISSION_STORE, services)
    config = folder / "bus.conf"
    config.write_text(
        "<!DOCTYPE busconfig PUBLIC '-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN'"
        " 'http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd'>\n"
        f"<busconfig><type>session</type><listen>unix:path={folder / 'bus'}</listen>"
        f"<servicedir>{services}</servicedir><auth>EXTERNAL</auth>"
        "<policy context='default'><allow send_destination='*' eavesdrop='true'/>"
        "<allow eavesdrop='true'/><allow own='*'/></policy></busconfig>\n"
    )
    return config


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
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={_bus_config(folder)}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    processes: list[subprocess.Popen[bytes]] = [bus]
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
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
