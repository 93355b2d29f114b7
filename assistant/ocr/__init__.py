"""The words on a picture, read by RapidOCR, in reading order; no Qt, no model.

read_text(image) -> TextOnImage      .lines (list[str], reading order), .text, .words, .blocks
shared_reader() -> TextReader        the one warm engine; .warm_up() loads it ahead of use
text_to_speak(lines, word_limit, to_hear_more)  "Text on it: …", cut at the limit with how many words
                                     are left and how to hear them
split_at_limit(lines, word_limit)    the lines said and the rest; rest_to_speak(rest) says the rest
gist_then_text(gist, lines, limit)   the model's gist, then the text
"""

from assistant.ocr.layout import TextBlock, TextLine, reading_order
from assistant.ocr.reader import OcrError, TextOnImage, TextReader, read_text, shared_reader
from assistant.ocr.spoken import (
    DEFAULT_WORD_LIMIT,
    gist_then_text,
    rest_to_speak,
    split_at_limit,
    text_to_speak,
    words_in,
)

__all__ = [
    "DEFAULT_WORD_LIMIT",
    "OcrError",
    "TextBlock",
    "TextLine",
    "TextOnImage",
    "TextReader",
    "gist_then_text",
    "read_text",
    "reading_order",
    "rest_to_speak",
    "shared_reader",
    "split_at_limit",
    "text_to_speak",
    "words_in",
]
