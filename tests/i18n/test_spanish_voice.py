"""Speech in the app's language: espeak-ng speaks Spanish with a Spanish voice unless the user chose one."""

from __future__ import annotations

import shutil

import pytest

from assistant import i18n

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@pytest.fixture(autouse=True)
def _english_after():
    yield
    i18n.setup(override="en")


def test_espeak_speaks_the_apps_language_where_no_voice_is_chosen():
    from assistant.speech.espeak import EspeakSynthesizer

    synth = EspeakSynthesizer()
    i18n.setup(override="es")
    command = synth.command()
    assert command[command.index("-v") + 1] == "es-419"  # Latin-American neutral, as the catalogue
    assert synth.synthesize("La pantalla está en blanco.").frame_count > 0
    synth.set_voice("en")
    assert synth.command()[synth.command().index("-v") + 1] == "en"  # the user's choice wins
    synth.set_voice(None)
    i18n.setup(override="en")
    assert "-v" not in synth.command()  # English: espeak-ng's own default, as before
