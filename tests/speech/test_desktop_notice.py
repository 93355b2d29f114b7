"""Whether a tray icon's messages are read out by the desktop's screen reader: Qt shows them as desktop
notifications where a StatusNotifierItem host is registered (Ubuntu's GNOME, KDE, waybar), and Orca reads
GNOME Shell's out as they appear; the app's tray then does not announce them as well (heard twice)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from assistant.speech.desktop_notice import tray_messages_read_out
from tests.instance.test_trigger_notice import name_owned, notifications, wait_for  # noqa: F401 (a fixture)
from tests.wayland.portal_harness import call, mock_python

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="D-Bus")

WATCHER = "org.kde.StatusNotifierWatcher"


@pytest.fixture
def tray_host(quiet_desktop: str) -> Iterator[Callable[[bool], None]]:
    """A StatusNotifierWatcher (python-dbusmock) on the test's bus; `tray_host(registered)` sets whether
    it has a host."""
    python = mock_python()
    if python is None:
        pytest.skip("needs python3-dbusmock with python3-gi")
    command = [python, "-m", "dbusmock", "--session", WATCHER, "/StatusNotifierWatcher", WATCHER]
    mock = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def registered(value: bool) -> None:
        call(
            quiet_desktop,
            WATCHER,
            "/StatusNotifierWatcher",
            "org.freedesktop.DBus.Properties",
            "Set",
            "ssv",
            WATCHER,
            "IsStatusNotifierHostRegistered",
            ("b", value),
        )

    try:
        wait_for(lambda: mock.poll() is not None or name_owned(WATCHER), "the StatusNotifierWatcher")
        assert mock.poll() is None, "the StatusNotifierWatcher did not start"
        mocked = (
            "org.freedesktop.DBus.Mock",
            "AddProperty",
            "ssv",
            WATCHER,
            "IsStatusNotifierHostRegistered",
        )
        call(quiet_desktop, WATCHER, "/StatusNotifierWatcher", *mocked, ("b", False))
        yield registered
    finally:
        mock.terminate()
        mock.wait(10)


def served_by(address: str, name: str) -> None:
    code = f'ret = ("{name}", "vendor", "1.0", "1.2")'
    path = "/org/freedesktop/Notifications"
    args = ("", "GetServerInformation", "", "ssss", code)
    call(
        address,
        "org.freedesktop.Notifications",
        path,
        "org.freedesktop.DBus.Mock",
        "AddMethod",
        "sssss",
        *args,
    )


@pytest.mark.usefixtures("notifications")
def test_gnome_shells_notifications_under_a_status_notifier_tray_are_read_out(quiet_desktop, tray_host):
    tray_host(True)
    served_by(quiet_desktop, "GNOME Shell")
    assert tray_messages_read_out()
    served_by(quiet_desktop, "mako")  # waybar's tray with mako: its pop-ups are read by nobody
    assert not tray_messages_read_out()
    served_by(quiet_desktop, "GNOME Shell")
    tray_host(False)  # an XEmbed tray: Qt draws its balloons itself
    assert not tray_messages_read_out()


def test_without_a_status_notifier_tray_or_a_bus_nothing_is_read_out(quiet_desktop, monkeypatch):
    assert not tray_messages_read_out()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    assert not tray_messages_read_out()
