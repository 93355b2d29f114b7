"""Voices: what the speech engines offer, in one shape the Settings dialog can list."""

from __future__ import annotations

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
    """A `pyttsx3.voice.Voice` (SAPI5, NSSpeechSynthesizer or espeak) as our Voice."""
    languages = []
    for language in getattr(voice, "languages", None) or []:
        if isinstance(language, bytes):
            language = language.decode("utf-8", "replace")
        languages.append(str(language).lstrip("\x05").strip())
    name = str(getattr(voice, "name", None) or voice.id)
    return Voice(id=str(voice.id), name=name, languages=[lang for lang in languages if lang])


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
