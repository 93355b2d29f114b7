"""Turning the text on a picture into what is said: read up to a limit, then how much more there is."""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_WORD_LIMIT = 60
_ENDS_SENTENCE = (".", "!", "?", ":", ";", "…")


def _sentences(lines: Sequence[str]) -> str:
    # Each line is read as its own phrase, so a voice pauses between a title and the text under it.
    return " ".join(line if line.endswith(_ENDS_SENTENCE) else line + "." for line in lines if line.strip())


def text_to_speak(lines: Sequence[str], word_limit: int | None = DEFAULT_WORD_LIMIT) -> str:
    """ "Text on it: …" with the lines in order, cut at `word_limit` words (None: all) with the count left."""
    lines = [line.strip() for line in lines if line.strip()]
    words_total = sum(len(line.split()) for line in lines)
    if not lines:
        return ""
    if word_limit is None or words_total <= word_limit:
        return f"Text on it: {_sentences(lines)}"
    kept: list[str] = []
    room = word_limit
    for line in lines:
        words = line.split()
        if room <= 0:
            break
        kept.append(" ".join(words[:room]) if len(words) > room else line)
        room -= len(words)
    more = words_total - word_limit
    return f"Text on it: {_sentences(kept)} … {more} more {'word' if more == 1 else 'words'}."


def gist_then_text(gist: str, lines: Sequence[str], word_limit: int | None = DEFAULT_WORD_LIMIT) -> str:
    """The model's short description followed by the text on the picture, as one thing to say."""
    gist = gist.strip()
    if not any(line.strip() for line in lines):
        return gist
    if gist and not gist.endswith(_ENDS_SENTENCE):
        gist += "."
    text = text_to_speak(lines, word_limit)
    return f"{gist} {text}".strip()
