"""pyttsx3: the system voice on Windows (SAPI5) and macOS (NSSpeechSynthesizer).

pyttsx3 runs with an external loop (`startLoop(False)` + `iterate()`) that the speech thread drives, and
that thread calls `engine.stop()` when asked to stop.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from assistant.i18n import SOURCE_LANGUAGE, _
from assistant.i18n import language as app_language
from assistant.speech.backend import (
    DEFAULT_WPM,
    POLL,
    STOP_GRACE,
    SpeechBackend,
    SpeechUnavailable,
    clamp_rate,
    speaking_time_limit,
)
from assistant.speech.voices import Voice, from_pyttsx3, from_sapi5_token, speaks, voice_of_language

log = logging.getLogger(__name__)


class Pyttsx3Backend(SpeechBackend):
    """pyttsx3 (SAPI5 on Windows, NSSpeechSynthesizer on macOS) driven by the speech thread's own loop.

    pyttsx3 is not thread-safe, so it is created, iterated and stopped only on the speech thread.
    """

    def __init__(self, driver: str | None = None) -> None:
        if sys.platform == "win32":
            with contextlib.suppress(ImportError):
                import pythoncom

                pythoncom.CoInitialize()  # SAPI5 is COM: this thread needs its own apartment
        self._driver = driver or {"win32": "sapi5", "darwin": "nsss"}.get(sys.platform, "espeak")
        try:
            from pyttsx3.engine import Engine

            self._engine = Engine(self._driver)
        except Exception as error:
            log.exception("pyttsx3 could not start")
            detail = " ".join(str(error).split())[:120] or type(error).__name__
            raise SpeechUnavailable(
                _("the system speech engine could not start: {detail}").format(detail=detail),
                _("reinstall pyttsx3 to hear it"),
            ) from None
        self._finished: bool | None = None
        self._started = False
        self._error: BaseException | None = None
        self._engine.connect("started-utterance", self._on_started)
        self._engine.connect("finished-utterance", self._on_finished)
        self._engine.connect("error", self._on_error)
        self._engine.startLoop(False)
        voice = self._get("voice")
        self._default_voice_id = None if voice is None else str(getattr(voice, "id", voice))
        # The app's words are said by a voice of the app's language where the system's is another.
        language_voice = self._language_voice_id()
        if language_voice is not None:
            self._set("voice", language_voice)
        rate = self._get("rate")
        # The engine's own rate is its default: what "System default" in Settings brings back.
        self._default_rate = int(rate) if isinstance(rate, (int, float)) and rate > 0 else DEFAULT_WPM
        self._rate = self._default_rate

    @property
    def description(self) -> str:
        names = {"sapi5": "SAPI5", "nsss": "NSSpeechSynthesizer", "espeak": "espeak", "avspeech": "AVSpeech"}
        return _("{engine} through pyttsx3").format(engine=names.get(self._driver, self._driver))

    def _on_started(self, name: str | None = None) -> None:
        self._started = True

    def _on_finished(self, name: str | None = None, completed: bool = True) -> None:
        self._finished = bool(completed)

    def _on_error(self, name: str | None = None, exception: BaseException | None = None) -> None:
        self._error = exception or RuntimeError("unknown error")

    def _pump(self) -> None:
        self._engine.iterate()
        if sys.platform == "darwin":  # NSSpeechSynthesizer reports progress through this thread's run loop
            from Foundation import NSDate, NSRunLoop

            NSRunLoop.currentRunLoop().runUntilDate_(NSDate.dateWithTimeIntervalSinceNow_(POLL))

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        self._finished, self._started, self._error = None, False, None
        self._engine.say(text)
        deadline = time.monotonic() + speaking_time_limit(text, self._rate)
        stop_by: float | None = None
        while self._finished is None:
            self._pump()
            if self._error is not None:
                raise self._error
            if self._started:
                on_start()
            if stop_by is None and cancel.is_set():
                self._engine.stop()
                stop_by = time.monotonic() + STOP_GRACE
            if stop_by is not None and time.monotonic() > stop_by:
                return False  # the engine did not confirm, but the request is gone from its queue
            if time.monotonic() > deadline:
                raise SpeechUnavailable(
                    _("the system speech engine stopped responding"), _("restart the app")
                )
            if self._finished is None:
                time.sleep(POLL)
        if self._started:
            on_start()
        return self._finished and stop_by is None

    def _get(self, name: str) -> Any:
        try:
            return self._engine.getProperty(name)
        except Exception:
            log.exception("pyttsx3 could not report %s", name)
            return None

    def _set(self, name: str, value: Any) -> None:
        self._error = None
        self._engine.setProperty(name, value)
        self._pump()
        if self._error is not None:
            log.warning("pyttsx3 could not set %s to %r: %s", name, value, self._error)
            self._error = None

    def voices(self) -> list[Voice]:
        tokens = self._sapi5_tokens() if self._driver == "sapi5" else None
        if tokens is not None:
            return [from_sapi5_token(token) for token in tokens]
        return [from_pyttsx3(voice) for voice in self._get("voices") or []]

    def _sapi5_tokens(self) -> list[Any] | None:
        """SAPI5's voice tokens, read here: pyttsx3 2.99 lists no voice at all where one token's language
        is a list of LCIDs ("409;9"), so a Spanish voice beside it would never be found."""
        try:
            client = importlib.import_module("comtypes.client")  # pyttsx3's own dependency on Windows
            return list(client.CreateObject("SAPI.SpVoice").GetVoices())
        except Exception:
            log.exception("SAPI5's voices could not be read; asking pyttsx3")
            return None

    def default_voice(self) -> Voice | None:
        return next((voice for voice in self.voices() if voice.id == self._default_voice_id), None)

    def _language_voice_id(self) -> str | None:
        """Where the system's voice does not speak the app's language: the id of one that does, if any."""
        spoken = app_language()
        default = self.default_voice()
        if spoken == SOURCE_LANGUAGE or (default is not None and speaks(default, spoken)):
            return None
        found = voice_of_language(self.voices(), spoken)
        return found.id if found is not None else None

    def set_voice(self, voice_id: str | None) -> None:
        """`voice_id`, or where none is chosen the system's voice, or one of the app's language."""
        voice_id = voice_id or self._language_voice_id() or self._default_voice_id
        if voice_id is not None and any(voice.id == voice_id for voice in self.voices()):
            self._set("voice", voice_id)
        elif voice_id is not None:
            log.warning("%s has no voice %r; keeping the current one", self._driver, voice_id)

    def set_rate(self, words_per_minute: int | None) -> None:
        self._rate = self._default_rate if words_per_minute is None else clamp_rate(words_per_minute)
        self._set("rate", self._rate)

    def set_volume(self, volume: float) -> None:
        self._set("volume", max(0.0, min(1.0, float(volume))))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._engine.stop()
            self._engine.endLoop()
