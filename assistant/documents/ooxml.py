"""Word and PowerPoint files: the picture's description (`descr` on `wp:docPr` / `p:cNvPr`).

Each XML part is read with lxml to understand it, but written by splicing the one attribute into the
original bytes; every other member of the zip is copied byte-for-byte.
"""

from __future__ import annotations

import posixpath
import re
import urllib.parse
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from assistant.documents import markup, sources, ziputil
from assistant.documents.model import (
    Document,
    DocumentError,
    ImageOccurrence,
    Status,
    classify,
    language_tag,
)
from assistant.documents.phrases import phrase
from assistant.i18n import _

WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
# A language tag: Word's <w:lang w:val="es-ES"/>, DrawingML's (PowerPoint's) <a:rPr lang="es-ES">.
_LANG = re.compile(
    rb'<(?:\w+:)?(?:lang\b[^>]*?\s(?:\w+:)?val|(?:rPr|defRPr|endParaRPr)\b[^>]*?\slang)="([^"]*)"'
)
DECORATIVE = "http://schemas.microsoft.com/office/drawing/2017/decorative"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=False)


@dataclass
class PictureRef:
    part: str
    qname: str  # the element as written, e.g. "wp:docPr"
    index: int  # its position among elements written that way in the part


def is_decorative(element: etree._Element) -> bool:
    return any(
        (flag.get("val") or "").strip().lower() in {"1", "true", "on"}
        for flag in element.iter(f"{{{DECORATIVE}}}decorative")
    )


def _qname(element: etree._Element) -> str:
    local = etree.QName(element).localname
    return f"{element.prefix}:{local}" if element.prefix else local


def relationships(archive: zipfile.ZipFile, part: str, name: str = "The file") -> dict[str, tuple[str, bool]]:
    """Relationship id -> (target, external) for a part."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    try:
        data = ziputil.read_member(archive, rels_name)
        ziputil.check_elements(name, rels_name, data)
        root = etree.fromstring(data, _PARSER)
    except KeyError:
        return {}
    except etree.XMLSyntaxError as error:
        raise DocumentError(
            _("The relationships of {shown} are damaged ({msg}).").format(
                shown=sources.shown(part), msg=error.msg
            )
        ) from None
    found = {}
    for rel in root.iter(f"{{{PKG_REL}}}Relationship"):
        external = (rel.get("TargetMode") or "").lower() == "external"
        found[rel.get("Id") or ""] = (rel.get("Target") or "", external)
    return found


class OoxmlDocument(Document):
    """Shared by Word and PowerPoint; subclasses say which parts and which elements hold pictures."""

    kind = ""

    def __init__(self, path: Path, raw: bytes, access: sources.Access | None = None) -> None:
        self.path = path
        self.access = access or sources.Access()
        self.archive = ziputil.open_zip(raw, path.name, self.kind)
        self.parts: dict[str, bytes] = {}
        self.refs: list[PictureRef] = []
        images: list[ImageOccurrence] = []
        for part in self.picture_parts():
            data = ziputil.read_member(self.archive, part)
            ziputil.check_elements(path.name, part, data)
            try:
                root = etree.fromstring(data, _PARSER)
            except etree.XMLSyntaxError as error:
                raise DocumentError(
                    _("{name} is damaged: {shown} is not valid XML ({msg}).").format(
                        name=path.name, shown=sources.shown(part), msg=error.msg
                    )
                ) from None
            self.parts[part] = data
            rels = relationships(self.archive, part, path.name)
            pictures = self.pictures(root)
            # Each picture's place among the elements written the same way, counted in one pass over
            # the part (counting again for each picture made thousands of pictures quadratic).
            counted: dict[str, int] = {}
            places: dict[etree._Element, int] = {}
            for tag in {props.tag for props, _place in pictures}:
                for element in root.iter(tag):
                    qname = _qname(element)
                    places[element] = counted.get(qname, 0)
                    counted[qname] = places[element] + 1
            for number, (props, blip) in enumerate(pictures, start=1):
                images.append(self._occurrence(part, number, props, blip, rels))
                self.refs.append(PictureRef(part, _qname(props), places[props]))
        super().__init__(path, images)
        self.language = self.declared_language()

    def picture_parts(self) -> list[str]:
        raise NotImplementedError

    def language_parts(self) -> list[list[str]]:
        """Where the text's language tags are, most telling first (the text's own, then the defaults)."""
        raise NotImplementedError

    def declared_language(self) -> str:
        """The language most of the text is tagged with (Word's w:lang, PowerPoint's lang), else the
        document's default; "" where nothing is tagged."""
        names = {info.filename for info in self.archive.infolist()}
        for group in self.language_parts():
            counts = Counter(
                language_tag(tag)
                for part in group
                if part in names
                for tag in _LANG.findall(ziputil.read_member(self.archive, part))
            )
            counts.pop("", None)
            if counts:
                return counts.most_common(1)[0][0]
        return ""

    def pictures(self, root: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
        """(properties element holding descr, a:blip element) for each picture, in document order."""
        raise NotImplementedError

    def where(self, part: str, number: int) -> str:
        # Translators: the alt-text report, where a picture is: a part of the file, and its number there.
        return phrase("{part}, picture {number}", part=sources.shown(part), number=number)

    def _occurrence(
        self,
        part: str,
        number: int,
        props: etree._Element,
        blip: etree._Element,
        rels: dict[str, tuple[str, bool]],
    ) -> ImageOccurrence:
        embed = blip.get(f"{{{R}}}embed")
        link = blip.get(f"{{{R}}}link")
        # Word's "Insert and Link" keeps both: the embedded copy is the picture as the reader sees it.
        target, external = rels.get(embed or "", ("", False))
        if not target:
            target, external = rels.get(link or "", ("", False))
            external = external or bool(target)
        locator = ziputil.PackageLocator(self.archive, part, self.path, self.access, self.kind)
        if external:
            source = self._linked(target, locator)
        elif target:
            source = locator.inside(urllib.parse.unquote(target))
            target = locator.member_name(urllib.parse.unquote(target))
        else:
            # Translators: the alt-text report, a Word or PowerPoint picture whose image is not in the file.
            source = sources.Source(None, problem=phrase("The picture's image is missing from the file."))
        descr = props.get("descr")
        name = props.get("name") or ""
        return source.fill(
            ImageOccurrence(
                # Translators: the alt-text report, where a picture is ("slide 2, picture 1") and its name.
                location=phrase('{where} "{name}"', where=self.where(part, number), name=sources.shown(name)),
                source=sources.shown(target),
                current_alt=descr,
                status=classify(descr, decorative=is_decorative(props), source=target),
            )
        )

    def _linked(self, target: str, locator: ziputil.PackageLocator) -> sources.Source:
        """A picture linked to a file instead of embedded: read only with --allow-outside."""
        scheme = urllib.parse.urlsplit(target).scheme.lower()
        if scheme in {"http", "https", "ftp"}:
            return sources.resolve(target, locator)
        if len(scheme) > 1 and scheme != "file":
            return sources.Source(None, problem=sources.unreadable_scheme(scheme))
        if not self.access.allow_outside:
            return sources.Source(
                None,
                # Translators: the alt-text report; {target} is a file name or address.
                problem=phrase(
                    "The picture is linked to {target} rather than embedded in the file; use --allow-outside to read it.",
                    target=sources.shown(target),
                ),
                skip=Status.LINKED,
            )
        path = sources.file_url_path(target) if scheme == "file" else urllib.parse.unquote(target)
        # Translators: the start of a sentence of the alt-text report; {target} is a file name or address.
        return locator.on_disk(path, phrase("The linked picture {target}", target=sources.shown(target)))

    def save(self, edits: Mapping[int, str], out: BinaryIO) -> None:
        by_part: dict[str, list[tuple[PictureRef, str]]] = {}
        for index, alt in edits.items():
            ref = self.refs[index]
            by_part.setdefault(ref.part, []).append((ref, alt))
        replacements = {
            part: _splice_descr(part, self.parts[part], changes) for part, changes in by_part.items()
        }
        ziputil.rewrite(self.archive, out, replacements)


_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)""")


def _splice_descr(part: str, data: bytes, changes: list[tuple[PictureRef, str]]) -> bytes:
    match = _ENCODING.match(data)
    encoding = match.group(1).decode("ascii").lower() if match else "utf-8"
    if encoding.replace("-", "") != "utf8":
        raise DocumentError(
            _("{shown} is not stored as UTF-8, so its alt-text cannot be edited safely.").format(
                shown=sources.shown(part)
            )
        )
    text = data.decode("utf-8")
    tags = markup.start_tags_named(text, {ref.qname for ref, _ in changes})
    edits = []
    for ref, alt in changes:
        try:
            tag = tags[ref.qname][ref.index]
        except (KeyError, IndexError):
            raise DocumentError(
                _("The picture in {shown} could not be found again to write its description.").format(
                    shown=sources.shown(part)
                )
            ) from None
        edits.append(markup.attribute_edit(tag, "descr", alt))
    return markup.splice(text, edits).encode("utf-8")


class DocxDocument(OoxmlDocument):
    format = "docx"
    kind = "Word"

    def picture_parts(self) -> list[str]:
        names = [info.filename for info in self.archive.infolist()]
        if "word/document.xml" not in names:
            raise DocumentError(
                _("{name} is not a Word document (it has no word/document.xml).").format(name=self.path.name)
            )
        return [
            n
            for n in names
            if re.fullmatch(r"word/[^/]+\.xml", n) and b"docPr" in ziputil.read_member(self.archive, n)
        ]

    def pictures(self, root: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
        found = []
        for props in root.iter(f"{{{WP}}}docPr"):
            drawing = props.getparent()
            blip = None if drawing is None else next(drawing.iter(f"{{{A}}}blip"), None)
            if blip is not None:
                found.append((props, blip))
        return found

    def language_parts(self) -> list[list[str]]:
        return [["word/document.xml"], ["word/styles.xml"]]

    def where(self, part: str, number: int) -> str:
        name = posixpath.basename(part).removesuffix(".xml")
        if name == "document":
            # Translators: the alt-text report, where a picture is in a Word document's main text.
            return phrase("body, picture {number}", number=number)
        # The other parts are named for the reader, not by their file (header1.xml).
        found = re.fullmatch(r"(header|footer)(\d+)", name)
        if found and found.group(1) == "header":
            # Translators: the alt-text report, a picture in a Word document's page header {part}.
            return phrase("header {part}, picture {number}", part=int(found.group(2)), number=number)
        if found:
            # Translators: the alt-text report, a picture in a Word document's page footer {part}.
            return phrase("footer {part}, picture {number}", part=int(found.group(2)), number=number)
        if name == "footnotes":
            # Translators: the alt-text report, a picture in a Word document's footnotes.
            return phrase("footnotes, picture {number}", number=number)
        if name == "endnotes":
            # Translators: the alt-text report, a picture in a Word document's endnotes.
            return phrase("endnotes, picture {number}", number=number)
        if name == "comments":
            # Translators: the alt-text report, a picture in a Word document's comments.
            return phrase("comments, picture {number}", number=number)
        return phrase("{part}, picture {number}", part=name, number=number)


class PptxDocument(OoxmlDocument):
    format = "pptx"
    kind = "PowerPoint"

    def picture_parts(self) -> list[str]:
        names = [info.filename for info in self.archive.infolist()]
        if "ppt/presentation.xml" not in names:
            raise DocumentError(
                _("{name} is not a PowerPoint file (it has no ppt/presentation.xml).").format(
                    name=self.path.name
                )
            )
        slides = [
            (int(m.group(1)), n) for n in names if (m := re.fullmatch(r"ppt/slides/slide(\d+)\.xml", n))
        ]
        return [name for _, name in sorted(slides)]

    def language_parts(self) -> list[list[str]]:
        return [self.picture_parts(), ["ppt/presentation.xml"]]

    def pictures(self, root: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
        found = []
        for pic in root.iter(f"{{{P}}}pic"):
            props = pic.find(f"{{{P}}}nvPicPr/{{{P}}}cNvPr")
            blip = pic.find(f"{{{P}}}blipFill/{{{A}}}blip")
            if props is not None and blip is not None:
                found.append((props, blip))
        return found

    def where(self, part: str, number: int) -> str:
        slide = re.search(r"(\d+)\.xml$", part)
        # Translators: the alt-text report, where a picture is in a PowerPoint file.
        return phrase(
            "slide {slide}, picture {number}", slide=slide.group(1) if slide else part, number=number
        )


def open_docx(path: Path, raw: bytes, access: sources.Access | None = None) -> DocxDocument:
    return DocxDocument(path, raw, access)


def open_pptx(path: Path, raw: bytes, access: sources.Access | None = None) -> PptxDocument:
    return PptxDocument(path, raw, access)
