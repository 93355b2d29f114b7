"""What the Wayland tests share: the dbusmock templates and how to run them, D-Bus calls to the mocks,
and a private bus's configuration. (A module of its own: `from conftest import` would find whichever
conftest came first in a run over several folders.)"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
BACKEND_TEMPLATE = HERE / "templates" / "portal_backend.py"
BACKEND_NAME = "org.freedesktop.impl.portal.AssistantTest"
CAST_TEMPLATE = HERE / "templates" / "screencast_backend.py"
CAST_NAME = "org.freedesktop.impl.portal.AssistantCast"
XDP = Path("/usr/libexec/xdg-desktop-portal")
PERMISSION_STORE = Path("/usr/share/dbus-1/services/org.freedesktop.impl.portal.PermissionStore.service")
START_SECONDS = 20.0  # a hang guard only


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


def bus_config(folder: Path) -> Path:
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
