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


def _run_end(pattern: re.Pattern[str], text: str, position: int, end: int) -> int:
    """Where the run of `pattern` (which may be empty) that starts at `position` ends."""
    match = pattern.match(text, position, end)
    return position if match is None else match.end()


def _parse_tag(text: str, start: int, name_at: int, end: int, closing: bool, xml: bool) -> Tag | None:
    name_match = _NAME.match(text, name_at, end)
    assert name_match is not None
    name = name_match.group() if xml else name_match.group().lower()
    tag = Tag(name=name, start=start, end=end, closing=closing, last_attribute_end=name_match.end())
    position = name_match.end()
    while True:
        position = _run_end(_SPACE, text, position, end)
        if position >= end:
            return None  # the document ends inside a tag
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
                return None
            quote = text[position]
            if quote in "\"'":
                close = text.find(quote, position + 1, end)
                if close < 0:
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
