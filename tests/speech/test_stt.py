"""Speech-to-text: real recognition of espeak-ng questions with Whisper tiny.en, offline."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.cli.speech import stt_choices
from assistant.config import load_settings
from assistant.engine.base import EngineError
from assistant.errors import UserError
from assistant.speech import stt
from assistant.speech.stt import NoSpeechError, SpeechInputError, Transcriber

REPO = Path(__file__).resolve().parents[2]


def one_sentence(error: BaseException) -> str:
    text = str(error)
    assert text.endswith(".") and "\n" not in text and "Traceback" not in text, text
    return text


def test_word_error_rate_measure(audio_io):
    assert audio_io.wer("What colour is the car?", "what color is the car") == 0
    assert audio_io.wer("What colour is the car?", "what is car") == pytest.approx(2 / 5)
    assert audio_io.wer("a b", "") == 1


def test_spoken_questions_are_recognised(audio_io, transcriber, spoken_questions):
    rates = {q: audio_io.wer(q, transcriber.transcribe_file(wav)) for q, wav in spoken_questions.items()}
    assert len(rates) == len(audio_io.questions) == 8
    assert sum(rates.values()) / len(rates) < 0.35, rates
    assert max(rates.values()) <= 0.5, rates


def test_samples_at_espeak_rate_are_resampled(audio_io, transcriber, speak):
    samples, rate = audio_io.read_wav(speak("How many people are in the picture?"))
    assert rate == 22050
    text = transcriber.transcribe(samples, sample_rate=rate)
    assert audio_io.wer("How many people are in the picture?", text) <= 0.2, text
    int16 = (samples * 32767).astype(np.int16)
    stereo = np.stack([int16, int16], axis=1)
    assert transcriber.transcribe(stereo, sample_rate=rate) == text


def test_resample_keeps_pitch_and_duration():
    rate = 22050
    tone = np.sin(2 * np.pi * 440 * np.arange(rate) / rate).astype(np.float32)
    out = stt.resample(tone, rate)
    assert abs(out.size - 16000) <= 32
    spectrum = np.abs(np.fft.rfft(out[:16000]))
    assert abs(np.argmax(spectrum) - 440) <= 2
    assert stt.resample(tone, 16000) is tone


@pytest.mark.parametrize(
    ("name", "rate", "channels", "codec"),
    [
        ("q-8k.wav", 8000, 1, None),
        ("q-44k-stereo.wav", 44100, 2, None),
        ("q.flac", 48000, 2, "flac"),
        ("q.ogg", 48000, 1, "libopus"),
        ("q.mp3", 44100, 2, "libmp3lame"),
    ],
)
def test_files_in_other_rates_and_formats(
    audio_io, transcriber, speak, tmp_path, name, rate, channels, codec
):
    question = "How many people are in the picture?"  # also clear at telephone bandwidth (8 kHz)
    samples = stt.resample(audio_io.read_wav(speak(question))[0], 22050, rate)
    if codec is None:
        path = audio_io.write_wav(tmp_path / name, samples, rate, channels)
    else:
        path = audio_io.encode(tmp_path / name, samples, rate, codec, channels)
    assert audio_io.wer(question, transcriber.transcribe_file(path)) <= 0.25


def test_bad_audio_is_one_clear_sentence(audio_io, transcriber, tmp_path):
    empty_wav = audio_io.write_wav(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    zero_bytes = tmp_path / "zero.wav"
    zero_bytes.write_bytes(b"")
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(400))
    text = tmp_path / "notes.mp3"
    text.write_text("this is not a recording\n" * 20)
    cases = {
        empty_wav: "empty",
        zero_bytes: "empty",
        corrupt: "could not be read as audio",
        text: "could not be read as audio",
        tmp_path / "missing.wav": "was not found",
        tmp_path: "was not found",
    }
    for path, expected in cases.items():
        with pytest.raises(SpeechInputError) as caught:
            transcriber.transcribe_file(path)
        assert expected in one_sentence(caught.value), path
    assert issubclass(SpeechInputError, UserError) and not issubclass(SpeechInputError, EngineError)


def test_too_long_recordings_are_refused(audio_io, transcriber, tmp_path):
    rng = np.random.default_rng(1)
    minute = rng.normal(0, 0.05, 61 * 16000).astype(np.float32)
    with pytest.raises(SpeechInputError, match="at most 60 seconds") as caught:
        transcriber.transcribe(minute)
    one_sentence(caught.value)
    with pytest.raises(SpeechInputError, match="at most 60 seconds"):
        transcriber.transcribe_file(audio_io.write_wav(tmp_path / "long.wav", minute, 16000))
    with pytest.raises(SpeechInputError, match="at most 60 seconds"):
        transcriber.transcribe(np.zeros(45 * 44100, np.float32) + 0.1, sample_rate=22050)


def test_damaged_silent_and_empty_samples(transcriber):
    with pytest.raises(SpeechInputError, match="empty"):
        transcriber.transcribe(np.zeros(0, np.float32))
    broken = np.full(16000, np.nan, np.float32)
    with pytest.raises(SpeechInputError, match="damaged"):
        transcriber.transcribe(broken)
    with pytest.raises(NoSpeechError) as caught:
        transcriber.transcribe(np.zeros(32000, np.float32))
    one_sentence(caught.value)


def test_model_arguments_that_cannot_work(tmp_path, stt_model_dir):
    with pytest.raises(SpeechInputError, match="no speech-recognition model called 'huge'") as caught:
        Transcriber("huge").load()
    assert "tiny.en" in one_sentence(caught.value)
    with pytest.raises(SpeechInputError, match="does not exist"):
        Transcriber(str(tmp_path / "nowhere" / "model")).load()
    with pytest.raises(SpeechInputError, match=r"model\.bin is missing"):
        Transcriber(tmp_path).load()
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for file in stt_model_dir.iterdir():
        (damaged / file.name).symlink_to(file)
    (damaged / "model.bin").unlink()
    (damaged / "model.bin").write_bytes(os.urandom(4096))
    with pytest.raises(SpeechInputError, match="could not be loaded") as caught:
        Transcriber(damaged, device="cpu").load()
    one_sentence(caught.value)


def test_missing_model_offline_is_one_sentence(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SpeechInputError) as caught:
        Transcriber("tiny.en").transcribe(np.full(16000, 0.1, np.float32))
    assert str(caught.value) == (
        "The speech-recognition model tiny.en is not downloaded and there is no network. "
        "Connect once, or pass --stt-model with a local folder."
    )


def test_missing_model_is_downloaded_with_progress(audio_io, tmp_path, monkeypatch, stt_model_dir, speak):
    """The hub download is replaced by a copy of the packaged model; our wrapper's path is real."""
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    bars: list[str] = []
    requests: list[str] = []

    def fake_snapshot_download(repo_id, *, allow_patterns, local_files_only=False, tqdm_class=None, **kw):
        if local_files_only:
            raise LocalEntryNotFoundError("not cached")
        requests.append(repo_id)
        target = tmp_path / "snapshot"
        target.mkdir()
        for file in stt_model_dir.iterdir():
            with tqdm_class(total=file.stat().st_size, desc="Fetching 4 files") as bar:
                shutil.copyfile(file, target / file.name)
                bar.update(file.stat().st_size)
                bars.append(bar.desc)
        return str(target)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    monkeypatch.setattr(huggingface_hub, "is_offline_mode", lambda: False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    transcriber = Transcriber("tiny.en", device="cpu", progress=True)
    text = transcriber.transcribe_file(speak("What colour is the car?"))
    assert requests == ["Systran/faster-whisper-tiny.en"]
    assert bars and all(desc == "Speech model tiny.en: Fetching 4 files" for desc in bars)
    assert audio_io.wer("What colour is the car?", text) <= 0.2

    def no_network(repo_id, *, local_files_only=False, **kw):
        raise LocalEntryNotFoundError("Got: ConnectError: Name or service not known")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", no_network)
    with pytest.raises(SpeechInputError, match="not downloaded and there is no network"):
        Transcriber("base.en").load()

    def disk_full(repo_id, *, local_files_only=False, **kw):
        if local_files_only:
            raise LocalEntryNotFoundError("not cached")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", disk_full)
    with pytest.raises(SpeechInputError) as caught:
        Transcriber("small.en").load()
    assert str(caught.value) == (
        "The speech-recognition model small.en could not be saved (the disk is full); "
        "free some disk space and try again."
    )


def test_language_and_device_choices():
    assert stt._language_code("en-GB") == "en"
    assert stt._language_code("de_DE") == "de"
    assert stt._language_code("auto") is None
    assert stt._language_code(None) is None
    with pytest.raises(SpeechInputError, match="does not know the language 'xx'"):
        Transcriber("tiny.en", language="xx")
    assert stt.choose_device("cpu") == ("cpu", "int8")
    assert stt.choose_device("cuda") == ("cuda", "float16")
    assert stt.choose_device("cpu", "float32") == ("cpu", "float32")
    import ctranslate2

    expected = "cuda" if ctranslate2.get_cuda_device_count() else "cpu"
    assert stt.choose_device("auto")[0] == expected
    with pytest.raises(SpeechInputError, match="use auto, cpu or cuda"):
        stt.choose_device("tpu")


def test_default_model_follows_environment_and_settings(tmp_path, monkeypatch):
    monkeypatch.delenv(stt.STT_MODEL_ENV, raising=False)
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path))
    assert stt.default_stt_model() == "tiny.en"
    (tmp_path / "settings.toml").write_text('stt_model = "base.en"\nlanguage = "de"\n')
    # The command line reads the settings file and hands the settings in.
    assert stt_choices(argparse.Namespace(stt_model=None, language=None)) == ("base.en", "de")
    settings = load_settings()[0]
    assert stt.default_stt_model(settings) == "base.en"
    assert stt.default_stt_language(settings) == "de"
    monkeypatch.setenv(stt.STT_MODEL_ENV, "small")
    assert stt.default_stt_model(settings) == "small"
    assert Transcriber().model_name == "small"


def test_the_speech_library_reads_no_settings_file(tmp_path, monkeypatch):
    monkeypatch.delenv(stt.STT_MODEL_ENV, raising=False)
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path))
    (tmp_path / "settings.toml").write_text('stt_model = "base.en"\nlanguage = "de"\n')
    assert (stt.default_stt_model(), stt.default_stt_language()) == ("tiny.en", None)
    assert Transcriber().model_name == "tiny.en"


def test_describe_stt_for_doctor(stt_model_dir, tmp_path, monkeypatch):
    lines = stt.describe_stt(str(stt_model_dir))
    assert lines[0] == f"Speech-to-text model: {stt_model_dir} (faster-whisper)"
    assert f"Speech model files: {stt_model_dir}" in lines
    assert any(line.startswith("Speech device: ") and line.endswith(("int8", "float16")) for line in lines)
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    assert any("not downloaded" in line for line in stt.describe_stt("tiny.en"))
    assert any("no speech-recognition model called" in line for line in stt.describe_stt("enormous"))


def test_transcriber_loads_once_and_says_where(transcriber):
    model = transcriber._model
    transcriber.load()
    assert transcriber._model is model and transcriber.loaded
    assert transcriber.summary.endswith("on CPU (int8)")


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", **env}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_transcribe_command(audio_io, stt_model_dir, speak, tmp_path):
    result = cli(
        "transcribe", str(speak("What time does the clock show?")), "--stt-model", str(stt_model_dir)
    )
    assert result.returncode == 0, result.stderr
    assert audio_io.wer("What time does the clock show?", result.stdout) <= 0.2, result.stdout

    bad = cli("transcribe", str(tmp_path / "none.wav"), "--stt-model", str(stt_model_dir))
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.strip() == f"The audio file {tmp_path / 'none.wav'} was not found; check the path."

    offline = cli("transcribe", str(speak("Where is the red button?")), HF_HOME=str(tmp_path / "hf"))
    assert offline.returncode == 1
    assert offline.stderr.strip().splitlines() == [
        "The speech-recognition model tiny.en is not downloaded and there is no network. "
        "Connect once, or pass --stt-model with a local folder."
    ]


def test_transcribe_says_it_moved_a_damaged_settings_file_aside(tmp_path, monkeypatch, capsys):
    from assistant.cli import main

    monkeypatch.delenv(stt.STT_MODEL_ENV, raising=False)
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path))
    (tmp_path / "settings.toml").write_bytes(b"rate = = 3\n")
    assert main(["transcribe", str(tmp_path / "none.wav")]) == 1
    (kept,) = tmp_path.glob("settings.broken-*.toml")
    assert capsys.readouterr().err.splitlines() == [
        f"The settings file was damaged, so it was kept as {kept} and the default settings are used.",
        f"The audio file {tmp_path / 'none.wav'} was not found; check the path.",
    ]
