"""Speaking through the user's own screen reader (speech and, where it has one, braille).

`ScreenReaderBackend` is a speech backend like the others (backend.py), driven by the Speaker's thread.
It sends each utterance (a sentence, as they are generated) to the screen reader when one is running
and the user chose so ("Speak with"), and to the app's own voice otherwise, or as well ("both").

How the screen reader is reached (the README says why these libraries, and why this order):
- Linux, Orca 49 and later: Orca's D-Bus service (orca_service.py). `PresentMessage` speaks each
  utterance with the voice, rate and language the user gave Orca, queued behind what Orca is saying, and
  flashes it on the braille display; `InterruptSpeech` stops it. The service is looked for again while
  the app speaks through speech-dispatcher, as Orca may register it after the app has started.
- Linux otherwise (an older Orca, another screen reader): speech-dispatcher, which Orca speaks through,
  with its own Python client (Debian's python3-speechd), which reports when each message has ended or
  was cancelled and cancels the whole queue. A screen reader counts as running when Orca runs (its
  process, or its service on the session bus) or the accessibility bus says one does
  (`org.a11y.Status.ScreenReaderEnabled`).
- Windows: NVDA (its controller client: speech, cancel, braille) or JAWS, through prismatoid.
- macOS: VoiceOver announcements, through prismatoid.

When the screen reader stops answering, the utterance it was given is spoken again by the app's own
voice, whole, and the log says why once; nothing is said twice unless "both" is chosen. Through
speech-dispatcher nothing is lost either, as each sentence is handed over when the one before has been
spoken; Orca's service, NVDA, JAWS and VoiceOver say nothing of when they have spoken a message, so
sentences are handed to them at once, and those still queued there when the screen reader quits go
with it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from assistant.config import SPEAK_WITH
from assistant.speech.backend import (
    POLL,
    SilentBackend,
    SpeechBackend,
    SpeechUnavailable,
    failure_message,
    speaking_time_limit,
)
from assistant.speech.orca_service import (
    OrcaService,
    OrcaServiceError,
    OrcaServiceSilent,
    orca_service_on_bus,
)
from assistant.speech.voices import Voice

log = logging.getLogger(__name__)

RECHECK_EVERY = 2.0  # seconds between looks for a screen reader that was not there, or went away
STUCK_PAUSE = 15.0  # seconds a screen reader that took a call and never answered is left alone
BUS_TIMEOUT = 1.0  # seconds to wait for the accessibility bus to answer

# What each route is called in `assistant doctor` and Settings.
ORCA_SERVICE = "orca-service"
SPEECH_DISPATCHER = "speech-dispatcher"
NVDA = "nvda"
JAWS = "jaws"
VOICEOVER = "voiceover"
ROUTE_NAMES = {
    SPEECH_DISPATCHER: "speech-dispatcher",
    NVDA: "NVDA's controller client (speech and braille)",
    JAWS: "JAWS (speech and braille)",
    VOICEOVER: "VoiceOver announcements",
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


# ---------------------------------------------------------------------------------------------- routes


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


def import_speechd() -> ModuleType:
    """speech-dispatcher's own Python client: from this environment, else from the system's Python.

    It is not on PyPI; distributions ship it (Debian and Ubuntu: python3-speechd, Fedora:
    python3-speechd), and it is pure Python, so the system's copy works in this environment too.
    """
    try:
        import speechd

        return speechd
    except ImportError:
        pass
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in (
        "/usr/lib/python3/dist-packages",
        f"/usr/lib/{version}/site-packages",
        f"/usr/lib64/{version}/site-packages",
    ):
        init = Path(folder, "speechd", "__init__.py")
        if not init.is_file():
            continue
        spec = importlib.util.spec_from_file_location(
            "speechd", init, submodule_search_locations=[str(init.parent)]
        )
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules["speechd"] = module
        try:
            spec.loader.exec_module(module)
        except Exception:
            del sys.modules["speechd"]
            raise
        return module
    raise ScreenReaderLost("speech-dispatcher's Python client is not installed (install python3-speechd)")


def speechd_address() -> str:
    """Where speech-dispatcher is reached: SPEECHD_ADDRESS, as its own clients read it, else its default."""
    address = os.environ.get("SPEECHD_ADDRESS")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR") or str(Path.home() / ".cache")
    return f"unix_socket:{Path(runtime, 'speech-dispatcher', 'speechd.sock')}"


class SpeechDispatcherRoute:
    """speech-dispatcher through its Python client: each message's end and cancel are reported back."""

    name = SPEECH_DISPATCHER

    def __init__(self, reader: str = "the screen reader") -> None:
        speechd = import_speechd()
        self._speechd = speechd
        self.reader = reader
        self.address = speechd_address()
        try:
            # No autospawn: a speech-dispatcher that is not running is no screen reader's voice.
            self._client = speechd.SSIPClient("assistant", component="descriptions", autospawn=False)
        except Exception as error:
            raise ScreenReaderLost(f"speech-dispatcher at {self.address} did not answer: {error}") from None

    @property
    def description(self) -> str:
        spoken = f"{self.reader} through speech-dispatcher ({self.address})"
        if self.reader == "Orca":
            return f"{spoken}; no braille, as Orca's D-Bus service (Orca 49 and later) was not reached"
        return spoken

    def _alive(self) -> bool:
        # The client notices a closed connection only in its reader thread; asking that thread is the
        # one way to learn that speech-dispatcher went away while a message was being spoken.
        connection = getattr(self._client, "_conn", None)
        thread = getattr(connection, "_communication_thread", None)
        return thread is None or thread.is_alive()

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None], wait: bool) -> bool:
        events = self._speechd.CallbackType
        begun = threading.Event()
        ended: list[str] = []
        done = threading.Event()

        def on_event(kind: str, **_details: Any) -> None:
            if kind == events.BEGIN:
                begun.set()
            elif kind in (events.END, events.CANCEL):
                ended.append(kind)
                done.set()

        try:
            self._client.speak(text, callback=on_event, event_types=(events.BEGIN, events.END, events.CANCEL))
        except Exception as error:
            raise ScreenReaderLost(
                f"speech-dispatcher at {self.address} stopped answering: {error}"
            ) from None
        if not wait:
            return True
        deadline = time.monotonic() + speaking_time_limit(text, None)
        started = False
        while not done.wait(POLL):
            if begun.is_set() and not started:
                started = True
                on_start()
            if cancel.is_set():
                self.silence()
                return False
            if not self._alive():
                raise ScreenReaderLost(f"speech-dispatcher at {self.address} went away while speaking")
            if time.monotonic() > deadline:
                raise ScreenReaderLost(f"speech-dispatcher at {self.address} did not finish speaking in time")
        if not started:
            on_start()
        return ended[-1] == events.END and not cancel.is_set()

    def silence(self) -> None:
        try:
            self._client.cancel()
        except Exception as error:  # gone already: nothing of ours is being said
            log.info("speech-dispatcher could not be told to stop: %s", error)

    def close(self) -> None:
        try:
            self._client.close()
        except Exception as error:
            log.info("The speech-dispatcher connection did not close cleanly: %s", error)


class OrcaServiceRoute:
    """Orca through its D-Bus service: PresentMessage speaks each message and flashes it in braille.

    Orca reports no end of speech, so each message is handed over at once; Orca speaks it after the
    ones before (orca_service.py says why they queue), and InterruptSpeech drops them all.
    """

    name = ORCA_SERVICE

    def __init__(self) -> None:
        try:
            self._service = OrcaService.find()
        except OrcaServiceError as error:
            raise ScreenReaderLost(
                f"Orca is not reached through its D-Bus service: {error}",
                stuck=isinstance(error, OrcaServiceSilent),
            ) from None

    @property
    def description(self) -> str:
        service = self._service
        return f"{service.name} through its D-Bus service ({service.dialect.bus_name}): its voice and braille display"

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None], wait: bool) -> bool:
        try:
            self._service.present(text)
        except OrcaServiceError as error:
            raise ScreenReaderLost(
                f"Orca's D-Bus service stopped answering: {error}", stuck=isinstance(error, OrcaServiceSilent)
            ) from None
        on_start()
        return True

    def silence(self) -> None:
        try:
            self._service.interrupt()
        except OrcaServiceError as error:
            log.info("Orca could not be told to stop: %s", error)

    def close(self) -> None:
        self._service.close()


class PrismRoute:
    """A screen reader reached through prismatoid: NVDA, JAWS or VoiceOver.

    These take a message and speak it on their own; none reports when it has finished, so each is
    handed over at once and cut off with the screen reader's own stop.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        try:
            import prism
        except ImportError:
            raise ScreenReaderLost("prismatoid is not installed") from None
        ids = {
            NVDA: prism.BackendId.NVDA,
            JAWS: prism.BackendId.JAWS,
            VOICEOVER: prism.BackendId.VOICE_OVER,
        }
        try:
            self._context = prism.Context()
            self._backend = self._context.create(ids[name])
            features = self._backend.features
        except Exception as error:
            raise ScreenReaderLost(f"{READER_OF_ROUTE[name]} is not there: {error}") from None
        if not features.is_supported_at_runtime:
            # VoiceOver's announcements, for one, go nowhere while VoiceOver is off.
            raise ScreenReaderLost(f"{READER_OF_ROUTE[name]} is not running")
        # output = speech and braille together, where the screen reader has both.
        self._send = self._backend.output if features.supports_output else self._backend.speak

    @property
    def description(self) -> str:
        return f"{READER_OF_ROUTE[self.name]} through {ROUTE_NAMES[self.name]}"

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None], wait: bool) -> bool:
        try:
            self._send(text)
        except Exception as error:
            raise ScreenReaderLost(f"{READER_OF_ROUTE[self.name]} stopped answering: {error}") from None
        on_start()
        return True

    def silence(self) -> None:
        try:
            self._backend.stop()
        except Exception as error:
            log.info("%s could not be told to stop: %s", READER_OF_ROUTE[self.name], error)

    def close(self) -> None:
        self._backend = None
        self._context = None


def connect(name: str, reader: str) -> Route:
    """Open route `name`; raises ScreenReaderLost where it cannot be reached."""
    if name == SPEECH_DISPATCHER:
        return SpeechDispatcherRoute(reader)
    if name == ORCA_SERVICE:
        return OrcaServiceRoute()
    return PrismRoute(name)


@dataclass(frozen=True)
class Lookout:
    """How a screen reader is looked for; replaced in tests of the route choice only."""

    platform: str = sys.platform
    orca: Callable[[], bool] = orca_runs
    a11y: Callable[[], bool] = a11y_says_screen_reader_runs
    connect: Callable[[str, str], Route] = connect
    orca_service: Callable[[], bool] = orca_service_on_bus

    def find(self, skip: frozenset[str] = frozenset()) -> tuple[Route | None, list[ScreenReaderLost]]:
        """The first route that answers, leaving out those in `skip`, and why each earlier one did not."""
        orca = self.platform.startswith("linux") and self.orca()
        a11y = self.platform.startswith("linux") and not orca and self.a11y()
        reader = "Orca" if orca else "the screen reader"
        problems: list[ScreenReaderLost] = []
        for name in choose_routes(self.platform, orca, a11y):
            if name in skip:
                continue
            try:
                return self.connect(name, READER_OF_ROUTE.get(name, reader)), problems
            except ScreenReaderLost as error:
                error.route = name
                problems.append(error)
        return None, problems

    def better_than(
        self, route: Route, skip: frozenset[str] = frozenset()
    ) -> tuple[Route | None, list[ScreenReaderLost]]:
        """Orca's D-Bus service where `route` is speech-dispatcher and the service has come since: Orca
        registers it after it has started, so it may come after the app, or back after a restart."""
        if route.name != SPEECH_DISPATCHER or ORCA_SERVICE in skip or not self.platform.startswith("linux"):
            return None, []
        if not self.orca_service():
            return None, []
        try:
            return self.connect(ORCA_SERVICE, READER_OF_ROUTE[ORCA_SERVICE]), []
        except ScreenReaderLost as error:
            error.route = ORCA_SERVICE
            return None, [error]


def describe_screen_reader(lookout: Lookout | None = None) -> list[str]:
    """Plain lines for `assistant doctor`: which screen reader runs and how the app reaches it."""
    lookout = lookout or Lookout()
    route, problems = lookout.find()
    if route is None:
        lines = ["Screen reader: none found running; the app speaks with its own voice."]
        lines += [f"Not reached: {problem}." for problem in problems]
        return lines
    try:
        return [f"Screen reader: {route.description}."]
    finally:
        route.close()


# ---------------------------------------------------------------------------------------------- the backend


class ScreenReaderBackend(SpeechBackend):
    """Speech through the screen reader, the app's own voice, or both, as "Speak with" says."""

    def __init__(
        self,
        own_voice: Callable[[], SpeechBackend],
        speak_with: str = "screen-reader",
        lookout: Lookout | None = None,
    ) -> None:
        self.speak_with = speak_with if speak_with in SPEAK_WITH else "screen-reader"
        self._lookout = lookout or Lookout()
        self._route: Route | None = None
        self._looked_at = -RECHECK_EVERY
        self._told_lost = False
        self._stuck_until: dict[str, float] = {}  # route name → when a stuck screen reader is tried again
        try:
            self.own: SpeechBackend = own_voice()
        except Exception as error:
            # The screen reader may still speak; the own voice's reason is told if it is ever needed.
            log.warning("The app's own voice could not start: %s", error)
            self.own = SilentBackend(failure_message(error))
        self._look()

    @property
    def description(self) -> str:
        own = "silent" if self.own.silent else self.own.description
        if self._route is None:
            return f"the app's own voice: {own}"
        if self.speak_with == "both":
            return f"{self._route.description}, and the app's own voice: {own}"
        return self._route.description

    @property
    def reader(self) -> str | None:
        """How the screen reader is reached, or None while none is."""
        return None if self._route is None else self._route.description

    def _look(self) -> None:
        """Connect to the screen reader if the choice wants it and none is connected, or a better way to
        it has come (not too often)."""
        if self.speak_with == "own-voice":
            return
        now = time.monotonic()
        if now - self._looked_at < RECHECK_EVERY:
            return
        self._looked_at = now
        skip = frozenset(name for name, until in self._stuck_until.items() if until > now)
        if self._route is None:
            route, problems = self._lookout.find(skip)
        else:
            route, problems = self._lookout.better_than(self._route, skip)
        for problem in problems:
            log.debug("Screen reader not reached: %s", problem)
            self._note_stuck(problem)
        if route is None:
            return
        log.info("Speaking through %s.", route.description)
        if self._route is not None:
            self._route.close()  # nothing of ours is queued there: it is left between utterances
        self._route, self._told_lost = route, False

    def _note_stuck(self, error: ScreenReaderLost) -> None:
        if error.stuck and error.route is not None:
            # Asked again, it would hold each sentence back for as long as a call waits.
            self._stuck_until[error.route] = time.monotonic() + STUCK_PAUSE

    def _lose(self, error: ScreenReaderLost) -> None:
        if not self._told_lost:
            self._told_lost = True
            log.warning(
                "The screen reader stopped answering (%s); the app's own voice speaks instead.", error
            )
        route, self._route = self._route, None
        self._looked_at = time.monotonic()
        if route is not None:
            error.route = route.name
            self._note_stuck(error)
            route.close()

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        self._look()
        to_reader, own_voice = speaks_through(self.speak_with, self._route is not None)
        if to_reader and self._route is not None:
            try:
                done = self._route.speak(text, cancel, on_start, wait=not own_voice)
            except ScreenReaderLost as error:
                self._lose(error)
                own_voice = True  # the same utterance, whole, in the app's own voice
            else:
                if not own_voice:
                    return done
        if cancel.is_set():
            return False
        if isinstance(self.own, SilentBackend):
            raise SpeechUnavailable.from_sentence(self.own.reason)
        done = self.own.speak(text, cancel, on_start)
        if not done and self._route is not None:
            self._route.silence()  # "both": the screen reader's copy stops with the app's
        return done

    def silence(self) -> None:
        if self._route is not None:
            self._route.silence()
        self.own.silence()

    def set_speak_with(self, speak_with: str | None) -> None:
        self.speak_with = speak_with if speak_with in SPEAK_WITH else "screen-reader"
        if self.speak_with == "own-voice" and self._route is not None:
            self._route.silence()
            self._route.close()
            self._route = None
        self._looked_at = -RECHECK_EVERY
        self._look()

    # The voice, rate and volume are the app's own voice's: the screen reader keeps the user's.
    def voices(self) -> list[Voice]:
        return self.own.voices()

    def default_voice(self) -> Voice | None:
        return self.own.default_voice()

    def set_voice(self, voice_id: str | None) -> None:
        self.own.set_voice(voice_id)

    def set_rate(self, words_per_minute: int | None) -> None:
        self.own.set_rate(words_per_minute)

    def set_volume(self, volume: float) -> None:
        self.own.set_volume(volume)

    def close(self) -> None:
        if self._route is not None:
            self._route.close()
            self._route = None
        self.own.close()
