"""Spoken questions in the user's language: a multilingual Whisper model of the chosen size, told the
language. The model is checked by name, and the language by what faster-whisper's real transcribe is
handed; Spanish speech heard by the multilingual base is in test_stt_spanish.py."""

from __future__ import annotations

import pytest

from assistant import i18n
from assistant.config import Settings
from assistant.speech import stt
from assistant.speech.stt import Transcriber, default_stt_language, fitting_model


@pytest.fixture(autouse=True)
def _english_after():
    yield
    i18n.setup(override="en")


@pytest.mark.parametrize(
    ("model", "language", "chosen"),
    [
        ("tiny.en", "es", "tiny"),
        ("base.en", "es", "base"),
        ("small.en", "de", "small"),
        ("tiny.en", "en", "tiny.en"),
        ("small", "es", "small"),
        ("large-v3", "es", "large-v3"),
        ("owner/whisper-es.en", "es", "owner/whisper-es.en"),  # a hub id is taken as it is
    ],
)
def test_a_language_other_than_english_gets_the_multilingual_model_of_that_size(model, language, chosen):
    assert fitting_model(model, language) == chosen
    assert Transcriber(model, language=language).model_name == chosen


def test_questions_follow_the_apps_language_unless_the_settings_name_one():
    i18n.setup(override="es")
    assert i18n.language() == "es"
    assert default_stt_language(Settings()) == "es"  # the default, ""
    assert default_stt_language(Settings(language="de")) == "de"
    assert Transcriber("tiny.en", language=default_stt_language(Settings())).model_name == "tiny"
    # Detected ("auto"): the app's language says a *.en model would not do.
    auto = Transcriber("tiny.en", language=default_stt_language(Settings(language="auto")))
    assert (auto.language, auto.model_name) == (None, "tiny")
    i18n.setup(override="en")
    assert default_stt_language(Settings()) == "en"
    assert Transcriber("tiny.en", language=default_stt_language(Settings())).model_name == "tiny.en"


def test_the_language_reaches_faster_whisper(stt_model_dir, speak, monkeypatch):
    """A local folder is used as it is (its model cannot be swapped); the language set is what
    faster-whisper's transcribe receives. tiny.en itself answers in English whatever it is told:
    hearing Spanish needs the multilingual weights (test_stt_spanish.py)."""
    from faster_whisper import WhisperModel

    handed: list[object] = []
    real = WhisperModel.transcribe

    def recording(self, audio, *args, **kwargs):
        handed.append(kwargs.get("language"))
        return real(self, audio, *args, **kwargs)

    monkeypatch.setattr(WhisperModel, "transcribe", recording)
    engine = Transcriber(stt_model_dir, device="cpu", language="es-ES", progress=False)
    assert engine.model_name == str(stt_model_dir)
    engine.transcribe_file(speak("What is on the screen?"))
    assert handed == ["es"]
    assert stt._language_code("es_419") == "es"


def test_transcribe_takes_the_apps_language_from_default_settings(tmp_path, monkeypatch):
    import argparse

    from assistant.cli.speech import stt_choices

    monkeypatch.delenv(stt.STT_MODEL_ENV, raising=False)
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path))
    i18n.setup(override="es")
    assert stt_choices(argparse.Namespace(stt_model=None, language=None)) == ("tiny.en", "es")
    assert stt_choices(argparse.Namespace(stt_model=None, language="fr")) == ("tiny.en", "fr")
    model, language = stt_choices(argparse.Namespace(stt_model=None, language=None))
    assert Transcriber(model, language=language).model_name == "tiny"


def test_doctor_names_the_model_the_questions_will_use():
    """Under Spanish, doctor said tiny.en while the questions would be heard by the multilingual tiny."""
    i18n.setup(override="es")
    assert stt.describe_stt(settings=Settings())[0].endswith(": tiny (faster-whisper)")
    assert stt.describe_stt(settings=Settings(language="en"))[0].endswith(": tiny.en (faster-whisper)")
