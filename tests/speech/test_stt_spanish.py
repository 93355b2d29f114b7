"""Spoken Spanish, heard by a multilingual Whisper (base, from tests/fixtures/whisper.py) told the
language: the words come out Spanish, accents and all. The recordings are a person's, Allison Smith's
Mexican Spanish telephone prompts (Debian's asterisk-core-sounds-es-wav, 8 kHz), and espeak-ng's
Spanish voice saying questions, made at test time."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant import i18n
from assistant.cli import main
from assistant.speech import stt
from assistant.speech.stt import Transcriber

pytestmark = pytest.mark.slow  # loads Whisper base (145 MB)

HUMAN = Path("/usr/share/asterisk/sounds/es_MX_f_Allison")
# Prompts of hers, and what each says in part: the English prompts' words, as she says them in Spanish.
PROMPTS = {
    "conf-onlyperson": "usted es la única persona en la conferencia",
    "vm-nobodyavail": "nadie está libre para responder a su llamada",
    "vm-sorry": "lo siento no comprendí su respuesta",
}

# What espeak-ng's Spanish voice says, and the words Whisper base must hear in it.
QUESTIONS = {
    "¿Qué está escrito en la pantalla?": "está escrito en la pantalla",
    # Whisper base hears "ventana" or "venta" in this voice, from one process to another.
    "Lee el título de la ventana, por favor.": "título de la",
}


def words(text: str) -> str:
    """Lower-case words, accents kept, punctuation out."""
    return " ".join(re.sub(r"[^\w ]+", " ", text.lower()).split())


@pytest.fixture(scope="module")
def spanish(tmp_path_factory) -> dict[str, Path]:
    """Each question as a WAV of espeak-ng's Spanish voice."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng is not installed (apt install espeak-ng)")
    folder = tmp_path_factory.mktemp("spanish")
    made = {}
    for index, question in enumerate(QUESTIONS):
        path = folder / f"pregunta{index}.wav"
        subprocess.run([espeak, "-v", "es", "-w", str(path), question], check=True, timeout=30)
        made[question] = path
    return made


@pytest.fixture(scope="module")
def engine(multilingual_stt_model_dir) -> Transcriber:
    """One Transcriber of Whisper base, told Spanish, for the module."""
    engine = Transcriber(multilingual_stt_model_dir, device="cpu", language="es", progress=False)
    engine.load()
    return engine


@pytest.fixture(autouse=True)
def _english_after():
    yield
    i18n.setup(override="en")


@pytest.mark.skipif(
    not HUMAN.is_dir(), reason="needs Spanish recordings (apt-get install asterisk-core-sounds-es-wav)"
)
def test_a_persons_spanish_is_heard_in_spanish_with_its_accents(engine):
    for prompt, heard in PROMPTS.items():
        said = engine.transcribe_file(HUMAN / f"{prompt}.wav")
        assert heard in words(said), (prompt, said)


def test_a_spanish_question_is_heard_in_spanish_with_its_accents(engine, spanish):
    question = "Lee el título de la ventana, por favor."
    heard = engine.transcribe_file(spanish[question])
    assert QUESTIONS[question] in words(heard), heard


def test_a_spanish_user_naming_an_english_only_model_is_heard_by_the_multilingual_one(
    multilingual_stt_model_dir, spanish, tmp_path, monkeypatch, capsys
):
    """`assistant transcribe` under a Spanish desktop with the model base.en: the app's language
    turns it into base, found where faster-whisper's downloads are kept, and the words are Spanish."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    snapshot = cache / "models--Systran--faster-whisper-base" / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    for path in multilingual_stt_model_dir.iterdir():
        (snapshot / path.name).symlink_to(path)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv(stt.STT_MODEL_ENV, "base.en")
    i18n.setup(override="es")

    question = "¿Qué está escrito en la pantalla?"
    assert main(["transcribe", str(spanish[question])]) == 0
    assert QUESTIONS[question] in words(capsys.readouterr().out)
