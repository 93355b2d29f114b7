"""Turning a model's description into alt-text: short, plain, no "image of", safe to write anywhere."""

from __future__ import annotations

import re
import unicodedata

from assistant.documents.model import is_suspicious
from assistant.i18n import translation_for

DEFAULT_MAX_LENGTH = 150

_MEDIUM = (
    r"(?:image|picture|photo|photograph|pic|illustration|drawing|screenshot|screen shot|graphic|close[- ]up)"
)
_PREFIX = re.compile(
    rf"^(?:there\s+is\s+|this\s+is\s+|it\s+is\s+|here\s+is\s+)?(?:an?\s+|the\s+)?(?:(?:black and white|color|colour|"
    rf"blurry|close[- ]up)\s+)?{_MEDIUM}\s+(?:of|showing|shows|that\s+shows|depicting|with|featuring)(?:\s+|$)",
    re.IGNORECASE,
)
# Nonsense tokens BLIP models are known to emit at the start of a caption.
_JUNK_WORDS = re.compile(r"\b(?:araf+e?d?|araffe|arafed|arafly)\b\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_TRAILING_WEAK = {
    "a", "an", "the", "of", "and", "or", "with", "on", "in", "at", "to", "for", "by", "from", "is", "are",
    "its", "their", "his", "her", "that", "which", "while",
}  # fmt: skip


# Joiners shape emoji and some scripts; every other format character (bidi overrides among them) goes.
_KEPT_FORMAT = {"\u200c", "\u200d"}
# The replacement characters a broken byte sequence or an embedded object decodes to.
_REPLACEMENTS = {"\ufffd", "\ufffc"}


def _unwanted(char: str) -> bool:
    category = unicodedata.category(char)
    if category in {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"} or char in _REPLACEMENTS:
        return True
    return category == "Cf" and char not in _KEPT_FORMAT


def remove_control_characters(text: str) -> str:
    """Replace control, format, private, unassigned and replacement characters (and lone surrogates)
    with spaces; collapse whitespace."""
    return " ".join("".join(" " if _unwanted(char) else char for char in text).split())


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending at a sentence end if one is near, else at a word boundary."""
    if len(text) <= limit:
        return text
    window = text[:limit]
    sentence_end = max(window.rfind(". "), window.rfind("! "), window.rfind("? "))
    if window.endswith((".", "!", "?")):
        sentence_end = max(sentence_end, len(window) - 1)
    if sentence_end >= limit // 2:
        return window[: sentence_end + 1]
    words = window[: limit - 1].rsplit(" ", 1)[0].split() if " " in window else [window[: limit - 1]]
    while len(words) > 1 and words[-1].lower().strip(",;:-") in _TRAILING_WEAK:
        words.pop()
    return " ".join(words).rstrip(",;:-–—") + "."


def clean_description(description: str, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """Alt-text from a model description; "" when nothing usable is left (the image then fails)."""
    text = remove_control_characters(description)
    text = _JUNK_WORDS.sub("", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = _PREFIX.sub("", text).strip()
    text = text.strip(" \"'`-–—,;:")
    if sum(char.isalpha() for char in text) < 2 or is_suspicious(text):
        return ""
    sentences = _SENTENCE_END.split(text)
    text = " ".join(sentences[:2])
    text = text[0].upper() + text[1:]
    if text[-1] not in ".!?…":
        text += "."
    return _cut(text, max_length)


def compose(
    description: str, ocr_text: str = "", max_length: int = DEFAULT_MAX_LENGTH, language: str = "en"
) -> str:
    """Alt-text from a description and, when given, the text read from the image; "" if unusable.
    `language` is the alt-text's (the document's own, else the user's): it names the text read."""
    alt = clean_description(description, max_length)
    words = remove_control_characters(ocr_text)
    if not alt or not words:
        return alt
    # Translators: alt-text written into a document, after the picture's description: the words read
    # in the picture, quoted. Written in the document's language.
    text_read = translation_for(language).pgettext("alt-text", 'Text: "{text}".')
    room = max_length - len(alt) - len(text_read.format(text="")) - 1
    if room < 4:
        return alt
    if len(words) > room:
        words = words[: room - 1].rsplit(" ", 1)[0] + "…" if " " in words[:room] else words[: room - 1] + "…"
    return f"{alt} {text_read.format(text=words)}"
