"""Keeping OCR to the scripts really on the screen, so that icons are not read as characters.

RapidOCR's wheel ships one recogniser, PP-OCRv6 "small", whose alphabet holds Chinese, Japanese and
the Latin-script languages together (its other recognisers, Latin-only ones included, are downloads
from ModelScope, which the app does not make). Left to itself it reads what is not text as
ideographs: the window buttons of a dialog's title bar as "00网", a red error icon as "一回". So for a
user whose language is not written in CJK the same model's output is decoded with the CJK characters
left out (the Latin recogniser the shipped model holds), unless a line reads as CJK so surely that it
is CJK on the screen. The forced reading of a shape keeps the model's low probability, and is dropped
by the screen-level rules below: a short line needs a high score (an icon reads as one to three glyphs
at 0.6 to 0.8, "OK", "No" and "Yes" at 0.98 or more), and a low-score line in a script no other line
on the screen uses is dropped.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.ocr.layout import TextLine

# The languages read with the CJK characters kept.
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
# A line read with CJK characters by the full alphabet is CJK on the screen when it scores this much and
# is mostly CJK; the title-bar buttons score 0.59 to 0.75, real Chinese text 0.95 and more.
CLEAR_CJK_SCORE = 0.9
# Lines of this many characters or fewer (not counting spaces) are kept only from this score up.
SHORT_LINE_CHARACTERS = 3
SHORT_LINE_MIN_SCORE = 0.9
# A line in a script that no other line on the screen uses is kept only from this score up.
LONE_SCRIPT_MIN_SCORE = 0.9

_CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x31FF),  # Bopomofo, Hangul compatibility Jamo, Katakana extension
    (0x3200, 0x4DBF),  # enclosed CJK, compatibility, extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA960, 0xA97F),  # Hangul Jamo extended A
    (0xAC00, 0xD7FF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width and half-width forms
    (0x20000, 0x3FFFF),  # CJK extensions B and after
)


def is_cjk(character: str) -> bool:
    code = ord(character)
    return any(start <= code <= end for start, end in _CJK_RANGES)


def script_of(text: str) -> str:
    """The script most of `text`'s letters are in ("latin", "cjk", "greek", …); "common" for a line of
    digits and punctuation only, which any screen may hold."""
    counts: Counter[str] = Counter()
    for character in text:
        if is_cjk(character):
            counts["cjk"] += 1
        elif character.isalpha():
            name = unicodedata.name(character, "")
            counts[name.split(" ")[0].lower() or "unknown"] += 1
    return counts.most_common(1)[0][0] if counts else "common"


def mostly_cjk(text: str) -> bool:
    letters = [character for character in text if not character.isspace()]
    cjk = sum(1 for character in letters if is_cjk(character))
    return cjk > 0 and 2 * cjk >= len(letters)


def keep_cjk_for(language: str) -> bool:
    """Whether the user's language (such as "es", "zh") is written in CJK."""
    return language.split("_")[0].split("-")[0].lower() in CJK_LANGUAGES


class ScriptDecoder:
    """Stands in for RapidOCR's CTC decoder (`TextRecognizer.postprocess_op`): each line is decoded
    with the whole alphabet where `keep_cjk` is set; otherwise without the CJK characters, unless its
    whole-alphabet reading is clearly CJK. Set `keep_cjk` before each recognition (the reader does so
    under its lock)."""

    def __init__(self, decoder: Any) -> None:
        self.decoder = decoder
        self.character: list[str] = list(decoder.character)
        self.cjk_columns = np.array(
            [index for index, character in enumerate(self.character) if any(map(is_cjk, character))],
            dtype=np.intp,
        )
        self.keep_cjk = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.decoder, name)

    def __call__(self, preds: np.ndarray, return_word_box: bool = False, **kwargs: Any) -> Any:
        whole, whole_words = self.decoder(preds, return_word_box, **kwargs)
        if self.keep_cjk or self.cjk_columns.size == 0:
            return whole, whole_words
        # Only a line read with some CJK character changes when CJK is left out; the others are kept,
        # so the whole batch of probabilities (lines x steps x 18,711 characters) is not copied.
        redo = [
            index
            for index, (text, score) in enumerate(whole)
            if any(map(is_cjk, text)) and not (mostly_cjk(text) and score >= CLEAR_CJK_SCORE)
        ]
        if not redo:
            return whole, whole_words
        # The probabilities are left as they were: a shape forced into a Latin letter keeps a low score.
        latin = preds[redo].copy()
        latin[:, :, self.cjk_columns] = 0
        if "wh_ratio_list" in kwargs:
            kwargs["wh_ratio_list"] = [kwargs["wh_ratio_list"][index] for index in redo]
        forced, forced_words = self.decoder(latin, return_word_box, **kwargs)
        lines, words = list(whole), list(whole_words)
        for position, index in enumerate(redo):
            lines[index] = forced[position]
            if return_word_box:
                words[index] = forced_words[position]
        return lines, words


def plausible(lines: Sequence[TextLine], keep_cjk: bool) -> list[TextLine]:
    """`lines` without those that are likely shapes read as text: short ones read with a middling score,
    and low-score ones in a script that neither the user nor any other line on the screen writes in."""
    own = "cjk" if keep_cjk else "latin"
    scripts = [script_of(line.text) for line in lines]
    shared = Counter(scripts)
    kept = []
    for line, script in zip(lines, scripts, strict=True):
        short = len("".join(line.text.split())) <= SHORT_LINE_CHARACTERS
        if short and line.score < SHORT_LINE_MIN_SCORE:
            continue
        if script not in ("common", own) and shared[script] == 1 and line.score < LONE_SCRIPT_MIN_SCORE:
            continue
        kept.append(line)
    return kept
