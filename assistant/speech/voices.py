"""Voices: what the speech engines offer, in one shape the Settings dialog can list."""

from __future__ import annotations

import locale
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Voice:
    """One voice: `id` is what `Speaker.set_voice` takes, `name` is what a person reads."""

    id: str
    name: str
    languages: list[str] = field(default_factory=list)

    def label(self) -> str:
        """A name for lists: "English (America) — en-us"."""
        return f"{self.name} — {', '.join(self.languages)}" if self.languages else self.name


_OTHER_LANGUAGE = re.compile(r"\(([^\s()]+)\s+\d+\)")


def parse_espeak_voices(listing: str) -> list[Voice]:
    """The voices in the output of `espeak-ng --voices`.

    Columns: Pty, Language, Age/Gender, VoiceName (spaces written as "_"), File, Other Languages.
    """
    voices: list[Voice] = []
    for line in listing.splitlines()[1:]:
        columns = line.split(None, 5)
        if len(columns) < 5:
            continue
        _priority, language, _age_gender, name, file = columns[:5]
        others = _OTHER_LANGUAGE.findall(columns[5]) if len(columns) > 5 else []
        languages = [language, *(other for other in others if other != language)]
        voices.append(Voice(id=file, name=name.replace("_", " "), languages=languages))
    return voices


def from_pyttsx3(voice: Any) -> Voice:
    """A `pyttsx3.voice.Voice` as our Voice. What its `languages` hold differs by driver (pyttsx3 2.99):
    SAPI5 a tag from the token's LCID ("es-ES"), or "Unknown Locale: 2058" where Python knows none;
    NSSpeechSynthesizer the voice's locale ("es_ES", or "es-ES", or None); AVSpeech "es-MX"; espeak
    the voice's language ("es", "es-419"), bytes with espeak's priority byte first in older pyttsx3."""
    languages = []
    for language in getattr(voice, "languages", None) or []:
        if isinstance(language, bytes):
            language = language.decode("utf-8", "replace")
        if not isinstance(language, str):
            continue  # NSSpeechSynthesizer's None for a voice with no locale
        language = language.lstrip("".join(map(chr, range(32)))).strip()  # espeak's priority byte
        unknown = _UNKNOWN_LOCALE.fullmatch(language)
        languages.extend(lcid_languages(f"{int(unknown[1]):X}") if unknown else [language])
    name = str(getattr(voice, "name", None) or voice.id)
    return Voice(id=str(voice.id), name=name, languages=[lang for lang in languages if lang])


_UNKNOWN_LOCALE = re.compile(r"Unknown Locale: (\d+)")


def lcid_languages(attribute: str) -> list[str]:
    """The languages of a SAPI5 voice token's "Language" attribute, as tags: Windows LCIDs in hexadecimal,
    ";"-separated ("409" en-US, "C0A" or "40A" es-ES, "80A" es-MX, "409;9" en-US and en). An LCID that
    names a language without a country (its upper bits 0, "A") is that language ("es")."""
    languages: list[str] = []
    for code in attribute.split(";"):
        try:
            lcid = int(code.strip().removeprefix("0x").removeprefix("0X"), 16)
        except ValueError:
            continue
        name = locale.windows_locale.get(lcid)
        if name is None:  # a language alone: any locale of it gives its language
            same = (n for key, n in sorted(locale.windows_locale.items()) if key & 0x3FF == lcid & 0x3FF)
            name = next(same, "").split("_")[0]
        if name and name.replace("_", "-") not in languages:
            languages.append(name.replace("_", "-"))
    return languages


def from_sapi5_token(token: Any) -> Voice:
    """A SAPI5 voice token (`SpVoice.GetVoices()`'s ISpeechObjectToken) as our Voice, its languages read
    from its LCIDs here: pyttsx3 2.99's own reading fails on a ";"-separated list ("409;9"), and then
    it lists no voice at all."""
    try:
        attribute = str(token.GetAttribute("Language") or "")
    except Exception:  # a token without the attribute: COM raises
        attribute = ""
    name = str(token.GetDescription() or token.Id)
    return Voice(id=str(token.Id), name=name, languages=lcid_languages(attribute))


def _base(code: str) -> str:
    return code.strip().replace("_", "-").split("-")[0].lower()


def speaks(voice: Voice, language: str) -> bool:
    """Whether `voice` speaks `language` ("es" matches es, es-419, es_ES)."""
    return any(_base(code) == _base(language) for code in voice.languages)


def voice_of_language(voices: list[Voice], language: str) -> Voice | None:
    """The first of `voices` that speaks `language`, one whose own language is the bare one first (es
    before es-ES: espeak-ng lists its mbrola voices as es-es, and they need mbrola installed), else None."""
    matching = [voice for voice in voices if speaks(voice, language)]
    bare = [voice for voice in matching if voice.languages[0].lower() == _base(language)]
    found = bare or matching
    return found[0] if found else None
