"""Turning BLIP-2's raw output into text that reads and speaks well."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
_NEXT_TURN = re.compile(r"\s*\b(Question|Answer)\s*:.*$", re.IGNORECASE | re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")


def _collapse_repeats(words: list[str]) -> list[str]:
    """Drop phrases repeated back to back ("a cat a cat on a sofa" -> "a cat on a sofa")."""
    changed = True
    while changed:
        changed = False
        for size in range(min(len(words) // 2, 12), 0, -1):
            i = 0
            while i + 2 * size <= len(words):
                first = [w.lower().strip(",.") for w in words[i : i + size]]
                second = [w.lower().strip(",.") for w in words[i + size : i + 2 * size]]
                if first == second:
                    del words[i + size : i + 2 * size]
                    changed = True
                else:
                    i += 1
    return words


def clean_output(raw: str, prompt: str = "", final: bool = True) -> str:
    """Remove prompt echo and stray turns, collapse repeats, capitalise, end with a full stop.

    With `final=False` (text still being generated) no full stop is added.
    """
    text = _CONTROL.sub(" ", raw)
    prompt = prompt.strip()
    if prompt and text.strip().startswith(prompt):
        text = text.strip()[len(prompt) :]
    text = _NEXT_TURN.sub("", text)
    text = _SPACE.sub(" ", text).strip(" :-")
    if not text:
        return ""
    text = " ".join(_collapse_repeats(text.split(" ")))
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = text[0].upper() + text[1:]
    if final:
        text = text.rstrip(",;: ")
        if text and text[-1] not in ".!?":
            text += "."
    return text
