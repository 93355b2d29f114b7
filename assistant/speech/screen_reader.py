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

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.config import SPEAK_WITH
from assistant.i18n import _
from assistant.speech.backend import SilentBackend, SpeechBackend, SpeechUnavailable, failure_message
from assistant.speech.orca_service import orca_service_on_bus
from assistant.speech.screen_reader_orca import OrcaServiceRoute
from assistant.speech.screen_reader_prism import PrismRoute
from assistant.speech.screen_reader_routes import (
    JAWS,
    NVDA,
    ORCA_SERVICE,
    READER_OF_ROUTE,
    ROUTE_NAMES,
    SPEECH_DISPATCHER,
    VOICEOVER,
    Route,
    ScreenReaderLost,
    a11y_says_screen_reader_runs,
    choose_routes,
    orca_running,
    orca_runs,
    speaks_through,
)
from assistant.speech.screen_reader_speechd import SpeechDispatcherRoute, import_speechd, speechd_address
from assistant.speech.voices import Voice

__all__ = [
    "JAWS",
    "NVDA",
    "ORCA_SERVICE",
    "READER_OF_ROUTE",
    "ROUTE_NAMES",
    "SPEECH_DISPATCHER",
    "VOICEOVER",
    "Lookout",
    "OrcaServiceRoute",
    "PrismRoute",
    "Route",
    "ScreenReaderBackend",
    "ScreenReaderLost",
    "SpeechDispatcherRoute",
    "a11y_says_screen_reader_runs",
    "choose_routes",
    "connect",
    "describe_screen_reader",
    "import_speechd",
    "orca_running",
    "orca_runs",
    "speaks_through",
    "speechd_address",
]

log = logging.getLogger(__name__)

RECHECK_EVERY = 2.0  # seconds between looks for a screen reader that was not there, or went away
STUCK_PAUSE = 15.0  # seconds a screen reader that took a call and never answered is left alone


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
        lines = [_("Screen reader: none found running; the app speaks with its own voice.")]
        lines += [_("Not reached: {problem}.").format(problem=problem) for problem in problems]
        return lines
    try:
        return [_("Screen reader: {description}.").format(description=route.description)]
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
            return _("the app's own voice: {own}").format(own=own)
        if self.speak_with == "both":
            return _("{description}, and the app's own voice: {own}").format(
                description=self._route.description, own=own
            )
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
