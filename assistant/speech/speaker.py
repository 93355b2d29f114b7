"""The Speaker: one thread owns the speech backend, every other thread sends it requests.

`Speaker` is what the app uses: `say`, `stop`, voice/rate/volume, and events telling the UI what was
spoken. Behind it sits one backend (backend.py has the interface), driven only from the speech thread:
the screen-reader backend, which sends speech to the user's screen reader and to the app's own voice as
"Speak with" says; the own voice is espeak-ng on Linux, pyttsx3 on Windows and macOS, or the recording
backend for `--speech-to DIR`; and the silent one once speech has failed. Any backend failure switches to silence and is reported once, in one
sentence.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.speech.backend import SilentBackend, SpeechBackend, SpeechUnavailable, failure_message
from assistant.speech.espeak import EspeakBackend
from assistant.speech.pyttsx3_backend import Pyttsx3Backend
from assistant.speech.recording import RecordingBackend
from assistant.speech.screen_reader import ScreenReaderBackend
from assistant.speech.voices import Voice

log = logging.getLogger(__name__)

EventCallback = Callable[[str, int, str], None]
"""on_event(kind, n, text_or_message): "started", "finished", "stopped" (text) or "failed" (message)."""

READY_TIMEOUT = 10.0  # seconds to wait for the speech thread to start its engine


def default_backend() -> SpeechBackend:
    """The system's speech: pyttsx3 on Windows and macOS, espeak-ng with a sound player elsewhere."""
    if sys.platform in ("win32", "darwin"):
        return Pyttsx3Backend()
    return EspeakBackend()


@dataclass
class _Utterance:
    number: int
    text: str
    cancel: threading.Event


class Speaker:
    """Speech for the whole app: a queue of utterances spoken, in order, by one thread.

    Every method may be called from any thread and returns at once (`wait_idle` and `close` wait, with a
    deadline). `on_event(kind, n, text)` is called from the speech thread.
    """

    def __init__(
        self,
        backend_factory: Callable[[], SpeechBackend] = default_backend,
        *,
        enabled: bool = True,
        voice: str | None = None,
        rate: int | None = None,
        volume: float | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        self.on_event = on_event
        self._hush = False
        self._lock = threading.Condition()
        self._queue: deque[_Utterance] = deque()
        self._settings: dict[str, Any] = {}
        self._current: _Utterance | None = None
        self._count = 0
        self._enabled = enabled
        self._closed = False
        self._status = ""
        self._voices: list[Voice] = []
        self._default_voice: Voice | None = None
        self._description = ""
        self._reader: str | None = None
        self._ready = threading.Event()
        if voice is not None:
            self._settings["voice"] = voice
        if rate is not None:
            self._settings["rate"] = rate
        if volume is not None:
            self._settings["volume"] = volume
        self._thread = threading.Thread(target=self._run, args=(backend_factory,), name="speech", daemon=True)
        self._thread.start()

    # -- requests from any thread

    def say(self, text: str, interrupt: bool = False) -> int:
        """Queue `text`; with `interrupt`, first silence what is playing and drop what is queued.

        Returns the utterance's number (used in events), or 0 when nothing will be spoken.
        """
        text = text.strip()
        with self._lock:
            if interrupt:
                self._drop()
            if not text or self._closed or not self._enabled or self._status:
                return 0
            self._count += 1
            self._queue.append(_Utterance(self._count, text, threading.Event()))
            self._lock.notify_all()
            return self._count

    def stop(self) -> None:
        """Silence at once and drop everything queued."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        self._queue.clear()
        if self._current is not None:
            self._current.cancel.set()
        self._hush = True  # and what a screen reader still has queued, from the speech thread
        self._lock.notify_all()

    def set_voice(self, voice_id: str | None) -> None:
        """Use this voice (an id from `voices()`) from the next utterance on; None for the default."""
        self._set("voice", voice_id)

    def set_rate(self, words_per_minute: int | None) -> None:
        """Speaking rate in words per minute from the next utterance on; None for the default."""
        self._set("rate", words_per_minute)

    def set_volume(self, volume: float) -> None:
        """Loudness from 0.0 to 1.0, from the next utterance on."""
        self._set("volume", max(0.0, min(1.0, float(volume))))

    def set_speak_with(self, speak_with: str) -> None:
        """ "screen-reader", "own-voice" or "both" (config.SPEAK_WITH), from the next utterance on."""
        self._set("speak_with", speak_with)

    def _set(self, name: str, value: Any) -> None:
        with self._lock:
            self._settings[name] = value
            self._lock.notify_all()

    # -- state

    @property
    def enabled(self) -> bool:
        """Whether speech is on; turning it off silences what is playing."""
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        with self._lock:
            self._enabled = bool(value)
            if not value:
                self._drop()

    @property
    def status_message(self) -> str:
        """Why speech is unavailable (one sentence), or "" while it works."""
        return self._status

    @property
    def description(self) -> str:
        """What speaks, once the speech thread has started ("espeak-ng 1.51, played with paplay")."""
        return self._description

    @property
    def screen_reader(self) -> str | None:
        """How the screen reader is reached ("Orca through speech-dispatcher (…)"), or None while the
        app speaks with its own voice."""
        return self._reader

    @property
    def busy(self) -> bool:
        """Whether something is being spoken or waits to be."""
        with self._lock:
            return self._busy()

    def _busy(self) -> bool:
        return self._current is not None or bool(self._queue)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        """Wait until the speech engine has started (or failed to); False if it took longer than `timeout`."""
        return self._ready.wait(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything queued has been spoken or dropped; False if it took longer than `timeout`."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._busy(), timeout)

    def voices(self) -> list[Voice]:
        """The voices the engine offers (empty when it is not working or not started within a deadline)."""
        self._ready.wait(READY_TIMEOUT)
        return list(self._voices)

    def default_voice(self) -> Voice | None:
        self._ready.wait(READY_TIMEOUT)
        return self._default_voice

    def close(self, timeout: float = 2.0) -> bool:
        """Silence, stop the speech thread, and wait for it up to `timeout`; True if it ended in time."""
        with self._lock:
            self._closed = True
            self._drop()
        if threading.current_thread() is self._thread:
            return False  # called from an event handler: the thread ends when the handler returns
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the speech thread

    def _run(self, backend_factory: Callable[[], SpeechBackend]) -> None:
        backend = self._start(backend_factory)
        try:
            while True:
                with self._lock:
                    self._lock.wait_for(
                        lambda: self._closed or self._hush or bool(self._queue) or bool(self._settings)
                    )
                    if self._closed:
                        return
                    hush, self._hush = self._hush, False
                    settings, self._settings = self._settings, {}
                    utterance = self._queue.popleft() if self._queue else None
                    self._current = utterance
                if hush:
                    self._silence(backend)
                self._apply(backend, settings)
                if utterance is not None:
                    backend = self._speak(backend, utterance)
                    with self._lock:
                        self._current = None
                        self._lock.notify_all()
                self._reader = getattr(backend, "reader", None)
        finally:
            with self._lock:
                self._current = None
                self._queue.clear()
                self._lock.notify_all()
            try:
                backend.close()
            except Exception:
                log.exception("The speech engine did not close cleanly")

    def _start(self, backend_factory: Callable[[], SpeechBackend]) -> SpeechBackend:
        try:
            backend = backend_factory()
            self._voices = backend.voices()
            self._default_voice = backend.default_voice()
            self._description = backend.description
            self._reader = getattr(backend, "reader", None)
        except Exception as error:
            log.warning(
                "Speech could not start: %s", error, exc_info=not isinstance(error, SpeechUnavailable)
            )
            backend = self._fail(0, failure_message(error))
        if isinstance(backend, SilentBackend) and not self._status:
            backend = self._fail(0, backend.reason)
        self._ready.set()
        return backend

    def _silence(self, backend: SpeechBackend) -> None:
        try:
            backend.silence()
        except Exception:
            log.exception("The speech engine could not be silenced")

    def _apply(self, backend: SpeechBackend, settings: dict[str, Any]) -> None:
        for name, value in settings.items():
            try:
                getattr(backend, f"set_{name}")(value)
            except Exception:
                log.exception("The speech engine could not set %s to %r", name, value)

    def _speak(self, backend: SpeechBackend, utterance: _Utterance) -> SpeechBackend:
        started = False

        def on_start() -> None:
            nonlocal started
            if not started:
                started = True
                self._emit("started", utterance.number, utterance.text)

        try:
            completed = backend.speak(utterance.text, utterance.cancel, on_start)
        except Exception as error:
            log.warning("Speech failed: %s", error, exc_info=not isinstance(error, SpeechUnavailable))
            try:
                backend.close()
            except Exception:
                log.exception("The failed speech engine did not close cleanly")
            return self._fail(utterance.number, failure_message(error))
        if started:
            self._emit("finished" if completed else "stopped", utterance.number, utterance.text)
        return backend

    def _fail(self, number: int, message: str) -> SilentBackend:
        with self._lock:
            self._status = message
            self._queue.clear()
            self._lock.notify_all()
        self._emit("failed", number, message)
        return SilentBackend(message)

    def _emit(self, kind: str, number: int, text: str) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(kind, number, text)
        except Exception:
            log.exception("The speech event handler failed on %s", kind)


def create_speaker(
    speech_to: Path | None = None,
    enabled: bool = True,
    voice: str | None = None,
    rate: int | None = None,
    volume: float | None = None,
    on_event: EventCallback | None = None,
    speak_with: str = "own-voice",
) -> Speaker:
    """The app's speaker: through the screen reader as `speak_with` says, and the app's own voice:
    recording to `speech_to` when given, else the system's speech, else silence."""
    own_voice: Callable[[], SpeechBackend]
    if speech_to is not None:
        directory = Path(speech_to)

        def own_voice() -> SpeechBackend:
            return RecordingBackend(directory)
    else:
        own_voice = default_backend

    def factory() -> SpeechBackend:
        return ScreenReaderBackend(own_voice, speak_with)

    return Speaker(factory, enabled=enabled, voice=voice, rate=rate, volume=volume, on_event=on_event)
