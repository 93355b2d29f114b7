"""espeak-ng: the Linux voice. espeak-ng synthesises, a sound player (paplay, aplay or sox) plays.

Stopping kills both processes, so silence is immediate. pyttsx3's own espeak driver plays through an
`aplay` call it cannot interrupt and reports no playback errors, so it is not used here.
`EspeakSynthesizer` (text in, WAV out) is shared with the recording backend.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from assistant.i18n import SOURCE_LANGUAGE, _
from assistant.i18n import language as app_language
from assistant.speech.backend import (
    POLL,
    STOP_GRACE,
    SpeechBackend,
    SpeechUnavailable,
    clamp_rate,
    speaking_time_limit,
)
from assistant.speech.voices import Voice, parse_espeak_voices

log = logging.getLogger(__name__)


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

    def write_wav(self, file: BinaryIO) -> None:
        with wave.open(file, "wb") as out:
            out.setnchannels(self.channels)
            out.setsampwidth(self.sample_width)
            out.setframerate(self.rate)
            out.writeframes(self.frames)


def _espeak_missing() -> SpeechUnavailable:
    return SpeechUnavailable(_("espeak-ng is not installed"), _("install espeak-ng to hear it"))


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
        self._language_voices: dict[str, str | None] = {}

    def command(self) -> list[str]:
        """The command that reads text on stdin and writes WAV on stdout."""
        command = [self.executable, "--stdin", "--stdout", "-b", "1"]
        voice = self.voice or self.language_voice()
        if voice:
            command += ["-v", voice]
        if self.rate:
            command += ["-s", str(self.rate)]
        if self.volume != 1.0:
            command += ["-a", str(round(self.volume * 100))]
        return command

    def language_voice(self) -> str | None:
        """Where no voice is chosen: espeak-ng's voice of the language the app speaks ("es-419" for
        Spanish); None for English, or where espeak-ng has none of it (its English is spoken)."""
        spoken = app_language()
        if spoken == SOURCE_LANGUAGE:
            return None
        if spoken not in self._language_voices:
            known = self._known()
            found = [tag for tag in _LANGUAGE_VOICES.get(spoken, (spoken,)) if tag.lower() in known]
            self._language_voices[spoken] = found[0] if found else None
        return self._language_voices[spoken]

    def _known(self) -> set[str]:
        """Every voice id and language code espeak-ng answers to, lower-case."""
        known = {voice.id.lower() for voice in self.voices()}
        return known | {code.lower() for voice in self.voices() for code in voice.languages}

    def time_limit(self, text: str) -> float:
        """A generous deadline for speaking `text` aloud at the chosen rate, in seconds."""
        return speaking_time_limit(text, self.rate)

    def synthesize(self, text: str, timeout: float = 30.0) -> Audio:
        """`text` as audio, in memory."""
        try:
            done = subprocess.run(
                self.command(), input=text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
            )
        except FileNotFoundError:
            raise _espeak_missing() from None
        except subprocess.TimeoutExpired:
            raise SpeechUnavailable(
                _("espeak-ng stopped responding"), _("restart the app to try again")
            ) from None
        if done.returncode != 0 or len(done.stdout) < 44:
            detail = _last_line(done.stderr) or _("exit status {returncode}").format(
                returncode=done.returncode
            )
            raise SpeechUnavailable(
                _("espeak-ng failed: {detail}").format(detail=detail), _("reinstall espeak-ng to hear it")
            )
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
        """The voice spoken when none is chosen: the app's language's (`language_voice`), else
        espeak-ng's own choice for English."""
        wanted = self.language_voice()
        if wanted is not None:
            for voice in self.voices():
                if voice.id.rsplit("/", 1)[-1] == wanted:
                    return voice
        done = subprocess.run([self.executable, "--voices=en"], capture_output=True, text=True, timeout=10)
        voices = parse_espeak_voices(done.stdout)
        return voices[0] if voices else None

    def set_voice(self, voice_id: str | None) -> None:
        if voice_id is None:
            self.voice = None
            return
        known = self._known()
        if voice_id.lower() in known:
            self.voice = voice_id
        else:
            log.warning("espeak-ng has no voice %r; keeping the current one", voice_id)

    def set_rate(self, words_per_minute: int | None) -> None:
        self.rate = None if words_per_minute is None else clamp_rate(words_per_minute)

    def set_volume(self, volume: float) -> None:
        self.volume = max(0.0, min(1.0, float(volume)))


# The espeak-ng voice a language is spoken with, best first: Spanish as the catalogue writes it,
# Latin-American neutral.
_LANGUAGE_VOICES = {"es": ("es-419", "es")}


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


class EspeakVoice(SpeechBackend):
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


class EspeakBackend(EspeakVoice):
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
                _("no sound player was found"), _("install pulseaudio-utils or alsa-utils to hear it")
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
        return _("{version}, played with {player}").format(version=self.synth.version(), player=self.player)

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
                            _("{name} stopped responding").format(name=Path(player[0]).name),
                            _("restart the app to try again"),
                        )
                with contextlib.suppress(subprocess.TimeoutExpired):
                    synth.wait(timeout=STOP_GRACE)
                if sink.returncode != 0:
                    player_errors.seek(0)
                    detail = _last_line(player_errors.read()) or _("exit status {returncode}").format(
                        returncode=sink.returncode
                    )
                    log.warning("%s could not play speech: %s", player[0], detail)
                    return None
                if synth.returncode not in (0, None):
                    synth_errors.seek(0)
                    detail = _last_line(synth_errors.read()) or _("exit status {returncode}").format(
                        returncode=synth.returncode
                    )
                    raise SpeechUnavailable(
                        _("espeak-ng failed: {detail}").format(detail=detail),
                        _("reinstall espeak-ng to hear it"),
                    )
                return True
            finally:
                for process in processes:
                    _kill(process)


def _no_sound_device() -> SpeechUnavailable:
    return SpeechUnavailable(
        _("no sound device could be opened"),
        _("check that a sound device is connected and turned on, then restart the app to hear it"),
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
