"""The active window's title from the accessibility bus (AT-SPI), for Wayland desktops that tell no
program which window has the focus (GNOME, KDE): Orca finds it the same way.

The session bus's `org.a11y.Bus` gives the accessibility bus's address; its registry lists each
application that speaks AT-SPI (GTK, Qt, Firefox, LibreOffice...), and each application's top-level
windows. The one whose state holds ACTIVE is the window with the focus; its accessible name is its
title. Applications that do not speak AT-SPI (foot, many games) are not seen.

Only the title: on Wayland the windows' extents are not global (each window is at 0, 0 of its own), so
where the window lies is not known from here.
"""

from __future__ import annotations

import time
from typing import Any

REGISTRY = ("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root")
ACCESSIBLE = "org.a11y.atspi.Accessible"
STATE_ACTIVE = 1
"""ATSPI_STATE_ACTIVE: the bit in the first word of GetState's answer."""
DEADLINE_SECONDS = 1.0
"""For the whole search: an application that hangs must not hold the capture up."""
CALL_SECONDS = 0.3
"""For one application's answer: one that does not answer in time is passed over."""


class AtspiError(Exception):
    """The accessibility bus could not be reached, or did not answer in time."""


def active_window_title(deadline: float = DEADLINE_SECONDS) -> str | None:
    """The title of the top-level window whose state is ACTIVE; None where no application says one is.

    Raises AtspiError where there is no accessibility bus to ask."""
    from jeepney.io.blocking import open_dbus_connection

    end = time.monotonic() + deadline
    address = _bus_address(deadline)
    try:
        connection = open_dbus_connection(address, auth_timeout=deadline)
    except (OSError, ValueError, StopIteration, TimeoutError) as error:
        raise AtspiError(f"the accessibility bus cannot be reached ({error})") from error
    with connection:
        for application in _children(connection, REGISTRY, end):
            for window in _children(connection, application, end):
                if _active(connection, window, end):
                    name = _call(
                        connection,
                        window,
                        "org.freedesktop.DBus.Properties",
                        "Get",
                        end,
                        ("ss", (ACCESSIBLE, "Name")),
                    )
                    return str(name[1]) if name is not None else ""
    return None


def _bus_address(deadline: float) -> str:
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    try:
        with open_dbus_connection(bus="SESSION", auth_timeout=deadline) as session:
            bus = DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Bus")
            reply = session.send_and_get_reply(new_method_call(bus, "GetAddress"), timeout=deadline)
    except (OSError, ValueError, KeyError, StopIteration, TimeoutError) as error:
        raise AtspiError(f"no session bus ({error})") from error
    if reply.header.message_type.name != "method_return" or not reply.body or not reply.body[0]:
        raise AtspiError("no accessibility bus on the session bus")
    return str(reply.body[0])


def _children(connection: Any, node: tuple[str, str], end: float) -> list[tuple[str, str]]:
    found = _call(connection, node, ACCESSIBLE, "GetChildren", end)
    return [(str(name), str(path)) for name, path in found or ()]


def _active(connection: Any, node: tuple[str, str], end: float) -> bool:
    state = _call(connection, node, ACCESSIBLE, "GetState", end)
    return bool(state) and bool(int(state[0]) & (1 << STATE_ACTIVE))


def _call(
    connection: Any,
    node: tuple[str, str],
    interface: str,
    method: str,
    end: float,
    arguments: tuple[str, tuple[Any, ...]] | None = None,
) -> Any:
    """The first value of `method`'s answer; None where this application fails it or does not answer
    within CALL_SECONDS (the others are still asked). The whole deadline running out is an AtspiError."""
    from jeepney import DBusAddress, new_method_call

    left = end - time.monotonic()
    if left <= 0:
        raise AtspiError("the accessibility bus did not answer in time")
    address = DBusAddress(node[1], bus_name=node[0], interface=interface)
    message = new_method_call(address, method, *(arguments or ()))
    try:
        reply = connection.send_and_get_reply(message, timeout=min(left, CALL_SECONDS))
    except TimeoutError:
        return None
    except OSError as error:  # the bus closed the connection (a broken pipe on one busy core, in the suite)
        raise AtspiError(f"the accessibility bus closed the connection ({error})") from error
    if reply.header.message_type.name != "method_return" or not reply.body:
        return None
    return reply.body[0]
