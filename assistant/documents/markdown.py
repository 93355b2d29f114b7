"""Markdown: inline `![alt](src)`, reference-style `![alt][ref]` with `[ref]: src`, and raw `<img>`.

Nothing inside fenced or indented code blocks, code spans or HTML comments is touched. The alt-text
is spliced into the original text, so the rest of the file stays byte-for-byte as it was.

Markdown has no way to mark an image decorative, so `![](src)` counts as missing alt-text; a
decorative image is written as raw HTML with `alt=""`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from assistant.documents import html, markup, sources
from assistant.documents.model import Document, ImageOccurrence, classify
from assistant.documents.phrases import phrase

EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd")

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:\s|$)")
# A label holds no unescaped bracket (as in CommonMark): allowing "[" let each line of "\n[" * 100000
# try 999 characters on, 27 s in all.
_DEFINITION = re.compile(
    r"^ {0,3}\[((?:[^\[\]\\]|\\.){1,999})\]:[ \t]*\n?[ \t]*(<[^>\n]*>|\S+)", re.MULTILINE
)
_REFERENCE = re.compile(r"\[((?:[^\[\]\\]|\\.){0,999})\]")
_BLANK_LINE = re.compile(r"[ \t]*\r?\n")
_ESCAPABLE = re.compile(r"\\([!-/:-@\[-`{-~])")
_NEEDS_ESCAPE = re.compile(r"([\\\[\]`*_<>&])")
# What `_bracket_pairs` looks at: an escaped character (skipped whole), a bracket or a line end.
_BRACKET_EVENTS = re.compile(r"\\(?s:.)?|[\[\]\n]")
_BACKTICKS = re.compile(r"`+")
# CommonMark's reference parser allows this many nested parentheses in a destination; the cap also
# stops a text of many unclosed `![a](b(` from being rescanned to its end once for each.
_MAX_PAREN_DEPTH = 32
# A `<destination>` ends at `>`; a newline or another `<` means it is not one.
_ANGLE_END = re.compile(r"[<>\n]")


@dataclass
class MarkdownImage:
    occurrence: ImageOccurrence
    edit_start: int
    edit_end: int
    suffix: str = ""  # kept after the new alt-text (a reference label that must survive)
    tag: markup.Tag | None = None  # set for raw HTML <img>


def normalize_label(label: str) -> str:
    return " ".join(label.split()).casefold()


def escape_alt(text: str) -> str:
    """Alt-text safe between `![` and `]`: brackets, backslashes and inline markers escaped."""
    text = " ".join(markup.INVALID_XML_CHARS.sub(" ", text).split())
    return _NEEDS_ESCAPE.sub(r"\\\1", text)


def code_block_ranges(text: str) -> list[tuple[int, int]]:
    """Offsets of fenced and indented code blocks."""
    ranges: list[tuple[int, int]] = []
    fence: tuple[str, int] | None = None
    offset = 0
    previous_blank = True
    previous_code = False
    in_list = False
    for line in text.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        content = line.rstrip("\r\n")
        blank = not content.strip()
        if fence is not None:
            ranges.append((start, offset))
            closing = _FENCE.match(content)
            if (
                closing
                and closing.group(2)[0] == fence[0]
                and len(closing.group(2)) >= fence[1]
                and not closing.group(3).strip()
            ):
                fence = None
            continue
        opening = _FENCE.match(content)
        if opening and not (opening.group(2)[0] == "`" and "`" in opening.group(3)):
            fence = (opening.group(2)[0], len(opening.group(2)))
            ranges.append((start, offset))
            previous_blank, previous_code = False, False
            continue
        indent = len(content.expandtabs(4)) - len(content.expandtabs(4).lstrip(" "))
        is_code = not blank and indent >= 4 and (previous_blank or previous_code) and not in_list
        if is_code or (previous_code and blank):
            ranges.append((start, offset))
        if not blank and not is_code:
            if _LIST_ITEM.match(content):
                in_list = True
            elif previous_blank and indent < 2:
                in_list = False
        previous_code = is_code or (previous_code and blank)
        previous_blank = blank
    return ranges


def _prose_ranges(text: str) -> list[tuple[int, int]]:
    ranges, position = [], 0
    for start, end in code_block_ranges(text):
        if start > position:
            ranges.append((position, start))
        position = max(position, end)
    if position < len(text):
        ranges.append((position, len(text)))
    return ranges


def _bracket_pairs(text: str, start: int, end: int) -> dict[int, int]:
    """Index of each `[` in `text[start:end]` -> index of the `]` that closes it, in one pass.

    A `[` is closed by the first `]` at which the brackets opened since it balance; backslashes escape
    the next character and a blank line ends the paragraph, closing nothing. Finding each `![`'s
    bracket by scanning on from it made a text of unclosed `![` quadratic.
    """
    pairs: dict[int, int] = {}
    opened: list[int] = []
    for match in _BRACKET_EVENTS.finditer(text, start, end):
        char, position = match.group()[0], match.start()
        if char == "[":
            opened.append(position)
        elif char == "]":
            if opened:
                pairs[opened.pop()] = position
        elif char == "\n" and _BLANK_LINE.match(text, position + 1):
            opened.clear()
    return pairs


def _inline_destination(text: str, position: int, end: int) -> tuple[str, int] | None:
    """Parse `(dest "title")` starting at the `(`; (destination, index after `)`) or None."""
    position += 1
    while position < end and text[position] in " \t\n":
        position += 1
    if position < end and text[position] == "<":
        close_match = _ANGLE_END.search(text, position + 1, end)
        if close_match is None or close_match.group() != ">":
            return None
        close = close_match.start()
        destination, position = text[position + 1 : close], close + 1
    else:
        depth, begin = 0, position
        while position < end and not text[position].isspace():
            char = text[position]
            if char == "\\":
                position += 2
                continue
            if char == "(":
                depth += 1
                if depth > _MAX_PAREN_DEPTH:
                    return None
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            position += 1
        destination = text[begin:position]
    while position < end and text[position] in " \t\n":
        position += 1
    if position < end and text[position] in "\"'(":
        closer = ")" if text[position] == "(" else text[position]
        # A title in parentheses cannot hold another "(": stopping there, as at its closer, keeps
        # the scans of many unclosed titles from overlapping.
        stops = "()" if closer == ")" else closer
        close = position + 1
        while close < end and text[close] not in stops:
            close += 2 if text[close] == "\\" else 1
        if close < end and text[close] != closer:
            return None
        position = close + 1
        while position < end and text[position] in " \t\n":
            position += 1
    if position < end and text[position] == ")":
        return _ESCAPABLE.sub(r"\1", destination), position + 1
    return None


class MarkdownDocument(Document):
    format = "markdown"

    def __init__(self, path: Path, raw: bytes, access: sources.Access | None = None) -> None:
        self.raw = raw
        self.text = html.decode_exactly(raw, "utf-8", path.name)
        self.locator = sources.FolderLocator(path.parent, access or sources.Access())
        self.found: list[MarkdownImage] = []
        self.line_of = markup.LineCounter(self.text)
        self._closers: dict[int, int] = {}
        self._backticks: dict[int, list[int]] = {}
        self._unclosed: set[int] = set()
        prose = _prose_ranges(self.text)
        self.definitions = self._definitions(prose)
        for start, end in prose:
            self._scan(start, end)
        super().__init__(path, [item.occurrence for item in self.found])

    def _definitions(self, prose: list[tuple[int, int]]) -> dict[str, str]:
        definitions: dict[str, str] = {}
        for start, end in prose:
            for match in _DEFINITION.finditer(self.text, start, end):
                destination = match.group(2)
                if destination.startswith("<"):
                    destination = destination[1:-1]
                definitions.setdefault(normalize_label(match.group(1)), _ESCAPABLE.sub(r"\1", destination))
        return definitions

    def _scan(self, start: int, end: int) -> None:
        text, position = self.text, start
        self._closers = _bracket_pairs(text, start, end)
        # Where each length of backtick run starts, so a code span's closing run is looked up, not
        # searched for to the end of the text once for every opening run.
        self._backticks = {}
        for match in _BACKTICKS.finditer(text, start, end):
            self._backticks.setdefault(match.end() - match.start(), []).append(match.start())
        while position < end:
            char = text[position]
            if char == "\\":
                position += 2
            elif char == "`":
                run_match = _BACKTICKS.match(text, position, end)
                assert run_match is not None
                run = run_match.end() - position
                starts = self._backticks.get(run, [])
                index = bisect.bisect_left(starts, position + run)
                position = starts[index] + run if index < len(starts) else position + run
            elif text.startswith("<!--", position):
                close = text.find("-->", position + 4, end)
                position = end if close < 0 else close + 3
            elif char == "<":
                position = self._raw_html(position, end)
            elif text.startswith("![", position):
                position = self._image(position, end)
            else:
                position += 1

    def _raw_html(self, position: int, end: int) -> int:
        tag = markup.tag_at(self.text, position, end, failed=self._unclosed)
        if tag is None:
            return position + 1
        if not tag.closing and tag.name in {"script", "style", "textarea"}:
            match = re.compile(rf"</{tag.name}[\s>]", re.I).search(self.text, tag.end, end)
            return end if match is None else match.start()
        if not tag.closing and tag.name == "img":
            occurrence = html._occurrence(
                tag, html.image_source(tag), self.line_of(tag.start), self.locator, ""
            )
            self.found.append(MarkdownImage(occurrence, tag.start, tag.start, tag=tag))
        return tag.end

    def _image(self, position: int, end: int) -> int:
        text = self.text
        label_start = position + 2
        label_end = self._closers.get(position + 1, -1)
        if label_end < 0:
            return label_start
        label = text[label_start:label_end]
        after = label_end + 1
        edit_end, suffix = label_end, ""
        destination: str | None = None
        parsed = _inline_destination(text, after, end) if text.startswith("(", after) else None
        if parsed:
            destination, next_position = parsed
        else:
            reference = label
            next_position = after
            ref_match = _REFERENCE.match(text, after, end)
            if ref_match:
                reference = ref_match.group(1) or label
                next_position = ref_match.end()
                if not ref_match.group(1):  # collapsed: ![label][]
                    edit_end, suffix = ref_match.end(), f"][{label}]"
            else:  # shortcut: ![label]
                edit_end, suffix = after, f"][{label}]"
            destination = self.definitions.get(normalize_label(reference))
            if destination is None:
                return label_start
        alt = _ESCAPABLE.sub(r"\1", label)
        status = classify(alt if alt.strip() else None, source=destination)
        markdown = f"![{_short(alt)}]({_short(destination)})"
        # Translators: the alt-text report, where an image is in a Markdown file: a line, and the image's
        # Markdown.
        location = phrase("line {line}, {markdown}", line=self.line_of(position), markdown=markdown)
        occurrence = sources.resolve(destination, self.locator).fill(
            ImageOccurrence(
                location=location,
                source=sources.shown(destination),
                current_alt=alt if alt.strip() else None,
                status=status,
            )
        )
        self.found.append(MarkdownImage(occurrence, label_start, edit_end, suffix))
        return next_position

    def save(self, edits: Mapping[int, str], out: BinaryIO) -> None:
        changes: list[tuple[int, int, str]] = []
        for index, alt in edits.items():
            item = self.found[index]
            if item.tag is not None:
                changes.append(markup.attribute_edit(item.tag, "alt", alt))
            else:
                changes.append((item.edit_start, item.edit_end, escape_alt(alt) + item.suffix))
        out.write(html.encode_edited(self.text, changes, "utf-8"))


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def open_document(path: Path, raw: bytes, access: sources.Access | None = None) -> MarkdownDocument:
    return MarkdownDocument(path, raw, access)
