"""The words on a picture, read by RapidOCR, in reading order; no Qt, no model.

read_text(image) -> TextOnImage      .lines (list[str], reading order), .text, .words, .blocks
shared_reader() -> TextReader        the one warm engine; .warm_up() loads it ahead of use
text_to_speak(lines, word_limit)     "Text on it: …", cut at the limit with how many words are left
gist_then_text(gist, lines, limit)   the model's gist, then the text
"""

from assistant.ocr.layout import TextBlock, TextLine, reading_order
from assistant.ocr.reader import OcrError, TextOnImage, TextReader, read_text, shared_reader
from assistant.ocr.spoken import DEFAULT_WORD_LIMIT, gist_then_text, text_to_speak

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
    "shared_reader",
    "text_to_speak",
]
