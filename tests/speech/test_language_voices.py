"""Speech in the user's language: espeak-ng, pyttsx3 and speech-dispatcher, each with its real voices."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest

from assistant import i18n
from assistant.speech.voices import Voice, parse_espeak_voices, speaks, voice_of_language

sys.path.insert(0, str(Path(__file__).parent))
from speech_fakes import needs_speechd, private_speechd

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception in thread SSIP client communication thread:pytest.PytestUnhandledThreadExceptionWarning"
)


@pytest.fixture(autouse=True)
def _english_after():
    yield
    i18n.setup(override="en")


def test_a_voice_of_the_language_is_found_bare_language_first() -> None:
    voices = [
        Voice("en", "English", ["en-gb", "en"]),
        Voice("mb/mb-es1", "spanish-mbrola-1", ["es-es", "es"]),
        Voice("roa/es", "Spanish (Spain)", ["es"]),
    ]
    assert voice_of_language(voices, "es") == voices[2]
    assert voice_of_language(voices, "es_MX") == voices[2]
    assert voice_of_language(voices, "ja") is None
    assert speaks(voices[1], "es-ES") and not speaks(voices[0], "es")


@needs_espeak
def test_espeak_ngs_real_list_has_a_spanish_voice_and_a_spanish_ocr_text_is_read_with_it() -> None:
    from assistant.ocr import TextReader
    from assistant.speech.espeak import EspeakSynthesizer
    from tests.ocr.test_scripts import SPANISH_NOTE, note

    listing = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, timeout=10).stdout
    found = voice_of_language(parse_espeak_voices(listing), "es")
    assert found is not None and "es" in found.languages
    i18n.setup(override="es")
    text = TextReader().read(note(SPANISH_NOTE)).text
    assert "señora Núñez" in text
    synth = EspeakSynthesizer()
    command = synth.command()
    voice = command[command.index("-v") + 1]
    assert any(
        speaks(candidate, "es")
        for candidate in synth.voices()
        if voice in (candidate.id, *candidate.languages)
    )
    assert synth.synthesize(text).duration > 2


def test_pyttsx3_picks_a_voice_of_the_apps_language_unless_one_is_chosen(monkeypatch) -> None:
    """Through pyttsx3's real engine and its dummy driver (the protocol SAPI5 and NSSpeechSynthesizer
    follow), given one Spanish voice beside its three English ones."""
    pytest.importorskip("pyttsx3")
    import pyttsx3.drivers.dummy as dummy
    from pyttsx3.voice import Voice as SystemVoice

    from assistant.speech.pyttsx3_backend import Pyttsx3Backend

    class WithSpanish(dummy.DummyDriver):
        def __init__(self, proxy) -> None:
            super().__init__(proxy)
            self._config["voices"].append(SystemVoice("dummy.es", "Lucía", ["es-ES"], "female", "adult"))

        def setProperty(self, name, value) -> None:  # the dummy's own fails on a filter object
            if name == "voice":
                self._config["voice"] = next(v for v in self._config["voices"] if v.id == value)
            else:
                super().setProperty(name, value)

    module = types.ModuleType("pyttsx3.drivers.withspanish")
    module.buildDriver = WithSpanish  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyttsx3.drivers.withspanish", module)

    def current(backend: Pyttsx3Backend) -> str:
        voice = backend._get("voice")
        return str(getattr(voice, "id", voice))

    i18n.setup(override="es")
    backend = Pyttsx3Backend("withspanish")
    try:
        assert current(backend) == "dummy.es"
        backend.set_voice("dummy.voice2")  # the user's choice wins
        assert current(backend) == "dummy.voice2"
        backend.set_voice(None)
        assert current(backend) == "dummy.es"
        i18n.setup(override="en")
        backend.set_voice(None)
        assert current(backend) == "dummy.voice1"  # English: the system's own voice, as before
    finally:
        backend.close()


@needs_speechd
def test_speech_dispatcher_is_told_the_apps_language(tmp_path, monkeypatch) -> None:
    from assistant.speech.screen_reader_speechd import SpeechDispatcherRoute, import_speechd

    told: list[str] = []
    client = import_speechd().SSIPClient
    real = client.set_language

    def set_language(self, language):  # the real call, which the private server must accept
        told.append(language)
        return real(self, language)

    monkeypatch.setattr(client, "set_language", set_language)
    with private_speechd(tmp_path / "speechd", monkeypatch, seconds=0) as server:
        i18n.setup(override="es")
        route = SpeechDispatcherRoute()
        try:
            assert route.speak("La pantalla está en blanco.", threading.Event(), lambda: None, wait=True)
        finally:
            route.close()
        assert told == ["es"]
        # The voice got it, recoded by speech-dispatcher's generic module for a language its
        # configuration gives no character set (ISO-8859-1).
        assert server.said_file.read_bytes() == "La pantalla está en blanco.\n".encode("latin-1")
        i18n.setup(override="en")
        english = SpeechDispatcherRoute()
        english.close()
        assert told == ["es"]  # English: the screen reader's language is left as the user set it


@needs_espeak
def test_the_default_voice_doctor_names_is_the_one_spoken_in_the_apps_language() -> None:
    """Under Spanish, doctor named espeak-ng's English voice while the app spoke with its Spanish one."""
    from assistant.speech.espeak import EspeakSynthesizer

    i18n.setup(override="es")
    synth = EspeakSynthesizer()
    command = synth.command()
    default = synth.default_voice()
    assert default is not None and speaks(default, "es")
    assert command[command.index("-v") + 1] == default.id.rsplit("/", 1)[-1]


@needs_espeak
def test_doctor_names_the_default_voice_in_the_apps_language() -> None:
    """Under Spanish, doctor said "Voz predeterminada: Spanish (Latin America)", espeak-ng's English name."""
    from assistant.cli.doctor import check_speech

    i18n.setup(override="es")
    line = next(line for line in check_speech() if line.startswith("Voz predeterminada: "))
    assert "español" in line and "Spanish" not in line, line
