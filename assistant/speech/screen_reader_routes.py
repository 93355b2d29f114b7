"""What the ways to a screen reader have in common: their names, which to try on which system and in
what order, whether a screen reader runs at all, and the interface each route gives the backend
(screen_reader.py). One route a module, as Orca's speech servers are: screen_reader_speechd.py,
screen_reader_orca.py, screen_reader_prism.py."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from assistant.i18n import N_
from assistant.speech.orca_service import orca_service_on_bus

log = logging.getLogger(__name__)

BUS_TIMEOUT = 1.0  # seconds to wait for the accessibility bus to answer

# What each route is called in `assistant doctor` and Settings.
ORCA_SERVICE = "orca-service"
SPEECH_DISPATCHER = "speech-dispatcher"
NVDA = "nvda"
JAWS = "jaws"
VOICEOVER = "voiceover"
ROUTE_NAMES = {
    SPEECH_DISPATCHER: N_("speech-dispatcher"),
    NVDA: N_("NVDA's controller client (speech and braille)"),
    JAWS: N_("JAWS (speech and braille)"),
    VOICEOVER: N_("VoiceOver announcements"),
}
READER_OF_ROUTE = {ORCA_SERVICE: "Orca", NVDA: "NVDA", JAWS: "JAWS", VOICEOVER: "VoiceOver"}


class ScreenReaderLost(Exception):
    """The screen reader stopped answering; the message says what happened (for the log).

    `stuck`: it is there but took a call and did not answer it, so asking again would hold speech back.
    `route`: the name of the route that was lost, where the one who caught it knows.
    """

    def __init__(self, message: str, stuck: bool = False) -> None:
        super().__init__(message)
        self.stuck = stuck
        self.route: str | None = None


def choose_routes(platform: str, orca_running: bool, a11y_says_running: bool) -> list[str]:
    """The ways to try, best first, to reach the screen reader on `platform` (`sys.platform`).

    On Windows and macOS, whether NVDA, JAWS or VoiceOver runs is what connecting to it finds out.
    On Linux nothing is tried unless a screen reader runs: speech-dispatcher alone would talk over
    a desktop that has no screen reader, with a voice the user never chose. With Orca, its D-Bus
    service comes first: only it reaches Orca's braille display, and it speaks with the voice and rate
    the user gave Orca (speech-dispatcher's defaults are not those: Orca sets them on its own
    connection). Orca before 49 has no service, and is reached through speech-dispatcher.
    """
    if platform == "win32":
        return [NVDA, JAWS]
    if platform == "darwin":
        return [VOICEOVER]
    if not (orca_running or a11y_says_running):
        return []
    return [ORCA_SERVICE, SPEECH_DISPATCHER] if orca_running else [SPEECH_DISPATCHER]


def speaks_through(speak_with: str, reader_reached: bool) -> tuple[bool, bool]:
    """(to the screen reader, with the app's own voice) for a "Speak with" choice."""
    if speak_with == "own-voice":
        return False, True
    if speak_with == "both":
        return reader_reached, True
    return reader_reached, not reader_reached


# ---------------------------------------------------------------------------------------------- Linux: is one running


def orca_running(proc: Path = Path("/proc")) -> bool:
    """Whether a process named orca runs (Orca is a Python script, so its process takes the script's name)."""
    try:
        entries = list(proc.iterdir())
    except OSError:
        return False
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "orca":
                return True
        except OSError:
            continue
    return False


def orca_runs() -> bool:
    """Orca's process runs, or its D-Bus service is on the session bus (its process may be named
    otherwise, as under a wrapper)."""
    return orca_running() or orca_service_on_bus()


def a11y_says_screen_reader_runs(timeout: float = BUS_TIMEOUT) -> bool:
    """`org.a11y.Status.ScreenReaderEnabled` on the session's accessibility bus (set by the desktop
    when a screen reader starts); False where there is no session bus."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and not os.environ.get("XDG_RUNTIME_DIR"):
        return False
    try:
        from jeepney import DBusAddress, Properties
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:
        return False
    try:
        with open_dbus_connection(bus="SESSION") as bus:
            status = DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Status")
            reply = bus.send_and_get_reply(Properties(status).get("ScreenReaderEnabled"), timeout=timeout)
    except Exception as error:  # no bus, no a11y service, a timeout: nobody says a screen reader runs
        log.debug("The accessibility bus did not answer: %s", error)
        return False
    if reply.header.message_type.name != "method_return":
        return False
    _signature, value = reply.body[0]
    return bool(value)


class Route(Protocol):
    """One way to reach a screen reader. Used only from the speech thread."""

    name: str

    @property
    def description(self) -> str: ...

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None], wait: bool) -> bool:
        """Hand `text` over; with `wait`, return when it was spoken (True) or cancelled (False).

        Raises ScreenReaderLost when the screen reader does not take it or goes away while speaking.
        """
        ...

    def silence(self) -> None:
        """Cut off what this app gave the screen reader, and drop what is queued."""
        ...

    def close(self) -> None: ...
