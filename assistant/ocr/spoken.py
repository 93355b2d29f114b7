"""Turning the text on a picture into what is said: read up to a limit, then how much more there is,
and the rest when it is asked for."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.i18n import _, ngettext

DEFAULT_WORD_LIMIT = 60
_ENDS_SENTENCE = (".", "!", "?", ":", ";", "…")


def _sentences(lines: Sequence[str]) -> str:
    # Each line is read as its own phrase, so a voice pauses between a title and the text under it.
    return " ".join(line if line.endswith(_ENDS_SENTENCE) else line + "." for line in lines if line.strip())


def split_at_limit(lines: Sequence[str], word_limit: int | None) -> tuple[list[str], list[str]]:
    """The lines up to `word_limit` words (None: all), and the rest; a line cut in two starts the rest."""
    lines = [" ".join(line.split()) for line in lines if line.strip()]
    if word_limit is None:
        return lines, []
    kept: list[str] = []
    room = word_limit
    for index, line in enumerate(lines):
        words = line.split()
        if room >= len(words):
            kept.append(line)
            room -= len(words)
            continue
        if room > 0:
            kept.append(" ".join(words[:room]))
        return kept, [" ".join(words[room:]), *lines[index + 1 :]]
    return kept, []


def words_in(lines: Sequence[str]) -> int:
    return sum(len(line.split()) for line in lines)


def text_to_speak(
    lines: Sequence[str], word_limit: int | None = DEFAULT_WORD_LIMIT, to_hear_more: str = ""
) -> str:
    """ "Text on it: …" with the lines in order, cut at `word_limit` words (None: all) with the count left.

    `to_hear_more` says how to hear the rest ("press Control Alt E"); it follows the count."""
    kept, rest = split_at_limit(lines, word_limit)
    if not kept and not rest:
        return ""
    if not rest:
        return _("Text on it: {sentences}").format(sentences=_sentences(kept))
    more = words_in(rest)
    if to_hear_more:
        # Translators: the text on a picture cut at the word limit; {count} words are left, {how} is
        # "press Control Alt E" or "choose Read all the text in the Assistant menu or window".
        said = ngettext(
            "Text on it: {sentences} … {count} more word; {how} to hear it.",
            "Text on it: {sentences} … {count} more words; {how} to hear them.",
            more,
        )
    else:
        said = ngettext(
            "Text on it: {sentences} … {count} more word.",
            "Text on it: {sentences} … {count} more words.",
            more,
        )
    return said.format(sentences=_sentences(kept), count=more, how=to_hear_more)


def rest_to_speak(rest: Sequence[str]) -> str:
    """The text left after the limit, each line its own phrase, as the first part of it was said."""
    return _sentences(rest)


def gist_then_text(gist: str, lines: Sequence[str], word_limit: int | None = DEFAULT_WORD_LIMIT) -> str:
    """The model's short description followed by the text on the picture, as one thing to say."""
    gist = gist.strip()
    if not any(line.strip() for line in lines):
        return gist
    if gist and not gist.endswith(_ENDS_SENTENCE):
        gist += "."
    text = text_to_speak(lines, word_limit)
    return f"{gist} {text}".strip()
