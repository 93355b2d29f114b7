"""`assistant ask IMAGE --audio QUESTION.wav`: a spoken question, transcribed and answered (tiny BLIP-2)."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from assistant.cli import main


def _ask(image, *extra, model_dir, audio=None, stt_model_dir=None):
    """`assistant ask IMAGE EXTRA…` with the tiny model; `audio` (and the Whisper model) for a spoken question."""
    spoken = ["--audio", str(audio)] if audio else []
    spoken += ["--stt-model", str(stt_model_dir)] if stt_model_dir else []
    argv = ["ask", str(image), *extra, *spoken, "--model", str(model_dir), "--device", "cpu"]
    return main([*argv, "--precision", "fp32"])


def test_a_spoken_question_is_transcribed_and_answered(
    tmp_path, speak, stt_model_dir, tiny_model_dir, audio_io, capsys
):
    image = tmp_path / "screen.png"
    Image.new("RGB", (120, 80), (200, 30, 30)).save(image)
    question = "What colour is the car?"
    status = _ask(
        image, "--json", audio=speak(question), stt_model_dir=stt_model_dir, model_dir=tiny_model_dir
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    result = json.loads(out)
    assert audio_io.wer(question, result["question"]) <= 0.25, result
    assert result["answer"].strip() and result["answer"].endswith(".")


def test_history_records_the_transcript_as_the_question(
    tmp_path, speak, stt_model_dir, tiny_model_dir, audio_io, capsys
):
    image = tmp_path / "screen.png"
    Image.new("RGB", (120, 80), (20, 30, 200)).save(image)
    history = tmp_path / "history.json"
    question = "How many people are in the picture?"
    status = _ask(
        image,
        "--history",
        str(history),
        audio=speak(question),
        stt_model_dir=stt_model_dir,
        model_dir=tiny_model_dir,
    )
    answer = capsys.readouterr().out.strip()
    assert status == 0
    [turn] = json.loads(history.read_text())
    assert audio_io.wer(question, turn["question"]) <= 0.25
    assert turn["answer"] == answer


def test_silence_and_broken_audio_are_one_sentence_each(
    tmp_path, stt_model_dir, tiny_model_dir, audio_io, capsys
):
    image = tmp_path / "screen.png"
    Image.new("RGB", (64, 64), "white").save(image)
    silence = audio_io.write_wav(tmp_path / "silence.wav", np.zeros(16000 * 2, np.float32), 16000)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
    for audio in (silence, broken):
        status = _ask(image, audio=audio, stt_model_dir=stt_model_dir, model_dir=tiny_model_dir)
        out, err = capsys.readouterr()
        assert status == 1
        assert out == ""
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert err.strip().endswith(".")


def test_a_typed_and_a_spoken_question_together_are_refused(tmp_path, speak, tiny_model_dir, capsys):
    image = tmp_path / "screen.png"
    Image.new("RGB", (64, 64), "white").save(image)
    status = _ask(image, "Is it red?", audio=speak("Is it red?"), model_dir=tiny_model_dir)
    assert status == 1
    assert "either a typed question or --audio" in capsys.readouterr().err


def test_a_damaged_settings_file_moved_aside_is_said(tmp_path, tiny_model_dir, capsys, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("ASSISTANT_STT_MODEL", raising=False)
    (tmp_path / "settings.toml").write_text("language = " + "[" * 100_000, encoding="utf-8")
    image = tmp_path / "screen.png"
    Image.new("RGB", (64, 64), "white").save(image)
    assert _ask(image, audio=tmp_path / "none.wav", model_dir=tiny_model_dir) == 1
    (kept,) = tmp_path.glob("settings.broken-*.toml")
    assert capsys.readouterr().err.splitlines() == [
        f"The settings file was damaged, so it was kept as {kept} and the default settings are used.",
        f"The audio file {tmp_path / 'none.wav'} was not found; check the path.",
    ]
