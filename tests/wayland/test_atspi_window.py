"""The focused window on a Wayland desktop that tells no program where windows lie (GNOME): its title from
the accessibility bus, its picture from the Screenshot portal's active-window target where there is one,
else the whole screen said with the window's title. (The accessibility bus itself, for real, in
test_sway_monitors_e2e.)"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
from fixtures.desktops import session_bus as session_bus  # a private session bus, a fixture
from PIL import Image

from assistant.capture import atspi, window
from assistant.capture.window import (
    WAYLAND_MESSAGE,
    FocusedWindow,
    NoFocusedWindow,
    WindowWithoutPlace,
    focused_window,
    grab_focused_window,
)
from assistant.i18n import _
from assistant.session.steps import focused_window_or_screen

TITLE = "Budget figures - LibreOffice Calc"


class PortalWithActiveWindow:
    """A Screenshot portal of version 3 offering the active-window target."""

    name = "portal"

    def grab_active_window(self) -> Image.Image:
        return Image.new("RGB", (300, 200), (255, 255, 255))


@pytest.fixture
def on_gnome(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    monkeypatch.delenv("SWAYSOCK", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)


def test_the_active_windows_title_names_it_though_where_it_lies_is_unknown(on_gnome, monkeypatch) -> None:
    monkeypatch.setattr(atspi, "active_window_title", lambda: TITLE)
    with pytest.raises(WindowWithoutPlace) as raised:
        focused_window()
    assert raised.value.title == TITLE
    assert str(raised.value) == (
        f"{TITLE} has the focus, but this Wayland desktop does not say where its window lies, so the whole "
        "screen is described."
    )


def test_the_portals_active_window_is_named_by_its_accessible_title(on_gnome, monkeypatch) -> None:
    monkeypatch.setattr(atspi, "active_window_title", lambda: TITLE)
    monkeypatch.setattr(window, "current_backend", PortalWithActiveWindow)
    found, picture = grab_focused_window()
    assert found == FocusedWindow(TITLE, (0, 0, 300, 200)) and picture.size == (300, 200)
    assert found.spoken_title == f"Window: {TITLE}."


def test_without_the_active_window_target_the_screen_is_described_with_the_title(
    on_gnome, monkeypatch
) -> None:
    """The session's step: the screen, and the sentence naming the window said before its description."""
    monkeypatch.setattr(atspi, "active_window_title", lambda: TITLE)
    monkeypatch.setattr(window, "current_backend", lambda: object())  # a portal of version 1: no target
    screen = Image.new("RGB", (640, 480))
    monkeypatch.setattr("assistant.capture.grab_screen", lambda at=None: screen)
    captured = focused_window_or_screen((0, 0))
    assert captured.image is screen and captured.notice.startswith(f"{TITLE} has the focus")


@pytest.mark.parametrize("answer", [None, atspi.AtspiError("no accessibility bus")])
def test_where_nothing_names_a_window_the_desktop_is_said_to_hide_them(on_gnome, monkeypatch, answer) -> None:
    def title() -> str | None:
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(atspi, "active_window_title", title)
    with pytest.raises(NoFocusedWindow) as raised:
        focused_window()
    assert not isinstance(raised.value, WindowWithoutPlace) and str(raised.value) == _(WAYLAND_MESSAGE)


def test_no_session_bus_is_an_atspi_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    with pytest.raises(atspi.AtspiError):
        atspi.active_window_title()


def test_a_bus_that_closes_the_connection_is_an_atspi_error() -> None:
    """On one busy core the accessibility bus closed the connection mid-search: jeepney's BrokenPipeError
    escaped as it was, where a bus that cannot be asked is an AtspiError (the screen is described)."""

    class Closed:
        def send_and_get_reply(self, message: object, timeout: float) -> object:
            raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(atspi.AtspiError, match="closed the connection"):
        atspi._children(Closed(), atspi.REGISTRY, time.monotonic() + 1)


ROOT_PATH = "/org/a11y/atspi/accessible/root"


def serve_accessibility(address: str, stop: threading.Event, hanging: str) -> None:
    """On the bus at `address`: the accessibility bus's address (this same bus), a registry listing two
    applications, `hanging` (which never answers) first, and one whose window "Budget" is ACTIVE."""
    from jeepney import MessageType, new_method_return
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(address) as connection:
        for name in ("org.a11y.Bus", "org.a11y.atspi.Registry"):
            connection.send_and_get_reply(message_bus.RequestName(name))
        me = connection.unique_name
        answers = {
            ("/org/a11y/bus", "GetAddress"): ("s", (address,)),
            (ROOT_PATH, "GetChildren"): ("a(so)", ([(hanging, ROOT_PATH), (me, ROOT_PATH)],)),
            ("/window", "GetChildren"): ("a(so)", ([],)),
            ("/window", "GetState"): ("au", ([1 << atspi.STATE_ACTIVE, 0],)),
            ("/window", "Get"): ("v", (("s", "Budget"),)),
        }
        while not stop.is_set():
            try:
                message = connection.receive(timeout=0.1)
            except TimeoutError:
                continue
            header = message.header
            if header.message_type != MessageType.method_call:
                continue
            path, member = header.fields[1], header.fields[3]  # PATH, MEMBER
            # The registry's root lists the applications; an application's root lists its windows.
            if (path, member) == (ROOT_PATH, "GetChildren") and header.fields.get(6) == me:
                connection.send(new_method_return(message, "a(so)", ([(me, "/window")],)))
            elif (path, member) in answers:
                connection.send(new_method_return(message, *answers[(path, member)]))


def test_an_application_that_never_answers_is_passed_over(session_bus: str) -> None:
    """The first application the registry lists hangs; the active window of the next is still named."""
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    stop = threading.Event()
    with open_dbus_connection(session_bus) as hanging:  # owns its name, reads nothing
        hanging.send_and_get_reply(message_bus.RequestName("org.example.Hanging"))
        server = threading.Thread(target=serve_accessibility, args=(session_bus, stop, "org.example.Hanging"))
        server.start()
        try:
            deadline = time.monotonic() + 10  # a hang guard: the names are taken as the thread starts
            while (found := _title_or_none()) is None:
                assert time.monotonic() < deadline, "the stand-in registry never answered"
                time.sleep(0.05)
            assert found == "Budget"
        finally:
            stop.set()
            server.join(5)


def _title_or_none() -> str | None:
    try:
        return atspi.active_window_title()
    except atspi.AtspiError:
        return None
