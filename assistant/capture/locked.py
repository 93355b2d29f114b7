"""Whether the session is locked or its screen saver is on, so that nothing is captured then.

Linux asks over D-Bus (with jeepney, pure Python): the session's `org.freedesktop.ScreenSaver`
(GNOME's own name too), then logind's `LockedHint` for this session. Windows: the desktop taking
input is not "Default" (the lock screen and UAC prompts are "Winlogon"). macOS: the session's
`CGSSessionScreenIsLocked` flag. Every question has a deadline; a question no one answers counts as
"not locked", since most desktops without these services have no lock screen to hide.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from assistant.i18n import N_, _

# Said in the user's language where it is said: _(LOCKED_MESSAGE).
LOCKED_MESSAGE = N_("The screen is locked; nothing was captured.")
DEADLINE_SECONDS = 0.5

_SCREEN_SAVERS = (
    ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ("org.freedesktop.ScreenSaver", "/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
)


def screen_is_locked(deadline: float = DEADLINE_SECONDS) -> bool:
    """True when the session is locked or the screen saver covers the screen."""
    if sys.platform.startswith("linux") or sys.platform.startswith("freebsd"):
        check: Callable[[], bool] = _linux_locked
    elif sys.platform == "win32":
        check = _windows_locked
    elif sys.platform == "darwin":
        check = _mac_locked
    else:
        return False
    return _within(deadline, check)


def _within(deadline: float, check: Callable[[], bool]) -> bool:
    """`check()`, or False when it fails or has not answered by `deadline` seconds."""
    answer: list[bool] = []

    def ask() -> None:
        try:
            answer.append(bool(check()))
        except Exception:  # a desktop without the service, a bus that refuses: not known to be locked
            answer.append(False)

    worker = threading.Thread(target=ask, name="lock-check", daemon=True)
    worker.start()
    worker.join(deadline)
    return bool(answer and answer[0])


def _linux_locked() -> bool:
    return _screen_saver_active() or _logind_locked_hint()


def _screen_saver_active() -> bool:
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    try:
        connection = open_dbus_connection(bus="SESSION", auth_timeout=DEADLINE_SECONDS)
    except (KeyError, OSError, TimeoutError):  # no session bus
        return False
    with connection:
        for name, path, interface in _SCREEN_SAVERS:
            call = new_method_call(DBusAddress(path, bus_name=name, interface=interface), "GetActive")
            reply = connection.send_and_get_reply(call, timeout=DEADLINE_SECONDS)
            if reply.header.message_type.name == "method_return" and reply.body and reply.body[0]:
                return True
    return False


def _logind_locked_hint() -> bool:
    from jeepney import DBusAddress, Properties
    from jeepney.io.blocking import open_dbus_connection

    try:
        connection = open_dbus_connection(bus="SYSTEM", auth_timeout=DEADLINE_SECONDS)
    except (KeyError, OSError, TimeoutError):
        return False
    with connection:
        session = DBusAddress(
            "/org/freedesktop/login1/session/auto",
            bus_name="org.freedesktop.login1",
            interface="org.freedesktop.login1.Session",
        )
        reply = connection.send_and_get_reply(Properties(session).get("LockedHint"), timeout=DEADLINE_SECONDS)
        if reply.header.message_type.name != "method_return":
            return False
        _signature, value = reply.body[0]
        return bool(value)


def input_desktop_is_locked(desktop_name: str | None) -> bool:
    """Windows: locked unless the desktop taking input could be opened and is the user's "Default"."""
    return (desktop_name or "").lower() != "default"


def _windows_locked() -> bool:
    if sys.platform != "win32":  # called on Windows only; this tells mypy that ctypes.WinDLL is there
        raise OSError(_("This works only on Windows."))
    import ctypes
    from ctypes import wintypes

    user32 = ctypes.WinDLL("user32", use_last_error=True)
    user32.OpenInputDesktop.restype = wintypes.HANDLE
    desktop = user32.OpenInputDesktop(0, False, 0x0001)  # DESKTOP_READOBJECTS
    if not desktop:  # the secure desktop cannot be opened from a user's process
        return input_desktop_is_locked(None)
    try:
        name = ctypes.create_unicode_buffer(256)
        needed = wintypes.DWORD()
        ok = user32.GetUserObjectInformationW(desktop, 2, name, ctypes.sizeof(name), ctypes.byref(needed))
        return input_desktop_is_locked(name.value if ok else None)
    finally:
        user32.CloseDesktop(desktop)


def session_dictionary_is_locked(session: Mapping[str, Any] | None) -> bool:
    """macOS: the flag CGSessionCopyCurrentDictionary holds while the screen is locked."""
    return bool(session and session.get("CGSSessionScreenIsLocked"))


def _mac_locked() -> bool:
    import Quartz  # pyobjc-framework-Quartz, a dependency on macOS

    return session_dictionary_is_locked(Quartz.CGSessionCopyCurrentDictionary())
