"""A small tag scanner for HTML, XHTML and XML that keeps exact offsets, so attributes can be changed
by splicing the original text: nothing outside the changed attribute value is ever rewritten.

It understands comments, CDATA sections, doctypes, processing instructions, quoted and unquoted
attribute values, and (in HTML) the raw-text elements whose content is not markup: script, style,
textarea, title and the like.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

RAW_TEXT_ELEMENTS = {
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
}

_NAME = re.compile(r"[^\s/>]+")
_ATTR_NAME = re.compile(r"[^\s/>=][^\s/>=]*|=[^\s/>=]*")
_SPACE = re.compile(r"[\s/]*")
_UNQUOTED = re.compile(r"[^\s>]*")
INVALID_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class Attribute:
    name: str
    value: str | None  # unescaped; None for a bare attribute (`<input disabled>`)
    start: int  # where the name starts
    end: int  # just past the value (and its closing quote)
    value_start: int = -1  # first character of the value, inside the quotes
    value_end: int = -1
    quote: str = ""


@dataclass
class Tag:
    name: str  # lower-case in HTML mode, as written in XML mode
    start: int
    end: int  # just past the closing ">"
    closing: bool = False
    self_closing: bool = False
    attributes: dict[str, Attribute] = field(default_factory=dict)
    last_attribute_end: int = 0

    def get(self, name: str) -> str | None:
        attribute = self.attributes.get(name)
        return attribute.value if attribute else None

    def has(self, name: str) -> bool:
        return name in self.attributes


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


class LineCounter:
    """Line numbers of offsets met in increasing order, each counted on from the one before, so that
    numbering every tag of a document is linear in its size (`line_of` counts from the start)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._offset = 0
        self._line = 1

    def __call__(self, offset: int) -> int:
        if offset < self._offset:  # out of order: count from the start once
            self._offset, self._line = 0, 1
        self._line += self.text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line


def _skip_to(text: str, marker: str, position: int, end: int) -> int:
    found = text.find(marker, position, end)
    return end if found < 0 else found + len(marker)


def iter_tags(text: str, start: int = 0, end: int | None = None, xml: bool = False) -> Iterator[Tag]:
    """Every start and end tag in `text[start:end]`, in order, with exact offsets."""
    end = len(text) if end is None else end
    position = start
    while True:
        position = text.find("<", position, end)
        if position < 0:
            return
        if text.startswith("<!--", position):
            position = _skip_to(text, "-->", position + 4, end)
            continue
        if text.startswith("<![CDATA[", position):
            position = _skip_to(text, "]]>", position + 9, end)
            continue
        if text.startswith(("<!", "<?"), position):
            position = _skip_to(text, "?>" if xml and text[position + 1] == "?" else ">", position + 2, end)
            continue
        closing = text.startswith("</", position)
        name_at = position + (2 if closing else 1)
        if name_at >= end or not (text[name_at].isalpha() or (xml and text[name_at] in "_:")):
            position += 1
            continue
        tag = _parse_tag(text, position, name_at, end, closing, xml)
        if tag is None:
            return
        yield tag
        position = tag.end
        if not xml and not closing and not tag.self_closing and tag.name in RAW_TEXT_ELEMENTS:
            match = re.compile(rf"</{tag.name}[\s/>]", re.IGNORECASE).search(text, position, end)
            position = end if match is None else match.start()


def tag_at(
    text: str, position: int, end: int, xml: bool = False, failed: set[int] | None = None
) -> Tag | None:
    """The start or end tag that begins exactly at `position` (None if none does); unlike `iter_tags` it
    never looks further on for one. Passing the same `failed` set to each call (see `_parse_tag`) keeps
    trying every `<` of a text linear."""
    closing = text.startswith("</", position)
    name_at = position + (2 if closing else 1)
    if not text.startswith("<", position) or name_at >= end:
        return None
    if not (text[name_at].isalpha() or (xml and text[name_at] in "_:")):
        return None
    return _parse_tag(text, position, name_at, end, closing, xml, failed)


def start_tags_named(text: str, names: set[str]) -> dict[str, list[Tag]]:
    """The start tags of XML `text` named (as written) in `names`, in order, outside comments, CDATA
    and processing instructions. Only those tags are parsed, so a part of millions of other elements
    costs one pass in C, not a Python object each."""
    found: dict[str, list[Tag]] = {name: [] for name in names}
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"<(?:!--|!\[CDATA\[|[?!]|(?:{alternatives})(?=[\s/>]))")
    end, position = len(text), 0
    while (match := pattern.search(text, position)) is not None:
        start, marker = match.start(), match.group()
        if marker == "<!--":
            position = _skip_to(text, "-->", start + 4, end)
        elif marker == "<![CDATA[":
            position = _skip_to(text, "]]>", start + 9, end)
        elif marker in ("<?", "<!"):
            position = _skip_to(text, "?>" if marker == "<?" else ">", start + 2, end)
        else:
            tag = _parse_tag(text, start, start + 1, end, False, True)
            if tag is None:
                break
            found[tag.name].append(tag)
            position = tag.end
    return found


def _run_end(pattern: re.Pattern[str], text: str, position: int, end: int) -> int:
    """Where the run of `pattern` (which may be empty) that starts at `position` ends."""
    match = pattern.match(text, position, end)
    return position if match is None else match.end()


def _parse_tag(
    text: str, start: int, name_at: int, end: int, closing: bool, xml: bool, failed: set[int] | None = None
) -> Tag | None:
    """The tag whose name starts at `name_at`, or None where the text ends inside it.

    `failed` holds the places between attributes that an earlier parse went through and then found
    no end: one reaching such a place ends the same way, so trying every `<` of a long unclosed tag
    goes through it once, not once for each `<`.
    """
    visited: list[int] = []
    name_match = _NAME.match(text, name_at, end)
    assert name_match is not None
    name = name_match.group() if xml else name_match.group().lower()
    tag = Tag(name=name, start=start, end=end, closing=closing, last_attribute_end=name_match.end())
    position = name_match.end()
    while True:
        position = _run_end(_SPACE, text, position, end)
        if failed is not None:
            if position in failed:
                _gave_up(failed, visited)
                return None
            visited.append(position)
        if position >= end:
            _gave_up(failed, visited)  # the document ends inside a tag
            return None
        if text[position] == ">":
            tag.end = position + 1
            tag.self_closing = text[position - 1] == "/"
            return tag
        attr_match = _ATTR_NAME.match(text, position, end)
        if attr_match is None:
            position += 1
            continue
        attr_name = attr_match.group() if xml else attr_match.group().lower()
        attribute = Attribute(attr_name, None, attr_match.start(), attr_match.end())
        position = attr_match.end()
        after_space = position
        while after_space < end and text[after_space].isspace():
            after_space += 1
        if after_space < end and text[after_space] == "=":
            position = after_space + 1
            while position < end and text[position].isspace():
                position += 1
            if position >= end:
                _gave_up(failed, visited)
                return None
            quote = text[position]
            if quote in "\"'":
                close = text.find(quote, position + 1, end)
                if close < 0:
                    _gave_up(failed, visited)
                    return None
                attribute.value_start, attribute.value_end, attribute.quote = position + 1, close, quote
                position = close + 1
            else:
                attribute.value_start = position
                attribute.value_end = position = _run_end(_UNQUOTED, text, position, end)
            attribute.value = html.unescape(text[attribute.value_start : attribute.value_end])
            attribute.end = position
        tag.attributes.setdefault(attr_name, attribute)
        tag.last_attribute_end = attribute.end


def _gave_up(failed: set[int] | None, visited: list[int]) -> None:
    if failed is not None:
        failed.update(visited)


def escape_attribute(value: str) -> str:
    """Text safe inside a double-quoted attribute in HTML and XML alike."""
    value = INVALID_XML_CHARS.sub(" ", value)
    return (
        value.replace("&", "&amp;")
        .replace('"', "&quot;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def attribute_edit(tag: Tag, name: str, value: str) -> tuple[int, int, str]:
    """(start, end, replacement) that gives `tag` the attribute `name="value"`, changing nothing else."""
    escaped = escape_attribute(value)
    attribute = tag.attributes.get(name)
    if attribute is None:
        return tag.last_attribute_end, tag.last_attribute_end, f' {name}="{escaped}"'
    if attribute.value is None:
        return attribute.start, attribute.end, f'{name}="{escaped}"'
    if attribute.quote == "'":
        return attribute.value_start, attribute.value_end, escaped.replace("'", "&#39;")
    if attribute.quote == '"':
        return attribute.value_start, attribute.value_end, escaped
    return attribute.value_start, attribute.value_end, f'"{escaped}"'


def splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping (start, end, replacement) edits to `text`."""
    pieces: list[str] = []
    position = 0
    for start, end, replacement in sorted(edits):
        if start < position:
            raise ValueError("Overlapping edits.")
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
