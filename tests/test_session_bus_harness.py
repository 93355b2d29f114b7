"""The tests' private session bus: what it starts on demand ends with it. A portal backend (Qt's
xdg-desktop-portal-kde) does not quit when its bus goes, and each test that let its bus start one left
it running for the rest of the suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.desktops import start_session_bus, stop_process

NAME = "org.example.Stubborn"
# Writes its pid, owns NAME, then ignores its bus going away (as a Qt program does by default). The pid
# is written (whole, by a rename) before the name is taken: the bus answers StartServiceByName as soon as
# the name is owned, so a pid written after it could still be missing when the caller looks.
SERVICE = f"""
import os, signal, sys, time
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
signal.signal(signal.SIGTERM, signal.SIG_IGN)
with open(sys.argv[1] + ".part", "w") as pid_file:
    pid_file.write(str(os.getpid()))
os.replace(sys.argv[1] + ".part", sys.argv[1])
connection = open_dbus_connection(bus="SESSION")
connection.send_and_get_reply(message_bus.RequestName("{NAME}"))
time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_service_the_bus_started_ends_with_the_bus(tmp_path: Path) -> None:
    if shutil.which("gdbus") is None:
        pytest.skip("needs gdbus (apt-get install libglib2.0-bin)")
    services = tmp_path / "services"
    services.mkdir()
    script, pid_file = tmp_path / "stubborn.py", tmp_path / "pid"
    script.write_text(SERVICE, encoding="utf-8")
    (services / f"{NAME}.service").write_text(
        f"[D-BUS Service]\nName={NAME}\nExec={sys.executable} {script} {pid_file}\n", encoding="utf-8"
    )
    config = tmp_path / "bus.conf"
    config.write_text(
        "<busconfig><type>session</type>"
        f"<listen>unix:path={tmp_path / 'bus'}</listen><servicedir>{services}</servicedir>"
        "<auth>EXTERNAL</auth><policy context='default'><allow send_destination='*'/><allow receive_sender='*'/>"
        "<allow own='*'/></policy></busconfig>\n",
        encoding="utf-8",
    )
    bus, address = start_session_bus(dict(os.environ), config)
    try:
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address}
        started = subprocess.run(
            ["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path",
             "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.StartServiceByName", NAME, "0"],
            env=env, capture_output=True, timeout=30, text=True,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        pid = int(pid_file.read_text())
    finally:
        stop_process(bus)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not alive(pid), "the service the bus started outlived it"
    finally:
        if alive(pid):
            os.kill(pid, 9)
