"""Voices: what the speech engines offer, in one shape the Settings dialog can list."""

from __future__ import annotations

import locale
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant import i18n


@dataclass(frozen=True)
class Voice:
    """One voice: `id` is what `Speaker.set_voice` takes, `name` is what the engine calls it.
    `named_for_language`: the name is only its language's, in English (espeak-ng's "Spanish (Spain)"),
    so lists show the language's name in the app's language instead."""

    id: str
    name: str
    languages: list[str] = field(default_factory=list)
    named_for_language: bool = False

    def label(self, language: str | None = None) -> str:
        """A name for lists in `language` (the app's by default): "español (España)" for espeak-ng's
        Spanish, "Microsoft Helena Desktop — español (España)" for a voice with a name of its own."""
        tags = _with_named_country(self.name, self.languages) if self.named_for_language else self.languages
        shown = language_name(tags, language or i18n.language())
        if self.named_for_language:
            return shown or self.name  # a language CLDR does not name (Quenya): espeak-ng's name
        own = _own_name(self.name, self.languages)
        return f"{own} — {shown}" if shown else own


def voice_labels(voices: Sequence[Voice], language: str | None = None) -> list[str]:
    """Each voice's label; two voices that would read the same (espeak-ng's English accents of Britain)
    are told apart by their ids."""
    labels = [voice.label(language) for voice in voices]
    counts = Counter(labels)
    return [
        f"{label} — {voice.id}" if counts[label] > 1 else label
        for voice, label in zip(voices, labels, strict=True)
    ]


_SUBTAG = re.compile(r"[A-Za-z]{4}|[A-Za-z]{2}|\d{3}|[A-Za-z0-9]{5,8}")


def language_name(tags: Sequence[str], language: str) -> str:
    """The first of `tags` ("es-419", "en-gb-scotland") that CLDR names, named in `language` with Babel
    ("español (Latinoamérica)"); "" where it names none. Private-use parts ("x-gbclan") are left out."""
    from babel import Locale, UnknownLocaleError

    try:
        shown_in = Locale.parse(i18n.normalize(language) or "en")
    except (UnknownLocaleError, ValueError):
        shown_in = Locale.parse("en")
    for tag in tags:
        first, *rest = tag.replace("_", "-").split("-x-")[0].split("-")
        name = shown_in.languages.get(first.lower())
        if not name:
            continue
        details = []
        for subtag in (part for part in rest if _SUBTAG.fullmatch(part)):
            if len(subtag) == 4 and subtag.isalpha():
                details.append(shown_in.scripts.get(subtag.title()))
            elif len(subtag) in (2, 3):
                details.append(shown_in.territories.get(subtag.upper()))
            else:
                details.append(shown_in.variants.get(subtag.upper()))
        found = [detail for detail in details if detail]
        return f"{name} ({', '.join(found)})" if found else name
    return ""


def _with_named_country(name: str, tags: Sequence[str]) -> Sequence[str]:
    """`tags` with the country the English name says first, where its language's tag names none
    (espeak-ng's "Spanish (Spain)" is "es": "es-ES", so it reads "español (España)")."""
    from babel import Locale

    said = name.partition(" (")[2].rstrip(") ").split(",")[0]
    countries = {country: code for code, country in Locale.parse("en").territories.items()}
    if not tags or not said or said not in countries or "-" in tags[0].replace("_", "-"):
        return tags
    return [f"{tags[0]}-{countries[said]}", *tags]


def _own_name(name: str, languages: Sequence[str]) -> str:
    """The voice's name without the English name of its language after it ("Microsoft Helena Desktop -
    Spanish (Spain)", as SAPI5 describes its voices)."""
    own, dash, after = name.rpartition(" - ")
    english = language_name(languages, "en")
    if dash and english and after.split(" (")[0] == english.split(" (")[0]:
        return own.strip()
    return name


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
        # espeak-ng names each voice after its language, in English.
        voices.append(Voice(file, name.replace("_", " "), languages, named_for_language=True))
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
    languages = [lang for lang in languages if lang]
    # The espeak driver's ids are espeak-ng's voice files ("roa/es"), its names their languages'.
    by_language = _ESPEAK_FILE.fullmatch(str(voice.id)) is not None
    return Voice(str(voice.id), name, languages, named_for_language=by_language)


_ESPEAK_FILE = re.compile(r"[a-z]{3}/[A-Za-z0-9-]+")


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
