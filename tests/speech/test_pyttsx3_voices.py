"""The voice pyttsx3 speaks Spanish with is a Spanish one on each driver, given voices exactly as each
driver makes them: SAPI5 (pyttsx3's own sapi5 driver, over fake COM objects shaped as SAPI5's tokens,
whose "Language" is a hexadecimal LCID or a ";"-separated list of them), NSSpeechSynthesizer and
AVSpeech (their `_toVoice` shapes) and espeak (pyttsx3's real espeak driver, where libespeak-ng is)."""

from __future__ import annotations

import ctypes.util
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from assistant import i18n
from assistant.speech.voices import (
    from_pyttsx3,
    from_sapi5_token,
    lcid_languages,
    speaks,
    voice_of_language,
)

pyttsx3_voice = pytest.importorskip("pyttsx3.voice")
SAPI5_ROOT = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Speech\\Voices\\Tokens\\"


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    i18n.setup(override="en")


@pytest.mark.parametrize(
    ("attribute", "languages"),
    [
        ("409", ["en-US"]),
        ("C0A", ["es-ES"]),  # Spanish, modern sort
        ("40A", ["es-ES"]),  # Spanish, traditional sort
        ("80A", ["es-MX"]),
        ("409;9", ["en-US", "en"]),  # a list; 9 is English with no country
        ("A", ["es"]),
        ("804;404", ["zh-CN", "zh-TW"]),
        ("", []),
        ("not an LCID", []),
    ],
)
def test_sapi5_lcids_are_read_as_language_tags(attribute: str, languages: list[str]) -> None:
    assert lcid_languages(attribute) == languages


class Token:
    """An ISpeechObjectToken as SAPI5's SpVoice.GetVoices() gives it."""

    def __init__(self, key: str, description: str, language: str | None) -> None:
        self.Id, self._description, self._language = SAPI5_ROOT + key, description, language

    def GetDescription(self) -> str:
        return self._description

    def GetAttribute(self, name: str) -> str:
        value = {"Language": self._language, "Gender": "Female", "Age": "Adult"}.get(name)
        if value is None:
            raise OSError(-2147200966, "SPERR_NOT_FOUND")  # COM's error for a missing attribute
        return value


TOKENS = [
    Token("TTS_MS_EN-US_ZIRA_11.0", "Microsoft Zira Desktop - English (United States)", "409;9"),
    Token("TTS_MS_EN-GB_HAZEL_11.0", "Microsoft Hazel Desktop - English (Great Britain)", "809"),
    Token("TTS_MS_ES-MX_SABINA_11.0", "Microsoft Sabina Desktop - Spanish (Mexico)", "80A"),
    Token("TTS_MS_ES-ES_HELENA_11.0", "Microsoft Helena Desktop - Spanish (Spain)", "C0A"),
    Token("Vendor_NoLanguage", "A voice that names no language", None),
]


class SpVoice:
    """SAPI.SpVoice: what pyttsx3's sapi5 driver and our backend use of it."""

    def __init__(self) -> None:
        self.EventInterests, self.Rate, self.Volume = 0, 0, 100
        self.Voice: Token = TOKENS[0]  # the system's voice: English

    def GetVoices(self) -> list[Token]:
        return list(TOKENS)

    def Speak(self, text: str, flags: int = 0) -> int:
        return 1


@pytest.fixture
def fake_sapi5(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """comtypes, its generated SpeechLib and pythoncom, as on Windows, so pyttsx3's real sapi5 driver
    (imported afresh here, and forgotten after) runs over SAPI5-shaped objects."""
    client = types.ModuleType("comtypes.client")
    client.CreateObject = lambda name: SpVoice()  # type: ignore[attr-defined]
    client.GetEvents = lambda source, sink: object()  # type: ignore[attr-defined]
    comtypes = types.ModuleType("comtypes")
    comtypes.client = client  # type: ignore[attr-defined]
    gen = types.ModuleType("comtypes.gen")
    gen.SpeechLib = types.ModuleType("comtypes.gen.SpeechLib")  # type: ignore[attr-defined]
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.PumpWaitingMessages = lambda: None  # type: ignore[attr-defined]
    pythoncom.CoInitialize = lambda: None  # type: ignore[attr-defined]
    modules = {"comtypes": comtypes, "comtypes.client": client, "comtypes.gen": gen, "pythoncom": pythoncom}
    modules["comtypes.gen.SpeechLib"] = gen.SpeechLib  # type: ignore[attr-defined]
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delitem(sys.modules, "pyttsx3.drivers.sapi5", raising=False)
    yield
    sys.modules.pop("pyttsx3.drivers.sapi5", None)  # it was built on the fakes


def current_voice(backend: Any) -> str:
    return str(backend._get("voice"))


def test_sapi5_speaks_spanish_with_a_spanish_voice_beside_a_voice_of_several_lcids(fake_sapi5: None) -> None:
    from assistant.speech.pyttsx3_backend import Pyttsx3Backend

    i18n.setup(override="es")
    backend = Pyttsx3Backend("sapi5")
    try:
        voices = {voice.id.removeprefix(SAPI5_ROOT): voice.languages for voice in backend.voices()}
        assert voices == {
            "TTS_MS_EN-US_ZIRA_11.0": ["en-US", "en"],
            "TTS_MS_EN-GB_HAZEL_11.0": ["en-GB"],
            "TTS_MS_ES-MX_SABINA_11.0": ["es-MX"],
            "TTS_MS_ES-ES_HELENA_11.0": ["es-ES"],
            "Vendor_NoLanguage": [],
        }
        assert current_voice(backend) == SAPI5_ROOT + "TTS_MS_ES-MX_SABINA_11.0"  # the first Spanish one
        backend.set_voice(SAPI5_ROOT + "TTS_MS_ES-ES_HELENA_11.0")  # the user's choice wins
        assert current_voice(backend) == SAPI5_ROOT + "TTS_MS_ES-ES_HELENA_11.0"
        i18n.setup(override="en")
        backend.set_voice(None)
        assert current_voice(backend) == SAPI5_ROOT + "TTS_MS_EN-US_ZIRA_11.0"  # English: the system's
    finally:
        backend.close()


def test_pyttsx3s_own_sapi5_voices_are_read_too(fake_sapi5: None) -> None:
    """Where our own reading of the tokens fails, pyttsx3's: its tags, and "Unknown Locale: N" where
    Python knows no locale for the LCID (0x580A, Spanish of Latin America, is not in locale.windows_locale)."""
    from pyttsx3.drivers import sapi5

    token = Token("Vendor_ES_419", "Un vendedor", "580A")
    voice = from_pyttsx3(sapi5.SAPI5Driver._toVoice(token))
    assert voice.languages == ["es"] and speaks(voice, "es")
    helena = from_pyttsx3(sapi5.SAPI5Driver._toVoice(TOKENS[3]))
    assert helena.languages == ["es-ES"] and helena == from_sapi5_token(TOKENS[3])


def test_the_macos_drivers_voices_are_read_by_their_locale() -> None:
    shaped = pyttsx3_voice.Voice
    nsss = [  # NSSpeechSynthesizer: VoiceLocaleIdentifier, else VoiceLanguage, else None
        shaped("com.apple.speech.synthesis.voice.Alex", "Alex", ["en_US"], "VoiceGenderMale", 35),
        shaped("com.apple.speech.synthesis.voice.old", "Old", [None], None, None),
        shaped("com.apple.voice.compact.es-MX.Paulina", "Paulina", ["es-MX"], "VoiceGenderFemale", 35),
        shaped("com.apple.voice.compact.es-ES.Monica", "Mónica", ["es_ES"], "VoiceGenderFemale", 35),
    ]
    voices = [from_pyttsx3(voice) for voice in nsss]
    assert voices[1].languages == []
    found = voice_of_language(voices, "es")
    assert found is not None and found.name == "Paulina"
    avspeech = [shaped("com.apple.voice.compact.es-ES.Monica", "Mónica", ["es-ES"])]
    assert voice_of_language([from_pyttsx3(voice) for voice in avspeech], "es_ES") is not None


def test_espeaks_voices_from_older_pyttsx3_keep_their_language_after_the_priority_byte() -> None:
    voice = from_pyttsx3(pyttsx3_voice.Voice("roa/es", "Spanish (Spain)", [b"\x05es"]))
    assert voice.languages == ["es"]
    voice = from_pyttsx3(pyttsx3_voice.Voice("roa/es-419", "Spanish (Latin America)", [b"\x02es-419"]))
    assert voice.languages == ["es-419"]


@pytest.mark.skipif(ctypes.util.find_library("espeak-ng") is None, reason="needs libespeak-ng")
def test_pyttsx3s_real_espeak_drivers_voices_give_a_spanish_voice() -> None:
    """(The app speaks through espeak-ng itself on Linux; pyttsx3's espeak driver is read the same way.)"""
    from pyttsx3.engine import Engine

    voices = [from_pyttsx3(voice) for voice in Engine("espeak").getProperty("voices")]
    found = voice_of_language(voices, "es")
    assert found is not None and found.languages == ["es"] and found.id == "roa/es"
