"""The speech backend interface, what every backend shares, and the silent backend.

A backend is driven only from the Speaker's thread (speaker.py); each real one lives in a file of its
own (espeak.py, pyttsx3_backend.py, recording.py), as Orca keeps its speech-server interface apart from
its servers. Any backend failure switches the speaker to `SilentBackend` and is reported once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from assistant.config import RATE_RANGE
from assistant.errors import UserError
from assistant.i18n import _
from assistant.speech.voices import Voice

STOP_GRACE = 1.0  # seconds a backend may take to fall silent after being told to stop
POLL = 0.02  # seconds between checks while speaking (never while idle)
DEFAULT_WPM = 175  # what espeak-ng and most system voices speak at when no rate is chosen


class SpeechUnavailable(UserError):
    """Speech cannot work; `str(error)` is the one sentence shown to the user."""

    def __init__(self, reason: str, remedy: str) -> None:
        self.reason = reason
        self.remedy = remedy
        super().__init__(unavailable_message(reason, remedy))

    @classmethod
    def from_sentence(cls, sentence: str) -> SpeechUnavailable:
        """The error for a sentence already made by `unavailable_message`."""
        error = cls.__new__(cls)
        error.reason, error.remedy = sentence, ""
        Exception.__init__(error, sentence)
        return error


def unavailable_message(reason: str, remedy: str) -> str:
    """The sentence the user reads when speech does not work."""
    return _("Speech is not working ({reason}). The text is shown instead; {remedy}.").format(
        reason=reason, remedy=remedy
    )


def failure_message(error: BaseException) -> str:
    if isinstance(error, SpeechUnavailable):
        return str(error)
    detail = " ".join(str(error).split())[:120] or type(error).__name__
    return unavailable_message(
        _("the speech engine failed: {detail}").format(detail=detail),
        # Translators: ends "Speech is not working (…). The text is shown instead; {remedy}."
        _("restart the app to try again"),
    )


def clamp_rate(words_per_minute: int) -> int:
    """A rate within what the settings accept (and espeak-ng, with its speed-up, can speak)."""
    low, high = RATE_RANGE
    return max(low, min(high, int(words_per_minute)))


def speaking_time_limit(text: str, words_per_minute: int | None) -> float:
    """A generous deadline for speaking `text` aloud, in seconds: three times its length, plus ten."""
    minutes = len(text.split()) / (words_per_minute or DEFAULT_WPM)
    return 10.0 + 3.0 * 60.0 * minutes


class SpeechBackend:
    """What the speech thread drives. Only that one thread calls these methods."""

    silent = False

    @property
    def description(self) -> str:
        """What speaks, for `assistant doctor`: "espeak-ng 1.51, played with paplay"."""
        return type(self).__name__

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        """Speak `text`; True when it was all spoken, False when `cancel` was set (return promptly then).

        Calls `on_start` when sound begins. Raises when speech cannot work (SpeechUnavailable says why).
        """
        raise NotImplementedError

    def voices(self) -> list[Voice]:
        return []

    def default_voice(self) -> Voice | None:
        """The voice used when none is chosen."""
        return None

    def set_voice(self, voice_id: str | None) -> None:
        """None: the engine's default voice. An unknown id is ignored (with a warning in the log)."""

    def set_rate(self, words_per_minute: int | None) -> None:
        """None: the engine's default rate."""

    def set_volume(self, volume: float) -> None:
        """0.0 (silent) to 1.0 (the engine's normal loudness)."""

    def set_speak_with(self, speak_with: str | None) -> None:
        """Whether to speak through the screen reader (screen_reader.py); the plain voices ignore it."""

    def silence(self) -> None:
        """Cut off speech handed over earlier that `speak` no longer waits for (a screen reader's queue)."""

    def close(self) -> None:
        """Release the engine; nothing is spoken afterwards."""


class SilentBackend(SpeechBackend):
    """Speaks nothing; `reason` is the sentence telling the user why."""

    silent = True

    def __init__(self, reason: str) -> None:
        self.reason = reason

    @property
    def description(self) -> str:
        return "silent"

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        return True
