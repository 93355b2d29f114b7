"""Listening: voice-activity detection on espeak-ng speech fed in blocks, and the microphone's failures
(PortAudio replaced by fakes that behave like a device, a busy device, or none)."""

from __future__ import annotations

import itertools
import threading
from typing import ClassVar

import numpy as np
import pytest
import sounddevice

from assistant.speech import microphone
from assistant.speech.microphone import Listener, Microphone, listen_to_microphone, recording_blocks
from assistant.speech.stt import SAMPLE_RATE, NoSpeechError, SpeechInputError, decode_file

QUESTION = "How many people are in the picture?"
SECOND = SAMPLE_RATE


@pytest.fixture(scope="module")
def speech(speak) -> np.ndarray:
    """The question at 16 kHz (resampled from espeak-ng's 22.05 kHz by the file path)."""
    return decode_file(speak(QUESTION))


def bounds(samples: np.ndarray, level: float = 0.01) -> tuple[int, int]:
    loud = np.flatnonzero(np.abs(samples) > level)
    return int(loud[0]), int(loud[-1])


class Counted:
    """A block source that remembers how many samples it has handed out."""

    def __init__(self, samples: np.ndarray, block: int = 1000) -> None:
        self.samples, self.block, self.given = samples, block, 0

    def __iter__(self):
        for block in recording_blocks(self.samples, block=self.block):
            self.given += block.size
            yield block


def padded(speech: np.ndarray, before: float = 1.0, after: float = 3.0, noise: float = 0.0) -> np.ndarray:
    audio = np.concatenate([np.zeros(int(before * SECOND)), speech, np.zeros(int(after * SECOND))])
    if noise:
        audio = audio + np.random.default_rng(7).normal(0, noise, audio.size)
    return audio.astype(np.float32)


def test_listener_ends_after_silence_and_trims(speech, transcriber, audio_io):
    audio = padded(speech)
    start, end = bounds(audio)
    source = Counted(audio)
    utterance = Listener().listen(source)
    assert source.given < audio.size  # ended by itself, not by running out of audio
    assert end + 1.0 * SECOND <= source.given <= end + 1.0 * SECOND + 0.15 * SECOND
    assert (end - start) <= utterance.size <= (end - start) + 0.6 * SECOND
    last_sound = bounds(utterance, 1e-3)[1]
    assert utterance.size - last_sound <= (0.2 + 0.03) * SECOND  # trailing silence trimmed to the tail
    assert audio_io.wer(QUESTION, transcriber.transcribe(utterance)) <= 0.2


def test_speech_start_is_announced_at_once(speech):
    audio = padded(speech)
    onset = bounds(audio)[0]
    source = Counted(audio, block=480)
    heard_at: list[int] = []
    listener = Listener(on_speech_start=lambda: heard_at.append(source.given))
    listener.listen(source)
    assert len(heard_at) == 1
    assert onset <= heard_at[0] <= onset + 0.2 * SECOND
    assert listener.speech_started


def test_noise_floor_adapts_to_a_noisy_room(speech, transcriber, audio_io):
    audio = padded(speech, before=2.0, noise=0.01)  # steady hiss twice the absolute minimum level
    onset = bounds(padded(speech, before=2.0))[0]
    source = Counted(audio)
    heard_at: list[int] = []
    listener = Listener(on_speech_start=lambda: heard_at.append(source.given))
    utterance = listener.listen(source)
    assert heard_at and heard_at[0] >= onset  # the hiss itself was not taken for speech
    assert 0.005 < listener.noise_floor < 0.02
    assert source.given < audio.size and utterance.size < speech.size + SECOND
    assert audio_io.wer(QUESTION, transcriber.transcribe(utterance)) <= 0.35


def test_stop_ends_listening_early(speech):
    audio = padded(speech)
    onset = bounds(audio)[0]
    listener = Listener()

    def source():
        for given, block in enumerate(recording_blocks(audio, block=800), 1):
            if given * 800 >= onset + 0.6 * SECOND:
                listener.stop()
            yield block

    utterance = listener.listen(source())
    assert 0.6 * SECOND <= utterance.size <= (0.3 + 0.6 + 0.2) * SECOND


def test_stop_from_another_thread_while_listening_live(speech):
    started = threading.Event()
    listener = Listener(on_speech_start=started.set)
    result: list[np.ndarray] = []
    worker = threading.Thread(
        target=lambda: result.append(listener.listen(recording_blocks(padded(speech), realtime=True)))
    )
    worker.start()
    assert started.wait(timeout=10)
    listener.stop()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert 0 < result[0].size < speech.size


def test_stop_before_speech_gives_nothing(speech):
    listener = Listener()
    listener.stop()
    assert listener.listen(recording_blocks(padded(speech))).size == 0


def test_silence_is_no_speech():
    with pytest.raises(NoSpeechError) as caught:
        Listener().listen(recording_blocks(np.zeros(3 * SECOND, np.float32)))
    assert str(caught.value).endswith(".")
    endless = itertools.repeat(np.zeros(480, np.float32))
    with pytest.raises(NoSpeechError):
        Listener(wait_s=2.0).listen(endless)


def test_maximum_length(speech):
    _start, end = bounds(speech)
    talk = np.concatenate([speech[: end + 1]] * 4)  # no pause long enough to end the utterance
    source = Counted(padded(talk))
    utterance = Listener(max_s=2.5).listen(source)
    assert utterance.size <= 2.5 * SECOND + 480
    assert source.given < 1.0 * SECOND + talk.size


class FakeStream:
    """Stands in for sounddevice.InputStream: a PortAudio thread delivering blocks to the callback."""

    instances: ClassVar[list[FakeStream]] = []

    def __init__(self, audio: np.ndarray | None, **kwargs):
        self.kwargs, self.audio, self.closed = kwargs, audio, False
        self._halt = threading.Event()
        FakeStream.instances.append(self)

    def start(self):
        if self.audio is not None:
            threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        size = self.kwargs["blocksize"]
        for begin in range(0, self.audio.size - size + 1, size):
            if self._halt.is_set():
                return
            self.kwargs["callback"](self.audio[begin : begin + size, None], size, None, None)

    def abort(self):
        self._halt.set()

    def close(self):
        self.closed = True


DEVICES = [
    {"name": "HDMI output", "max_input_channels": 0, "default_samplerate": 48000.0},
    {"name": "USB headset", "max_input_channels": 1, "default_samplerate": 44100.0},
    {"name": "Built-in microphone", "max_input_channels": 2, "default_samplerate": 48000.0},
]


@pytest.fixture
def portaudio(monkeypatch):
    """A fake sound system with two input devices; set .audio (at .rate) or .error to change it."""
    state = type("State", (), {"audio": None, "rate": SAMPLE_RATE, "error": None, "rate_error": False})()
    FakeStream.instances.clear()

    def query_devices(device=None, kind=None):
        if device is None and kind is None:
            return DEVICES
        return DEVICES[device if isinstance(device, int) else 1]

    def check_input_settings(device=None, samplerate=None, **kwargs):
        if isinstance(device, str) and not any(device in d["name"] for d in DEVICES):
            raise ValueError(f"No input device matching {device!r}")
        if state.rate_error and samplerate == SAMPLE_RATE:
            raise sounddevice.PortAudioError("Invalid sample rate [PaErrorCode -9997]")

    def input_stream(**kwargs):
        if state.error is not None:
            raise state.error
        return FakeStream(state.audio, **kwargs)

    monkeypatch.setattr(sounddevice, "query_devices", query_devices)
    monkeypatch.setattr(sounddevice, "check_input_settings", check_input_settings)
    monkeypatch.setattr(sounddevice, "InputStream", input_stream)
    return state


def test_input_devices_lists_only_inputs(portaudio):
    assert microphone.input_devices() == [(1, "USB headset"), (2, "Built-in microphone")]


def test_microphone_feeds_the_listener(portaudio, speech, transcriber, audio_io):
    portaudio.audio = padded(speech, before=0.5, after=2.0)
    heard = threading.Event()
    utterance = listen_to_microphone(Listener(on_speech_start=heard.set), device="USB headset")
    assert heard.is_set()
    stream = FakeStream.instances[-1]
    assert stream.closed
    assert stream.kwargs["samplerate"] == SAMPLE_RATE and stream.kwargs["channels"] == 1
    assert stream.kwargs["dtype"] == "float32" and stream.kwargs["device"] == "USB headset"
    assert audio_io.wer(QUESTION, transcriber.transcribe(utterance)) <= 0.2


def test_device_without_16_khz_is_resampled(portaudio, speech, transcriber, audio_io):
    from assistant.speech.stt import resample

    portaudio.rate_error = True
    portaudio.audio = resample(padded(speech, before=0.5, after=2.0), SAMPLE_RATE, 44100)
    utterance = listen_to_microphone(Listener(), device=1)
    assert FakeStream.instances[-1].kwargs["samplerate"] == 44100
    assert audio_io.wer(QUESTION, transcriber.transcribe(utterance)) <= 0.2


@pytest.mark.parametrize(
    ("error", "device", "expected"),
    [
        (
            "Error opening InputStream: Device unavailable [PaErrorCode -9985]",
            None,
            "busy in another program",
        ),
        ("Error opening InputStream: Permission denied", None, "not allowed to use the microphone"),
        ("Error querying device -1", None, "No microphone was found"),
        (
            "Error opening InputStream: Unanticipated host error [PaErrorCode -9999]",
            None,
            "could not be opened",
        ),
        (None, "Bluetooth earbuds", "'Bluetooth earbuds' chosen in Settings is not available"),
    ],
)
def test_microphone_failures_are_one_sentence(portaudio, error, device, expected):
    if error is not None:
        portaudio.error = sounddevice.PortAudioError(error)
    with pytest.raises(SpeechInputError) as caught, Microphone(device):
        pass
    message = str(caught.value)
    assert expected in message and message.endswith(".") and "\n" not in message


def test_no_microphone_at_all(portaudio, monkeypatch):
    monkeypatch.setattr(sounddevice, "query_devices", lambda *a, **k: DEVICES[:1])
    with pytest.raises(SpeechInputError, match="No microphone was found"):
        listen_to_microphone(Listener())
    assert FakeStream.instances == []


def test_silent_device_times_out(portaudio):
    with pytest.raises(SpeechInputError, match="stopped sending sound"), Microphone(timeout_s=0.2) as mic:
        Listener().listen(mic)
    assert FakeStream.instances[-1].closed
