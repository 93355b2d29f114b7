"""A locked session is told apart: a test screen saver on a private session bus, and each platform's rule."""

import shutil
import sys

import pytest

from assistant.capture.locked import (
    input_desktop_is_locked,
    screen_is_locked,
    session_dictionary_is_locked,
)

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("dbus-daemon") is None,
    reason="needs Linux and dbus-daemon",
)


@linux_only
@pytest.mark.parametrize("active", [True, False])
def test_the_screen_saver_decides(session_bus, screen_saver, active: bool) -> None:
    screen_saver(active)
    assert screen_is_locked(deadline=5) is active


@linux_only
def test_no_screen_saver_on_the_bus_is_not_locked(session_bus) -> None:
    assert screen_is_locked(deadline=5) is False


def test_no_bus_at_all_is_not_locked(monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/session_bus_socket")
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/system_bus_socket")
    assert screen_is_locked() is False


def test_windows_input_desktop_rule() -> None:
    assert input_desktop_is_locked("Default") is False
    assert input_desktop_is_locked("Winlogon") is True
    assert input_desktop_is_locked(None) is True  # the secure desktop cannot even be opened


def test_macos_session_flag_rule() -> None:
    assert session_dictionary_is_locked({"CGSSessionScreenIsLocked": True, "kCGSSessionOnConsoleKey": True})
    assert not session_dictionary_is_locked({"kCGSSessionOnConsoleKey": True})
    assert not session_dictionary_is_locked(None)
