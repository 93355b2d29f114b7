"""Text from outside (file names, image sources, model output, messages quoting them) made safe to print.

A terminal takes ESC, CSI (U+009B), BEL, CR and the like as commands: a file or `src` named with them
could clear the screen or forge a line of the report. Bidi overrides reorder what is shown, and a name
that is not UTF-8 reaches Python as lone surrogates that no UTF-8 stream can encode. Everything the
command line prints or logs from such data goes through `for_terminal` (or `json_line` for JSON),
which shows each of these characters as a visible escape instead.
"""

from __future__ import annotations

import json
import re

# C0 and C1 controls and DEL; line and paragraph separators; the format characters that reorder or hide
# text (bidi marks, embeddings, overrides and isolates, invisible operators, tags), but not the joiners
# U+200C and U+200D that emoji and some scripts need; the surrogates a byte that is not UTF-8 becomes.
_OTHERS = (
    "\x7f-\x9f\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b\u200e\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f\ud800-\udfff"
)
_UNSAFE = re.compile(f"[\x00-\x1f{_OTHERS}]")
# JSON already escapes C0 controls inside strings; outside them they are only its own indentation.
_UNSAFE_IN_JSON = re.compile(f"[{_OTHERS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # the byte that was not UTF-8, as Python's surrogateescape keeps it
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def for_terminal(text: object) -> str:
    """`text` as one line with every control, reordering or undecodable character shown as an escape
    (ESC as \\x1b, a newline as \\n, a byte 0xff that was not UTF-8 as \\xff)."""
    return _UNSAFE.sub(_escape, str(text))


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes a character beyond U+FFFF as its UTF-16 pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_line(value: object, indent: int | None = None) -> str:
    """`value` as JSON (on one line unless `indent` is given), readable text kept as it is and the characters `for_terminal`
    escapes written as JSON escapes, so a script reads back exactly what was there."""
    return _UNSAFE_IN_JSON.sub(_json_escape, json.dumps(value, ensure_ascii=False, indent=indent))


_SURROGATE = re.compile("[\ud800-\udfff]")


def for_file(text: str) -> str:
    """`text` that a UTF-8 file can hold: a byte that was not UTF-8 (a lone surrogate) becomes \\xff,
    so a report on a file with such a name is still written."""
    return _SURROGATE.sub(_escape, text)
