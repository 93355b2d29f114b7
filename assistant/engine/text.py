"""Turning BLIP-2's raw output into text that reads and speaks well."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
_NEXT_TURN = re.compile(r"\s*\b(Question|Answer)\s*:.*$", re.IGNORECASE | re.DOTALL)
# Controls (C0 and C1), the replacement characters a token cut inside a character decodes to, and the
# invisible format characters that reorder or hide text (bidi marks and overrides, zero widths): the
# same that alt-text drops, so `ask` and `describe` never print or speak U+FFFD or a hidden override.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffc\ufffd\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_ANSWER_LABEL = re.compile(r"^\s*Answer\s*:", re.IGNORECASE)
_MAX_PHRASE = 12  # longest phrase whose repetition is collapsed, in words


def without_hidden(text: str) -> str:
    """`text` with each control, replacement or hidden format character a space: for any model's text."""
    return _CONTROL.sub(" ", text)


def _key(word: str) -> str:
    return word.lower().strip(",.;:!?-")


def _collapse_repeats(words: list[str]) -> list[str]:
    """Drop phrases repeated back to back ("a cat a cat on a sofa" -> "a cat on a sofa").

    Word by word, the way the text is generated: a word that completes a second copy of the phrase
    before it removes that copy. So the result for the first words of a text never depends on later ones,
    which keeps streamed text stable.
    """
    kept: list[str] = []
    keys: list[str] = []
    for word in words:
        kept.append(word)
        keys.append(_key(word))
        for size in range(1, min(len(kept) // 2, _MAX_PHRASE) + 1):
            if keys[-size:] == keys[-2 * size : -size]:
                del kept[-size:], keys[-size:]
                break
    return kept


def clean_output(raw: str, prompt: str = "", final: bool = True) -> str:
    """Remove prompt echo and stray turns, collapse repeats, capitalise, end with a full stop.

    With `final=False` (text still being generated) no full stop is added.
    """
    text = without_hidden(raw)
    prompt = prompt.strip()
    if prompt and text.strip().startswith(prompt):
        text = text.strip()[len(prompt) :]
    text = _NEXT_TURN.sub("", _ANSWER_LABEL.sub("", text))
    text = _SPACE.sub(" ", text).strip(" :-")
    if not text:
        return ""
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = " ".join(_collapse_repeats(text.split(" ")))
    text = text[0].upper() + text[1:]
    if final:
        text = text.rstrip(",;: ")
        if text and text[-1] not in ".!?":
            text += "."
    return text


def settled(partial: str) -> str:
    """The part of `clean_output(..., final=False)` text that words still to come cannot change.

    Held back: a trailing comma or colon (the final text ends in a full stop), a trailing "Question" or
    "Answer" (the start of a new turn, which is cut), and trailing words that begin a second copy of the
    phrase before them: if the copy completes it is removed, and the text is back where it was before
    those words, where earlier words may be pending in the same way.
    """
    words = partial.split(" ") if partial else []
    keys = [_key(w) for w in words]
    memo: dict[int, int] = {}

    def stable(count: int) -> int:
        """How many of the first `count` words stay, whatever follows them."""
        if count not in memo:
            best = count
            if count and keys[count - 1] in ("question", "answer"):
                best = stable(count - 1)
            for tail in range(1, min(count // 2, _MAX_PHRASE - 1) + 1):
                starts = range(count - tail - _MAX_PHRASE, count - 2 * tail)  # a phrase longer than the tail
                if any(
                    keys[start : start + tail] == keys[count - tail : count] for start in starts if start >= 0
                ):
                    best = min(best, stable(count - tail))
            memo[count] = best
        return memo[count]

    return " ".join(words[: stable(len(words))]).rstrip(",;: -")
