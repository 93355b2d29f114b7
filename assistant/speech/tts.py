"""Text-to-speech: one thread owns the speech engine, every other thread sends it requests.

`Speaker` is what the app uses: `say`, `stop`, voice/rate/volume, and events telling the UI what was
spoken. Behind it sits one of a few backends, all driven only from the speech thread:

- `EspeakBackend` (Linux): espeak-ng synthesises, a sound player (paplay, aplay or sox) plays; stopping
  kills both processes, so silence is immediate. pyttsx3's own espeak driver plays through an `aplay`
  call it cannot interrupt and reports no playback errors, so it is not used here.
- `Pyttsx3Backend` (Windows: SAPI5, macOS: NSSpeechSynthesizer): pyttsx3 with an external loop
  (`startLoop(False)` + `iterate()`) driven by the speech thread, which calls `engine.stop()` on request.
- `RecordingBackend`: writes each utterance as DIR/NNNN.wav + DIR/NNNN.txt and "plays" it in real time,
  so stopping is observable (`assistant run --speech-to DIR`, and tests).
- `SilentBackend`: says nothing and remembers why; the app shows the text instead.

Any backend failure switches the speaker to the silent backend and reports it once, in one sentence.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.speech.voices import Voice, from_pyttsx3, parse_espeak_voices

log = logging.getLogger(__name__)

EventCallback = Callable[[str, int, str], None]
"""on_event(kind, n, text_or_message): "started", "finished", "stopped" (text) or "failed" (message)."""

READY_TIMEOUT = 10.0  # seconds to wait for the speech thread to start its engine
STOP_GRACE = 1.0  # seconds a backend may take to fall silent after being told to stop
POLL = 0.02  # seconds between checks while speaking (never while idle)
DEFAULT_WPM = 175


class SpeechUnavailable(Exception):
    """Speech cannot work; `str(error)` is the one sentence shown to the user."""

    def __init__(self, reason: str, remedy: str) -> None:
        self.reason = reason
        self.remedy = remedy
        super().__init__(unavailable_message(reason, remedy))


def unavailable_message(reason: str, remedy: str) -> str:
    """The sentence the user reads when speech does not work."""
    return f"Speech is not working ({reason}). The text is shown instead; {remedy}."


def _failure_message(error: BaseException) -> str:
    if isinstance(error, SpeechUnavailable):
        return str(error)
    detail = " ".join(str(error).split())[:120] or type(error).__name__
    return unavailable_message(f"the speech engine failed: {detail}", "restart the app to try again")


# ---------------------------------------------------------------------------------------------- backends


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


@dataclass(frozen=True)
class Audio:
    """Mono or stereo PCM in memory."""

    frames: bytes
    rate: int
    channels: int = 1
    sample_width: int = 2

    @property
    def frame_count(self) -> int:
        return len(self.frames) // (self.channels * self.sample_width)

    @property
    def duration(self) -> float:
        return self.frame_count / self.rate

    def head(self, seconds: float) -> Audio:
        """The first `seconds` of this audio."""
        frames = max(0, min(self.frame_count, int(seconds * self.rate)))
        return Audio(self.frames[: frames * self.channels * self.sample_width], self.rate, self.channels)

    def write_wav(self, file: io.BufferedIOBase | Any) -> None:
        with wave.open(file, "wb") as out:
            out.setnchannels(self.channels)
            out.setsampwidth(self.sample_width)
            out.setframerate(self.rate)
            out.writeframes(self.frames)


def _espeak_missing() -> SpeechUnavailable:
    return SpeechUnavailable("espeak-ng is not installed", "install espeak-ng to hear it")


class EspeakSynthesizer:
    """espeak-ng's command line with the chosen voice, rate and volume: text in, WAV out."""

    def __init__(self, executable: str | None = None) -> None:
        found = executable or shutil.which("espeak-ng")
        if not found:
            raise _espeak_missing()
        self.executable = found
        self.voice: str | None = None
        self.rate: int | None = None
        self.volume = 1.0
        self._voices: list[Voice] | None = None

    def command(self) -> list[str]:
        """The command that reads text on stdin and writes WAV on stdout."""
        command = [self.executable, "--stdin", "--stdout", "-b", "1"]
        if self.voice:
            command += ["-v", self.voice]
        if self.rate:
            command += ["-s", str(self.rate)]
        if self.volume != 1.0:
            command += ["-a", str(round(self.volume * 100))]
        return command

    def time_limit(self, text: str) -> float:
        """A generous deadline for speaking `text` aloud, in seconds."""
        minutes = len(text.split()) / (self.rate or DEFAULT_WPM)
        return 10.0 + 3.0 * 60.0 * minutes

    def synthesize(self, text: str, timeout: float = 30.0) -> Audio:
        """`text` as audio, in memory."""
        try:
            done = subprocess.run(
                self.command(), input=text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
            )
        except FileNotFoundError:
            raise _espeak_missing() from None
        except subprocess.TimeoutExpired:
            raise SpeechUnavailable("espeak-ng stopped responding", "restart the app to try again") from None
        if done.returncode != 0 or len(done.stdout) < 44:
            detail = _last_line(done.stderr) or f"exit status {done.returncode}"
            raise SpeechUnavailable(f"espeak-ng failed: {detail}", "reinstall espeak-ng to hear it")
        # espeak-ng streams its WAV to stdout, so the header's length field is a placeholder: read to the end.
        with wave.open(io.BytesIO(done.stdout), "rb") as wav:
            frames = wav.readframes(wav.getnframes())
            return Audio(frames, wav.getframerate(), wav.getnchannels(), wav.getsampwidth())

    def version(self) -> str:
        done = subprocess.run([self.executable, "--version"], capture_output=True, text=True, timeout=10)
        match = re.search(r"text-to-speech:\s*([\w.+-]+)", done.stdout)
        return f"espeak-ng {match.group(1)}" if match else "espeak-ng"

    def voices(self) -> list[Voice]:
        if self._voices is None:
            done = subprocess.run([self.executable, "--voices"], capture_output=True, text=True, timeout=10)
            self._voices = parse_espeak_voices(done.stdout)
        return list(self._voices)

    def default_voice(self) -> Voice | None:
        """espeak-ng's own choice for English, which is what it speaks when no voice is given."""
        done = subprocess.run([self.executable, "--voices=en"], capture_output=True, text=True, timeout=10)
        voices = parse_espeak_voices(done.stdout)
        return voices[0] if voices else None

    def set_voice(self, voice_id: str | None) -> None:
        if voice_id is None:
            self.voice = None
            return
        known = {voice.id.lower() for voice in self.voices()}
        known |= {language.lower() for voice in self.voices() for language in voice.languages}
        if voice_id.lower() in known:
            self.voice = voice_id
        else:
            log.warning("espeak-ng has no voice %r; keeping the current one", voice_id)

    def set_rate(self, words_per_minute: int | None) -> None:
        self.rate = None if words_per_minute is None else max(80, min(450, int(words_per_minute)))

    def set_volume(self, volume: float) -> None:
        self.volume = max(0.0, min(1.0, float(volume)))


def _last_line(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


# Sound players that read a WAV stream on stdin, in order of preference.
PLAYERS: tuple[tuple[str, ...], ...] = (
    ("paplay",),
    ("aplay", "-q"),
    ("play", "-q", "-t", "wav", "-"),
)


class _EspeakVoice(SpeechBackend):
    """Voice, rate and volume for the backends that speak through an EspeakSynthesizer (`self.synth`)."""

    synth: EspeakSynthesizer

    def voices(self) -> list[Voice]:
        return self.synth.voices()

    def default_voice(self) -> Voice | None:
        return self.synth.default_voice()

    def set_voice(self, voice_id: str | None) -> None:
        self.synth.set_voice(voice_id)

    def set_rate(self, words_per_minute: int | None) -> None:
        self.synth.set_rate(words_per_minute)

    def set_volume(self, volume: float) -> None:
        self.synth.set_volume(volume)


class EspeakBackend(_EspeakVoice):
    """Real speech on Linux: espeak-ng piped into a sound player, both killed at once on stop."""

    def __init__(
        self, synthesizer: EspeakSynthesizer | None = None, players: tuple[tuple[str, ...], ...] = PLAYERS
    ):
        self.synth = synthesizer or EspeakSynthesizer()
        self._players = [
            (path, *player[1:]) for player in players if (path := shutil.which(player[0])) is not None
        ]
        if not self._players:
            raise SpeechUnavailable(
                "no sound player was found", "install pulseaudio-utils or alsa-utils to hear it"
            )
        # Find a player that can reach a sound device now, so a broken setup is reported before the first
        # words are lost rather than after.
        self._players = [player for player in self._players if _plays_silence(player)]
        if not self._players:
            raise _no_sound_device()

    @property
    def player(self) -> str:
        """The sound player in use ("paplay")."""
        return Path(self._players[0][0]).name if self._players else "nothing"

    @property
    def description(self) -> str:
        return f"{self.synth.version()}, played with {self.player}"

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        while self._players:
            if cancel.is_set():
                return False
            outcome = self._play(self._players[0], text, cancel, on_start)
            if outcome is not None:
                return outcome
            self._players.pop(0)  # this player lost its sound device: try the next one
        raise _no_sound_device()

    def _play(
        self, player: tuple[str, ...], text: str, cancel: threading.Event, on_start: Callable[[], None]
    ) -> bool | None:
        """True: spoken; False: stopped; None: the player failed to play."""
        with tempfile.TemporaryFile() as synth_errors, tempfile.TemporaryFile() as player_errors:
            try:
                synth = subprocess.Popen(
                    self.synth.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=synth_errors
                )
            except OSError:
                raise _espeak_missing() from None
            try:
                sink = subprocess.Popen(
                    player, stdin=synth.stdout, stdout=subprocess.DEVNULL, stderr=player_errors
                )
            except OSError as error:
                _kill(synth)
                log.warning("%s could not start: %s", player[0], error)
                return None
            assert synth.stdout is not None and synth.stdin is not None
            synth.stdout.close()  # the player holds the read end now
            processes = (synth, sink)
            try:
                try:
                    synth.stdin.write(text.encode("utf-8"))
                    synth.stdin.close()
                except BrokenPipeError:
                    pass  # espeak-ng already quit; its exit status says why
                on_start()
                deadline = time.monotonic() + self.synth.time_limit(text)
                while sink.poll() is None:
                    if cancel.wait(POLL):
                        return False
                    if time.monotonic() > deadline:
                        raise SpeechUnavailable(
                            f"{Path(player[0]).name} stopped responding", "restart the app to try again"
                        )
                with contextlib.suppress(subprocess.TimeoutExpired):
                    synth.wait(timeout=STOP_GRACE)
                if sink.returncode != 0:
                    player_errors.seek(0)
                    detail = _last_line(player_errors.read()) or f"exit status {sink.returncode}"
                    log.warning("%s could not play speech: %s", player[0], detail)
                    return None
                if synth.returncode not in (0, None):
                    synth_errors.seek(0)
                    detail = _last_line(synth_errors.read()) or f"exit status {synth.returncode}"
                    raise SpeechUnavailable(f"espeak-ng failed: {detail}", "reinstall espeak-ng to hear it")
                return True
            finally:
                for process in processes:
                    _kill(process)


def _no_sound_device() -> SpeechUnavailable:
    return SpeechUnavailable(
        "no sound device could be opened",
        "check that a sound device is connected and turned on, then restart the app to hear it",
    )


def _plays_silence(player: tuple[str, ...], timeout: float = 5.0) -> bool:
    """Whether `player` plays a twentieth of a second of silence without error."""
    wav = io.BytesIO()
    Audio(bytes(2 * 1102), 22050).write_wav(wav)
    try:
        done = subprocess.run(player, input=wav.getvalue(), capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        log.info("%s cannot play sound: %s", player[0], error)
        return False
    if done.returncode != 0:
        log.info("%s cannot play sound: %s", player[0], _last_line(done.stderr) or done.returncode)
    return done.returncode == 0


def _kill(process: subprocess.Popen[bytes]) -> None:
    """End a process now and reap it (with a deadline)."""
    if process.poll() is None:
        with contextlib.suppress(OSError):
            process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


class RecordingBackend(_EspeakVoice):
    """Writes each utterance as DIR/NNNN.wav (real audio) and DIR/NNNN.txt, and "plays" it in real time.

    The .txt is written last and atomically, so a reader that sees it finds the .wav complete. An utterance
    cut off by stop is truncated to what had been played, and its .txt gets a second line "[stopped]".
    """

    def __init__(self, directory: Path, synthesizer: EspeakSynthesizer | None = None) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SpeechUnavailable(
                f"cannot write to {self.directory}: {error.strerror or error}",
                "choose a folder you can write to",
            ) from None
        self.synth = synthesizer or EspeakSynthesizer()
        self._next = 1 + max(
            (int(p.stem) for p in self.directory.glob("[0-9]*.*") if p.stem.isdigit()), default=0
        )

    @property
    def description(self) -> str:
        return f"{self.synth.version()}, recorded to {self.directory}"

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        audio = self.synth.synthesize(text, timeout=self.synth.time_limit(text))
        if cancel.is_set():
            return False  # stopped before a sound was made: nothing to record
        wav_path = self._reserve()
        with wav_path.open("wb") as file:
            audio.write_wav(file)
        on_start()
        began = time.monotonic()
        stopped = cancel.wait(audio.duration)
        if stopped:
            with wav_path.open("wb") as file:
                audio.head(time.monotonic() - began).write_wav(file)
        line = " ".join(text.split())
        _write_atomically(wav_path.with_suffix(".txt"), f"{line}\n[stopped]\n" if stopped else f"{line}\n")
        return not stopped

    def _reserve(self) -> Path:
        """Create the next free DIR/NNNN.wav; never reuses a number."""
        while True:
            number = self._next
            self._next += 1
            wav_path = self.directory / f"{number:04d}.wav"
            if wav_path.with_suffix(".txt").exists():
                continue
            try:
                wav_path.open("xb").close()
            except FileExistsError:
                continue
            return wav_path


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


class Pyttsx3Backend(SpeechBackend):
    """pyttsx3 (SAPI5 on Windows, NSSpeechSynthesizer on macOS) driven by the speech thread's own loop.

    pyttsx3 is not thread-safe, so it is created, iterated and stopped only on the speech thread.
    """

    def __init__(self, driver: str | None = None) -> None:
        if sys.platform == "win32":
            with contextlib.suppress(ImportError):
                import pythoncom  # type: ignore[import-not-found]

                pythoncom.CoInitialize()  # SAPI5 is COM: this thread needs its own apartment
        self._driver = driver or {"win32": "sapi5", "darwin": "nsss"}.get(sys.platform, "espeak")
        try:
            from pyttsx3.engine import Engine

            self._engine = Engine(self._driver)
        except Exception as error:
            log.exception("pyttsx3 could not start")
            detail = " ".join(str(error).split())[:120] or type(error).__name__
            raise SpeechUnavailable(
                f"the system speech engine could not start: {detail}", "reinstall pyttsx3 to hear it"
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

    @property
    def description(self) -> str:
        names = {"sapi5": "SAPI5", "nsss": "NSSpeechSynthesizer", "espeak": "espeak", "avspeech": "AVSpeech"}
        return f"{names.get(self._driver, self._driver)} through pyttsx3"

    def _on_started(self, name: str | None = None) -> None:
        self._started = True

    def _on_finished(self, name: str | None = None, completed: bool = True) -> None:
        self._finished = bool(completed)

    def _on_error(self, name: str | None = None, exception: BaseException | None = None) -> None:
        self._error = exception or RuntimeError("unknown error")

    def _pump(self) -> None:
        self._engine.iterate()
        if sys.platform == "darwin":  # NSSpeechSynthesizer reports progress through this thread's run loop
            from Foundation import NSDate, NSRunLoop  # type: ignore[import-not-found]

            NSRunLoop.currentRunLoop().runUntilDate_(NSDate.dateWithTimeIntervalSinceNow_(POLL))

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        self._finished, self._started, self._error = None, False, None
        self._engine.say(text)
        deadline = time.monotonic() + 10.0 + 3.0 * 60.0 * len(text.split()) / DEFAULT_WPM
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
                raise SpeechUnavailable("the system speech engine stopped responding", "restart the app")
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
        return [from_pyttsx3(voice) for voice in self._get("voices") or []]

    def default_voice(self) -> Voice | None:
        return next((voice for voice in self.voices() if voice.id == self._default_voice_id), None)

    def set_voice(self, voice_id: str | None) -> None:
        voice_id = voice_id or self._default_voice_id
        if voice_id is not None and any(voice.id == voice_id for voice in self.voices()):
            self._set("voice", voice_id)
        elif voice_id is not None:
            log.warning("%s has no voice %r; keeping the current one", self._driver, voice_id)

    def set_rate(self, words_per_minute: int | None) -> None:
        self._set("rate", int(words_per_minute or 200))

    def set_volume(self, volume: float) -> None:
        self._set("volume", max(0.0, min(1.0, float(volume))))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._engine.stop()
            self._engine.endLoop()


def default_backend() -> SpeechBackend:
    """The system's speech: pyttsx3 on Windows and macOS, espeak-ng with a sound player elsewhere."""
    if sys.platform in ("win32", "darwin"):
        return Pyttsx3Backend()
    return EspeakBackend()


# ---------------------------------------------------------------------------------------------- speaker


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
                    self._lock.wait_for(lambda: self._closed or bool(self._queue) or bool(self._settings))
                    if self._closed:
                        return
                    settings, self._settings = self._settings, {}
                    utterance = self._queue.popleft() if self._queue else None
                    self._current = utterance
                self._apply(backend, settings)
                if utterance is not None:
                    backend = self._speak(backend, utterance)
                    with self._lock:
                        self._current = None
                        self._lock.notify_all()
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
        except Exception as error:
            log.warning(
                "Speech could not start: %s", error, exc_info=not isinstance(error, SpeechUnavailable)
            )
            backend = self._fail(0, _failure_message(error))
        if isinstance(backend, SilentBackend) and not self._status:
            backend = self._fail(0, backend.reason)
        self._ready.set()
        return backend

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
            return self._fail(utterance.number, _failure_message(error))
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


# ---------------------------------------------------------------------------------------------- entry points


def create_speaker(
    speech_to: Path | None = None,
    enabled: bool = True,
    voice: str | None = None,
    rate: int | None = None,
    volume: float | None = None,
    on_event: EventCallback | None = None,
) -> Speaker:
    """The app's speaker: recording to `speech_to` when given, else the system's speech, else silence."""
    factory: Callable[[], SpeechBackend]
    if speech_to is not None:
        directory = Path(speech_to)

        def factory() -> SpeechBackend:
            return RecordingBackend(directory)
    else:
        factory = default_backend
    return Speaker(factory, enabled=enabled, voice=voice, rate=rate, volume=volume, on_event=on_event)


def describe_speech(timeout: float = 15.0) -> list[str]:
    """Plain lines for `assistant doctor`: which engine speaks, its voices, how sound is played, or what is
    wrong and what to do."""
    found: list[str] = []

    def probe() -> None:
        try:
            found.extend(_probe_speech())
        except Exception as error:
            found.append(_failure_message(error))

    thread = threading.Thread(target=probe, name="speech-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        reason = f"the speech engine did not answer within {timeout:.0f} seconds"
        return [unavailable_message(reason, "restart the computer's audio service or reinstall the voices")]
    return found


def _probe_speech() -> list[str]:
    if sys.platform in ("win32", "darwin"):
        backend = Pyttsx3Backend()
        try:
            return _voice_lines(backend.description, backend.voices(), backend.default_voice())
        finally:
            backend.close()
    synth = EspeakSynthesizer()
    lines = _voice_lines(synth.version(), synth.voices(), synth.default_voice())
    try:
        lines.append(f"Sound: played with {EspeakBackend(synth).player}.")
    except SpeechUnavailable as error:
        lines.append(str(error))
    return lines


def _voice_lines(engine: str, voices: list[Voice], default: Voice | None) -> list[str]:
    lines = [f"Speech: {engine}.", f"Voices: {len(voices)} installed."]
    if default is not None:
        lines.append(f"Default voice: {default.name} ({default.id}).")
    if not voices:
        lines.append("No voices are installed; install a voice for your language to hear speech.")
    return lines
