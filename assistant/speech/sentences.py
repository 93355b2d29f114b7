"""Splitting streamed text into sentences, so speech can start on the first one while the rest is generated.

The engine calls back with the whole text so far each time it grows; `SentenceStream.feed` returns the
sentences completed since the last call and `finish` returns whatever is left. A sentence counts as complete
only when what follows it is known, so "3." is not spoken before the model has decided whether "3.5" follows.
"""

from __future__ import annotations

import re

# Words that end in a full stop without ending a sentence (compared in lower case, without the stop).
_PERSONAL = ["mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "rev", "fr", "hon"]
_RANKS = ["gen", "col", "capt", "lt", "sgt", "gov", "sen", "rep", "st", "mt"]
TITLES = frozenset(_PERSONAL + _RANKS)
NEVER_FINAL = TITLES | frozenset(["e.g", "i.e", "cf", "vs", "approx", "ca", "eds"])
# Abbreviations that come before a number: "No. 5", "Fig. 3", "p. 12".
NUMBERED = frozenset(["no", "nos", "p", "pp", "fig", "figs", "vol", "ch", "sec", "eq", "art", "op"])
# Abbreviations that may end a sentence: they end one when the next word starts with a capital letter.
_MONTHS = ["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
MAYBE_FINAL = frozenset(["etc", "inc", "ltd", "co", "corp", *_MONTHS])

# A run of sentence-ending marks, then any closing quotes or brackets.
_END = re.compile(r"([.!?…]+)([\"'”’)\]]*)")
_CLAUSE = re.compile(r"[,;:—–](?=\s)")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


class SentenceStream:
    """Turns a growing text into complete sentences, each returned once."""

    def __init__(self, max_chars: int = 220) -> None:
        """A sentence longer than `max_chars` is broken at a comma or similar, so speech is not held up."""
        self.max_chars = max_chars
        self._text = ""
        self._done = 0  # characters of self._text already returned
        self._ends: list[int] = []  # where each returned piece ended

    def feed(self, text_so_far: str) -> list[str]:
        """The sentences completed in `text_so_far` since the last call."""
        self._resync(text_so_far)
        sentences, ends = _split(self._text, self._done, self.max_chars, final=False)
        self._ends += ends
        self._done = ends[-1] if ends else self._done
        return sentences

    def finish(self, final_text: str) -> list[str]:
        """Everything not yet returned, as sentences; the stream then starts afresh."""
        self._resync(final_text)
        sentences, _ = _split(self._text, self._done, self.max_chars, final=True)
        self._text, self._done, self._ends = "", 0, []
        return sentences

    def _resync(self, text: str) -> None:
        # The engine's cleaning may rewrite text it had already sent: go back to the start of the first
        # sentence that changed.
        if not text.startswith(self._text[: self._done]):
            common = 0
            for old, new in zip(self._text, text, strict=False):
                if old != new:
                    break
                common += 1
            self._ends = [end for end in self._ends if end <= common]
            self._done = self._ends[-1] if self._ends else 0
        self._text = text


def split_sentences(text: str, max_chars: int = 220) -> list[str]:
    """All the sentences of a finished text."""
    return _split(text, 0, max_chars, final=True)[0]


def _split(text: str, start: int, max_chars: int, final: bool) -> tuple[list[str], list[int]]:
    """The complete sentences of text[start:], and the index after each piece of text taken."""
    sentences: list[str] = []
    ends: list[int] = []
    pos = start
    while True:
        end = _next_boundary(text, pos, final)
        if end is None:
            break
        piece_start = pos
        pos = end
        ends.append(end)
        for part in _shorten(text[piece_start:end], max_chars):
            _append(sentences, part)
    if final:
        for part in _shorten(text[pos:], max_chars):
            _append(sentences, part)
        return sentences, [*ends, len(text)]
    # A run-on sentence with no end in sight: speak its finished clauses rather than wait.
    rest = text[pos:]
    if len(rest.strip()) > max_chars:
        cut = _clause_cut(rest, max_chars)
        if cut is None and len(rest) > 2 * max_chars:
            cut = rest.rfind(" ", 0, max_chars + 1)  # no clause mark at all: break between words
        if cut:
            _append(sentences, rest[:cut])
            ends.append(pos + cut)
    return sentences, ends


def _append(sentences: list[str], piece: str) -> None:
    piece = " ".join(piece.split())
    if not piece:
        return
    if not any(ch.isalnum() for ch in piece) and sentences:
        sentences[-1] += piece  # stray punctuation belongs to the sentence before it
    elif any(ch.isalnum() for ch in piece):
        sentences.append(piece)


def _next_boundary(text: str, pos: int, final: bool) -> int | None:
    """Index just after the next confirmed sentence end at or after `pos`, or None."""
    newline = text.find("\n", pos)
    for match in _END.finditer(text, pos):
        if newline != -1 and newline < match.start():
            return newline + 1
        end = match.end()
        if end >= len(text):
            return len(text) if final else None  # what follows is not known yet
        if not text[end].isspace():
            continue  # "3.5", "e.g.", "example.com", "?!" inside a word
        following = text[end:].lstrip()
        if not following:
            # Only whitespace so far: a newline settles it, otherwise wait for the next word.
            return end if final or "\n" in text[end:] else None
        if _ends_sentence(text, match, following):
            return end
    if newline != -1:
        return newline + 1
    return None


def _ends_sentence(text: str, match: re.Match[str], following: str) -> bool:
    marks = match.group(1)
    next_char = following[0]
    if marks != ".":
        if not set(marks) - {".", "…"}:  # an ellipsis: a pause, unless a new sentence follows
            return next_char.isupper() or next_char.isdigit() or next_char in "\"'“‘("
        return True
    word_match = _WORD_BEFORE.search(text, 0, match.start())
    word = word_match.group(1).lower().rstrip(".") if word_match else ""
    if word in NEVER_FINAL or (word in NUMBERED and next_char.isdigit()):
        return False
    starts_new = next_char.isupper() or next_char in "\"'“‘(" or next_char.isdigit()
    if word in MAYBE_FINAL:
        return next_char.isupper()
    if len(word) == 1 and word.isalpha():
        return False  # an initial, as in "J. Smith"
    if "." in word and all(len(part) <= 2 for part in word.split(".")):
        return next_char.isupper()  # "U.S.", "a.m." end a sentence only before a capital
    if next_char.islower():
        return False  # "approx. ten", unknown abbreviations
    return starts_new or not next_char.isalnum()


def _shorten(piece: str, max_chars: int) -> list[str]:
    """Break a sentence longer than `max_chars` at clause marks (or spaces) into speakable parts."""
    parts: list[str] = []
    while len(piece.strip()) > max_chars:
        cut = _clause_cut(piece, max_chars)
        if cut is None:
            cut = piece.rfind(" ", 0, max_chars + 1)
            if cut <= 0:
                cut = piece.find(" ", max_chars)
                if cut <= 0:
                    break
        parts.append(piece[:cut])
        piece = piece[cut:]
    parts.append(piece)
    return parts


def _clause_cut(piece: str, max_chars: int) -> int | None:
    """Index just after the last clause mark before `max_chars` (or the first after it), or None."""
    marks = [m.end() for m in _CLAUSE.finditer(piece) if m.end() > 1]
    if not marks:
        return None
    within = [m for m in marks if m <= max_chars]
    return within[-1] if within else marks[0]
