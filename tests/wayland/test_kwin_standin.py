"""What the real KWin 5.27 of the other tests cannot show: Plasma 6's layout of the scripting objects,
and an answer from someone other than KWin. A stand-in KWin owns `org.kde.KWin` on a private bus,
exports a loaded script at `/Scripting/Script<id>` only (Plasma 6; 5.27 uses `/<id>`), and "runs" it
by reading the `callDBus` target out of the script and calling it back, as KWin's script would.
And, with no KWin at all: the sentence said on KDE without KWin, and how the script's answer is read."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.capture import kwin
from assistant.capture.window import WAYLAND_MESSAGE, NoFocusedWindow, focused_window
from assistant.i18n import _

CALL_BACK = re.compile(
    r'callDBus\(("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*")'
)


@dataclass
class StandIn:
    answer: str = '{"caption": "Budget", "x": 10, "y": 20, "width": 300, "height": 200}'
    forged_first: str | None = None
    """An answer another connection sends to the same path just before KWin's."""
    calls: list[tuple[str, str]] = field(default_factory=list)
    refusals: list[bool] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)


def _serve(address: str, stand_in: StandIn, ready: threading.Event, stop: threading.Event) -> None:
    from jeepney import (
        DBusAddress,
        HeaderFields,
        MessageType,
        message_bus,
        new_error,
        new_method_call,
        new_method_return,
    )
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(address) as connection, open_dbus_connection(address) as forger:
        connection.send_and_get_reply(message_bus.RequestName(kwin.KWIN), timeout=5)
        ready.set()
        while not stop.is_set():
            try:
                message = connection.receive(timeout=0.1)
            except TimeoutError:
                continue
            if message.header.message_type != MessageType.method_call:
                continue
            path = str(message.header.fields[HeaderFields.path])
            member = str(message.header.fields[HeaderFields.member])
            stand_in.calls.append((path, member))
            if member == "loadScript":
                stand_in.scripts.append(Path(message.body[0]).read_text(encoding="utf-8"))
                connection.send(new_method_return(message, "i", (7,)))
            elif member == "unloadScript":
                connection.send(new_method_return(message, "b", (True,)))
            elif member == "run" and path == "/Scripting/Script7":
                connection.send(new_method_return(message))
                found = CALL_BACK.search(stand_in.scripts[-1])
                if found is None:  # a script that calls nothing back
                    continue
                service, target, interface, method = (json.loads(part) for part in found.groups())
                call = DBusAddress(target, bus_name=service, interface=interface)
                if stand_in.forged_first is not None:  # answered (refused) before KWin's call is sent
                    refused = forger.send_and_get_reply(
                        new_method_call(call, method, "s", (stand_in.forged_first,)), timeout=5
                    )
                    stand_in.refusals.append(refused.header.message_type == MessageType.error)
                connection.send(new_method_call(call, method, "s", (stand_in.answer,)))
            else:
                connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownObject", "s", ("no",)))


@pytest.fixture
def stand_in_kwin(session_bus: str) -> Iterator[StandIn]:
    stand_in = StandIn()
    ready, stop = threading.Event(), threading.Event()
    server = threading.Thread(target=_serve, args=(session_bus, stand_in, ready, stop))
    server.start()
    try:
        assert ready.wait(10)
        yield stand_in
    finally:
        stop.set()
        server.join(10)


def test_plasma_6s_script_object_is_run_and_the_script_unloaded(stand_in_kwin: StandIn) -> None:
    assert kwin.focused() == ("Budget", (10, 20, 300, 200))
    members = [member for _path, member in stand_in_kwin.calls]
    assert members == ["loadScript", "run", "unloadScript"]  # Plasma 6's path first: no try at /7
    assert stand_in_kwin.calls[1] == ("/Scripting/Script7", "run")


def test_an_answer_from_anyone_but_kwin_is_not_taken(stand_in_kwin: StandIn) -> None:
    stand_in_kwin.forged_first = '{"caption": "Forged", "x": 0, "y": 0, "width": 1, "height": 1}'
    assert kwin.focused() == ("Budget", (10, 20, 300, 200))
    assert stand_in_kwin.refusals == [True]  # the forger was told no, before KWin's answer was sent


def test_the_script_asks_for_the_active_window_of_either_version(stand_in_kwin: StandIn) -> None:
    kwin.focused()
    script = stand_in_kwin.scripts[-1]
    assert "workspace.activeWindow" in script and "workspace.activeClient" in script
    assert "frameGeometry" in script and "caption" in script


def test_no_answer_in_time_is_an_error(stand_in_kwin: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    # A script KWin could not run (it logged an error and dropped it) never calls back.
    monkeypatch.setattr(kwin, "SCRIPT_TEXT", "// nothing %(service)s %(path)s %(interface)s %(method)s\n")
    with pytest.raises(kwin.KWinError, match="did not answer"):
        kwin.focused(deadline=0.5)
    assert [member for _path, member in stand_in_kwin.calls][-1] == "unloadScript"


def test_on_kde_without_kwin_on_the_bus_it_says_the_desktop_hides_windows(
    session_bus: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-none")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(NoFocusedWindow) as raised:
        focused_window()
    assert str(raised.value) == _(WAYLAND_MESSAGE)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"XDG_CURRENT_DESKTOP": "KDE"}, True),
        ({"XDG_CURRENT_DESKTOP": "ubuntu:KDE"}, True),
        ({"KDE_FULL_SESSION": "true"}, True),
        ({"XDG_CURRENT_DESKTOP": "GNOME"}, False),
        ({"XDG_CURRENT_DESKTOP": "sway"}, False),
        ({}, False),
    ],
)
def test_kde_is_told_by_its_desktop_name(environ: dict[str, str], expected: bool) -> None:
    assert kwin.is_kde(environ) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"caption": "Notes", "x": 10, "y": 20.4, "width": 300.6, "height": 200}',
            ("Notes", (10, 20, 301, 200)),
        ),
        ("null", None),
    ],
)
def test_the_scripts_answer_is_read(text: str, expected: object) -> None:
    assert kwin.parse_answer(text) == expected


def test_a_nonsense_answer_is_an_error_not_a_window() -> None:
    with pytest.raises(kwin.KWinError):
        kwin.parse_answer('{"caption": "Notes"}')


def test_the_screens_answer_is_read_with_plasma_6s_names_and_scales() -> None:
    text = (
        '[{"name": "DP-1", "x": 0, "y": 0, "width": 1280, "height": 800, "scale": 1.5, "active": false},'
        ' {"name": "HDMI-A-1", "x": 1280, "y": 0, "width": 1920, "height": 1080, "scale": 1, "active": true}]'
    )
    assert kwin.parse_screens(text) == [
        ("DP-1", (0, 0, 1280, 800), 1.5, False),
        ("HDMI-A-1", (1280, 0, 1920, 1080), 1.0, True),
    ]
    with pytest.raises(kwin.KWinError):
        kwin.parse_screens("null")
