"""Hearing a spoken question: microphone capture and voice-activity detection.

Audio travels as blocks of 16 kHz mono float32 samples. A `Listener` reads blocks from any source
(a `Microphone`, or `recording_blocks` feeding a recording through the very same path), waits for
speech, and returns the utterance once about a second of silence follows it, when `stop()` is
called, or at its maximum length. Recordings stay in memory; nothing is written to disk.

Typical use on a worker thread::

    listener = Listener(on_speech_start=stop_talking)   # one Listener per utterance
    samples = listen_to_microphone(listener, device=settings_device)
    text = transcriber.transcribe(samples)              # stt.Transcriber, same thread

Another thread may call `listener.stop()` at any time (the hotkey pressed again).
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

from assistant.i18n import N_, _
from assistant.speech.stt import SAMPLE_RATE, NoSpeechError, SpeechInputError, as_mono_float, decode_file

log = logging.getLogger(__name__)

FRAME = 480  # 30 ms at 16 kHz: the unit voice-activity detection works in
FRAME_S = FRAME / SAMPLE_RATE
INITIAL_FLOOR_CAP = 0.02  # about -34 dBFS: a first frame louder than this is taken for speech, not noise
# Said in the user's language where it is said: _(NO_MICROPHONE).
NO_MICROPHONE = N_(
    "No microphone was found; plug one in or choose another input device in Settings, "
    "and type your question meanwhile."
)


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError:  # the PortAudio library itself is missing
        raise SpeechInputError(
            _(
                "The sound library PortAudio is not installed, so the microphone cannot be used; "
                "install PortAudio (libportaudio2) or type your question."
            )
        ) from None
    return sounddevice


def input_devices() -> list[tuple[int, str]]:
    """(index, name) of every device that can record; empty when there is none."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
    except sd.PortAudioError as error:
        log.info("cannot list audio devices: %s", error)
        return []
    return [(index, str(d["name"])) for index, d in enumerate(devices) if d["max_input_channels"] > 0]


def _friendly(error: Exception, device: int | str | None) -> SpeechInputError:
    """One sentence for a PortAudio failure to open or run the microphone."""
    text = str(error).lower()
    if any(s in text for s in ("permission", "access denied", "not permitted", "-9986")):
        return SpeechInputError(
            _(
                "The app is not allowed to use the microphone; allow microphone access in your system's "
                "privacy settings, or type your question."
            )
        )
    if any(s in text for s in ("unavailable", "busy", "-9985")):
        return SpeechInputError(
            _(
                "The microphone is busy in another program; close that program or choose another input "
                "device in Settings, or type your question."
            )
        )
    if any(s in text for s in ("querying device", "no default input", "invalid device", "no input device")):
        if device is not None:
            return SpeechInputError(
                _(
                    "The input device {device!r} chosen in Settings is not available; choose another one, or type your question."
                ).format(device=device)
            )
        return SpeechInputError(_(NO_MICROPHONE))
    return SpeechInputError(
        _(
            "The microphone could not be opened; check it in your system's sound settings, or type your question."
        )
    )


class Microphone:
    """16 kHz mono float32 blocks from an input device (index or name; None = the system default).

    Use as a context manager, and iterate over it inside. A device that cannot record at 16 kHz is
    opened at its own rate and resampled. If no sound arrives for `timeout_s`, iteration raises.
    """

    def __init__(self, device: int | str | None = None, timeout_s: float = 2.0) -> None:
        self.device = device if device not in ("", "default") else None
        self.timeout_s = timeout_s
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self._stream: Any = None
        self._resampler: Any = None
        self._device_rate = SAMPLE_RATE

    def __enter__(self) -> Microphone:
        sd = _sounddevice()
        if not input_devices():
            raise SpeechInputError(_(NO_MICROPHONE))
        try:
            rate = self._rate(sd)
            self._stream = sd.InputStream(
                samplerate=rate,
                channels=1,
                dtype="float32",
                blocksize=round(FRAME * rate / SAMPLE_RATE),
                device=self.device,
                callback=self._on_block,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as error:
            log.info("cannot open microphone %r: %s", self.device, error)
            self.close()
            raise _friendly(error, self.device) from None
        return self

    def _rate(self, sd: ModuleType) -> int:
        try:
            sd.check_input_settings(device=self.device, channels=1, dtype="float32", samplerate=SAMPLE_RATE)
            return SAMPLE_RATE
        except sd.PortAudioError as error:
            if "sample rate" not in str(error).lower():
                raise
        rate = int(sd.query_devices(self.device, kind="input")["default_samplerate"])
        from av.audio.resampler import AudioResampler

        self._resampler = AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        self._device_rate = rate
        return rate

    def _on_block(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status:
            log.debug("microphone status: %s", status)
        self._queue.put(indata[:, 0].copy())

    def _to_16k(self, block: np.ndarray) -> np.ndarray:
        if self._resampler is None:
            return block
        import av

        frame = av.AudioFrame.from_ndarray(block[None, :], "flt", "mono")
        frame.sample_rate = self._device_rate
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._stream is None:
            raise RuntimeError("use the Microphone inside a with block")
        while True:
            try:
                block = self._queue.get(timeout=self.timeout_s)
            except queue.Empty:
                raise SpeechInputError(
                    _(
                        "The microphone stopped sending sound; check that it is connected, or choose another "
                        "input device in Settings."
                    )
                ) from None
            yield self._to_16k(block)

    def close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.abort()
                self._stream.close()
            except Exception as error:  # closing a failed device must not hide the first error
                log.debug("closing microphone: %s", error)
            self._stream = None

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def recording_blocks(
    recording: str | os.PathLike[str] | np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    block: int = FRAME,
    realtime: bool = False,
) -> Iterator[np.ndarray]:
    """A recording (an audio file, or samples at `sample_rate`) as 16 kHz blocks, like a microphone.

    With `realtime`, blocks come at the pace of speech, so stopping and barge-in behave as live.
    """
    if isinstance(recording, np.ndarray):
        from assistant.speech.stt import resample

        samples = resample(as_mono_float(recording), sample_rate)
    else:
        samples = decode_file(recording)
    for start in range(0, samples.size, block):
        if realtime:
            time.sleep(block / SAMPLE_RATE)
        yield samples[start : start + block]


class Listener:
    """Hears one utterance from a source of 16 kHz blocks, by energy with an adaptive noise floor.

    Speech starts when `min_speech_s` of frames are louder than `ratio` times the noise floor (and
    than `min_level`); `on_speech_start()` is then called at once, on the listening thread (keep it
    short: it is how barge-in stops the app's speech). The utterance ends after `silence_s` of
    quiet, at `max_s`, when the source ends, or when `stop()` is called; it is returned with
    `pre_roll_s` before the speech and `tail_s` after it, trailing silence trimmed. Make a new
    Listener for each utterance.
    """

    def __init__(
        self,
        on_speech_start: Callable[[], None] | None = None,
        silence_s: float = 1.0,
        max_s: float = 30.0,
        wait_s: float = 10.0,
        ratio: float = 3.0,
        min_level: float = 0.005,
        min_speech_s: float = 0.09,
        pre_roll_s: float = 0.3,
        tail_s: float = 0.2,
    ) -> None:
        self.on_speech_start = on_speech_start
        self.silence_s, self.max_s, self.wait_s = silence_s, max_s, wait_s
        self.ratio, self.min_level = ratio, min_level
        self.min_speech_frames = max(1, math.ceil(min_speech_s / FRAME_S))
        self.pre_roll_frames = math.ceil(pre_roll_s / FRAME_S)
        self.tail_frames = math.ceil(tail_s / FRAME_S)
        self.noise_floor: float | None = None
        self.speech_started = False
        self._stop = threading.Event()

    def stop(self) -> None:
        """End listening now (from any thread); `listen` returns what it has heard so far."""
        self._stop.set()

    def listen(self, source: Iterable[np.ndarray]) -> np.ndarray:
        """The utterance as 16 kHz mono float32, or an empty array if stopped before any speech.

        Raises NoSpeechError if the source ends, or `wait_s` of audio pass, before speech starts.
        """
        before: deque[np.ndarray] = deque(maxlen=self.pre_roll_frames + self.min_speech_frames)
        utterance: list[np.ndarray] = []
        last_voiced = 0  # frames of `utterance` up to and including the last voiced one
        voiced_run = quiet_run = heard = 0
        for frame in _frames(source, self._stop):
            heard += 1
            level = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64))))
            if not self.speech_started:
                before.append(frame)
                if self._is_voice(level, starting=True):
                    voiced_run += 1
                else:
                    voiced_run = 0
                    self._track_noise(level)
                if voiced_run < self.min_speech_frames:
                    if heard * FRAME_S >= self.wait_s:
                        raise NoSpeechError()
                    continue
                self.speech_started = True
                utterance = list(before)
                last_voiced = len(utterance)
                log.debug("speech started after %.2f s (noise floor %.4f)", heard * FRAME_S, self.noise_floor)
                if self.on_speech_start is not None:
                    self.on_speech_start()
                continue
            utterance.append(frame)
            if self._is_voice(level, starting=False):
                last_voiced, quiet_run = len(utterance), 0
            else:
                quiet_run += 1
            if quiet_run * FRAME_S >= self.silence_s or len(utterance) * FRAME_S >= self.max_s:
                break
        if not self.speech_started:
            if self._stop.is_set():
                return np.zeros(0, np.float32)
            raise NoSpeechError()
        return np.concatenate(utterance[: last_voiced + self.tail_frames]).astype(np.float32, copy=False)

    def _is_voice(self, level: float, starting: bool) -> bool:
        floor = self.noise_floor if self.noise_floor is not None else level
        threshold = max(self.min_level, floor * self.ratio)
        return level > (threshold if starting else 0.6 * threshold)  # hysteresis keeps soft endings

    def _track_noise(self, level: float) -> None:
        """Follow the background level: quickly down, slowly up (about a second to settle)."""
        if self.noise_floor is None:  # the first frame; capped in case the user is already talking
            self.noise_floor = min(level, INITIAL_FLOOR_CAP)
        elif level < self.noise_floor:
            self.noise_floor = 0.7 * self.noise_floor + 0.3 * level
        else:
            self.noise_floor = 0.97 * self.noise_floor + 0.03 * level


def _frames(source: Iterable[np.ndarray], stop: threading.Event) -> Iterator[np.ndarray]:
    """Re-cut blocks of any size into FRAME-sample frames; ends early once `stop` is set."""
    pending = np.zeros(0, np.float32)
    for block in source:
        if stop.is_set():
            return
        pending = np.concatenate((pending, as_mono_float(block)))
        while pending.size >= FRAME:
            yield pending[:FRAME]
            pending = pending[FRAME:]
            if stop.is_set():
                return
    if pending.size:
        yield pending


def listen_to_microphone(listener: Listener, device: int | str | None = None) -> np.ndarray:
    """Open the microphone, hear one utterance with `listener`, close it; see `Listener.listen`."""
    with Microphone(device) as microphone:
        return listener.listen(microphone)
