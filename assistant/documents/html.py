"""HTML and XHTML: `<img>`, `<input type=image>` and `<area href>`; alt written by splicing the text."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from assistant.documents import markup, sources
from assistant.documents.model import (
    Document,
    DocumentError,
    ImageData,
    ImageOccurrence,
    Status,
    classify,
    language_tag,
)
from assistant.documents.phrases import phrase, said, the_image
from assistant.i18n import _

EXTENSIONS = (".html", ".htm", ".xhtml", ".xht")

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass
class MarkupImage:
    """An image found in markup: the occurrence and the tag whose alt attribute would change."""

    occurrence: ImageOccurrence
    tag: markup.Tag


def detect_encoding(raw: bytes) -> str:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    head = raw[:2048]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if match:
        try:
            return codecs.lookup(match.group(1).decode("ascii")).name
        except LookupError:
            pass
    return "utf-8"


def decode_exactly(raw: bytes, encoding: str, name: str) -> str:
    """Decode so that encoding the text again gives back exactly `raw`."""
    try:
        text = raw.decode(encoding, errors="surrogateescape")
        if text.encode(encoding, errors="surrogateescape") == raw:
            return text
    except (UnicodeError, LookupError):
        pass
    raise DocumentError(
        _("{name} uses a text encoding that cannot be edited without changing other bytes.").format(name=name)
    )


def encode_edited(original: str, edits: list[tuple[int, int, str]], encoding: str) -> bytes:
    """Encode the spliced text: untouched parts byte-for-byte, new text as the encoding allows."""
    out = bytearray()
    position = 0
    for start, end, replacement in sorted(edits):
        out += original[position:start].encode(encoding, errors="surrogateescape")
        out += replacement.encode(encoding, errors="xmlcharrefreplace")
        position = end
    out += original[position:].encode(encoding, errors="surrogateescape")
    return bytes(out)


def _is_decorative(tag: markup.Tag) -> bool:
    roles = (tag.get("role") or "").lower().split()
    if roles and roles[0] in {"presentation", "none"}:
        return True
    if (tag.get("aria-hidden") or "").strip().lower() == "true":
        return True
    return tag.has("alt") and not (tag.get("alt") or "").strip()


def _alt_of(tag: markup.Tag) -> str | None:
    """The alt-text; a bare `alt` is the empty alt-text of a decorative picture, as in browsers."""
    alt = tag.get("alt")
    return "" if alt is None and tag.has("alt") else alt


def image_source(tag: markup.Tag) -> str:
    """The picture an `<img>` shows: `src`, or without one the first candidate of `srcset`."""
    src = (tag.get("src") or "").strip()
    if src or not tag.get("srcset"):
        return src
    # The srcset syntax: candidates split by commas, each a URL (itself without spaces) and a descriptor.
    candidate = (tag.get("srcset") or "").lstrip(" \t\n\r\f,").split(maxsplit=1)
    return candidate[0].rstrip(",") if candidate else ""


def _describe_tag(tag: markup.Tag) -> str:
    # Each value cut before it is quoted: a src can be a data: URI of many megabytes.
    shown = [
        f"{name}={(tag.get(name) or '')[:100]!r}"
        for name in ("src", "srcset", "href", "type")
        if tag.get(name)
    ]
    text = " ".join(shown)
    if len(text) > 80:
        text = text[:77] + "..."
    name = sources.shown(tag.name)
    return f"<{name} {text}>" if text else f"<{name}>"


def _crop_loader(
    image_loader: Callable[[], ImageData], area: markup.Tag, img: markup.Tag
) -> Callable[[], ImageData]:
    """A loader for the part of an image map's picture that an `<area>` covers."""

    def load() -> ImageData:
        from assistant.engine.images import open_image

        data = image_loader()
        picture = (
            data
            if isinstance(data, Image.Image)
            else open_image(data, said(the_image(sources.shown(image_source(img)))))
        )
        picture.load()
        box = area_box(area, img, picture.size)
        return picture.crop(box) if box else picture

    return load


def area_box(area: markup.Tag, img: markup.Tag, natural: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The pixel box an `<area>` covers in its image (None: the whole image)."""
    shape = (area.get("shape") or "rect").strip().lower()
    try:
        coords = [float(c) for c in re.split(r"[\s,]+", (area.get("coords") or "").strip()) if c]
    except ValueError:
        return None
    if shape == "default" or not coords:
        return None
    if shape.startswith("circ") and len(coords) >= 3:
        x, y, r = coords[:3]
        left, top, right, bottom = x - r, y - r, x + r, y + r
    elif shape.startswith("poly") and len(coords) >= 6:
        xs, ys = coords[0::2], coords[1::2]
        left, top, right, bottom = min(xs), min(ys), max(xs), max(ys)
    elif len(coords) >= 4:
        left, top, right, bottom = coords[:4]
    else:
        return None
    scale_x = scale_y = 1.0
    for attribute, index in (("width", 0), ("height", 1)):
        value = (img.get(attribute) or "").strip().removesuffix("px")
        if value.replace(".", "", 1).isdigit() and float(value) > 0:
            scale = natural[index] / float(value)
            scale_x, scale_y = (scale, scale_y) if index == 0 else (scale_x, scale)
    box = (
        max(0, round(left * scale_x)),
        max(0, round(top * scale_y)),
        min(natural[0], round(right * scale_x)),
        min(natural[1], round(bottom * scale_y)),
    )
    return box if box[2] > box[0] and box[3] > box[1] else None


def scan_markup(text: str, locator: sources.Locator, xml: bool = False, where: str = "") -> list[MarkupImage]:
    """Every image in HTML or XHTML text that can carry alt-text, in document order."""
    found: list[MarkupImage] = []
    line_of = markup.LineCounter(text)
    maps: dict[str, markup.Tag] = {}
    areas: list[tuple[MarkupImage, str | None]] = []
    current_map: str | None = None
    for tag in markup.iter_tags(text, xml=xml):
        name = tag.name.lower().rsplit(":", 1)[-1]
        if name == "map":
            current_map = None if tag.closing else (tag.get("name") or tag.get("id") or "")
            continue
        if tag.closing:
            continue
        if name == "img" or (name == "input" and (tag.get("type") or "").strip().lower() == "image"):
            src = image_source(tag)
            usemap = (tag.get("usemap") or "").strip()
            if usemap.startswith("#"):
                maps.setdefault(usemap[1:], tag)
        elif name == "area" and tag.has("href"):
            src = ""
        else:
            continue
        occurrence = _occurrence(tag, src, line_of(tag.start), locator, where)
        item = MarkupImage(occurrence, tag)
        found.append(item)
        if name == "area":
            areas.append((item, current_map))
    for item, map_name in areas:
        img = maps.get(map_name or "")
        occurrence = item.occurrence
        if img is None:
            occurrence.load = None
            # Translators: the alt-text report, an HTML <area> whose image map no picture uses.
            occurrence.reason = phrase("The image map this area belongs to has no image.")
            continue
        source = sources.resolve(image_source(img), locator)
        occurrence.source = sources.shown(image_source(img)) + " (area)"
        source.fill(occurrence)
        occurrence.load = _crop_loader(source.load, item.tag, img) if source.load else None
    return found


def _occurrence(
    tag: markup.Tag, src: str, line: int, locator: sources.Locator, where: str
) -> ImageOccurrence:
    alt = _alt_of(tag)
    label = tag.get("aria-label")
    if alt is None and (label or "").strip():
        alt = label
    elif alt is None and (tag.get("aria-labelledby") or "").strip():
        # Translators: the alt-text report, the alt-text an image has: the element naming it is {id}.
        alt = phrase("(labelled by #{id})", id=tag.get("aria-labelledby"))
    status = classify(alt, decorative=_is_decorative(tag), source=src)
    source = sources.resolve(src, locator) if src else sources.Source(None)
    if where:
        # Translators: the alt-text report, where an image is: a chapter of an EPUB, a line, and its tag.
        location = phrase("{part}, line {line}, {tag}", part=where, line=line, tag=_describe_tag(tag))
    else:
        # Translators: the alt-text report, where an image is in an HTML file: a line, and its tag.
        location = phrase("line {line}, {tag}", line=line, tag=_describe_tag(tag))
    return source.fill(
        ImageOccurrence(
            location=location,
            source=sources.shown(src),
            current_alt=alt,
            status=status,
        )
    )


_HTML_LANG = re.compile(r"""<html\b[^>]*?\s(?:xml:)?lang\s*=\s*["']?([^"'\s>]*)""", re.IGNORECASE)


def declared_language(text: str) -> str:
    """The language the <html> element's lang (or xml:lang) declares, "" where it declares none."""
    found = _HTML_LANG.search(text)
    return language_tag(found.group(1)) if found else ""


def alt_edits(images: list[MarkupImage], edits: Mapping[int, str]) -> list[tuple[int, int, str]]:
    return [markup.attribute_edit(images[index].tag, "alt", alt) for index, alt in edits.items()]


class HtmlDocument(Document):
    format = "html"

    def __init__(self, path: Path, raw: bytes, access: sources.Access | None = None) -> None:
        self.raw = raw
        self.encoding = detect_encoding(raw)
        self.text = decode_exactly(raw, self.encoding, path.name)
        xml = path.suffix.lower() in {".xhtml", ".xht"} or self.text.lstrip("\ufeff").startswith("<?xml")
        locator = sources.FolderLocator(path.parent, access or sources.Access())
        self.found = scan_markup(self.text, locator, xml=xml)
        super().__init__(path, [item.occurrence for item in self.found])
        self.language = declared_language(self.text)

    def save(self, edits: Mapping[int, str], out: BinaryIO) -> None:
        out.write(encode_edited(self.text, alt_edits(self.found, edits), self.encoding))


def open_document(path: Path, raw: bytes, access: sources.Access | None = None) -> HtmlDocument:
    if b"\x00" in raw[:1024] and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DocumentError(
            _("{name} is not a text file, so it cannot be read as HTML.").format(name=path.name)
        )
    return HtmlDocument(path, raw, access)


__all__ = ["EXTENSIONS", "HtmlDocument", "MarkupImage", "Status", "open_document", "scan_markup"]
