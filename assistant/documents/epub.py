"""EPUB 2 and 3: every XHTML document listed in the package; the archive stays a valid EPUB.

Each XHTML member is edited like any XHTML file (alt spliced into the original text). On writing,
`mimetype` comes first and uncompressed and every other member is copied byte-for-byte.
"""

from __future__ import annotations

import posixpath
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from assistant.documents import html, sources, ziputil
from assistant.documents.model import Document, DocumentError, ImageOccurrence, language_tag
from assistant.i18n import _

EXTENSIONS = (".epub",)
CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"
OPF = "http://www.idpf.org/2007/opf"
DC = "http://purl.org/dc/elements/1.1/"
XHTML_TYPES = {"application/xhtml+xml", "text/html"}

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class EpubDocument(Document):
    format = "epub"

    def __init__(self, path: Path, raw: bytes, access: sources.Access | None = None) -> None:
        access = access or sources.Access()
        self.archive = ziputil.open_zip(raw, path.name, "EPUB")
        self.members: dict[str, tuple[str, str, list[html.MarkupImage]]] = {}
        self.index: list[tuple[str, int]] = []
        images: list[ImageOccurrence] = []
        self._declared = ""  # the package's dc:language, read with its manifest
        for member in self._content_documents(path.name):
            data = self._read(member, path.name)
            encoding = html.detect_encoding(data)
            text = html.decode_exactly(data, encoding, member)
            locator = ziputil.PackageLocator(self.archive, member, path, access, "EPUB")
            found = html.scan_markup(text, locator, xml=True, where=sources.shown(member))
            self.members[member] = (text, encoding, found)
            for position, item in enumerate(found):
                self.index.append((member, position))
                images.append(item.occurrence)
        super().__init__(path, images)
        first = next(iter(self.members.values()), None)
        self.language = self._declared or (html.declared_language(first[0]) if first else "")

    def _read(self, member: str, name: str) -> bytes:
        try:
            return ziputil.read_member(self.archive, member)
        except KeyError:
            raise DocumentError(
                _("{name} lists {shown}, but the EPUB does not contain it.").format(
                    name=name, shown=sources.shown(member)
                )
            ) from None

    def _read_xml(self, member: str, name: str) -> bytes:
        data = self._read(member, name)
        ziputil.check_elements(name, member, data)
        return data

    def _content_documents(self, name: str) -> list[str]:
        """The package's XHTML documents: spine order first, then the rest of the manifest."""
        try:
            container = etree.fromstring(self._read_xml("META-INF/container.xml", name), _PARSER)
            rootfile = container.find(f".//{{{CONTAINER}}}rootfile")
            opf_path = rootfile.get("full-path") if rootfile is not None else None
            if not opf_path:
                raise DocumentError(
                    _("{name} is not a valid EPUB: its container names no package file.").format(name=name)
                )
            package = etree.fromstring(self._read_xml(opf_path, name), _PARSER)
        except etree.XMLSyntaxError as error:
            raise DocumentError(
                _("{name} is not a valid EPUB: its package files are damaged ({msg}).").format(
                    name=name, msg=error.msg
                )
            ) from None
        self._declared = next(
            (tag for found in package.iter(f"{{{DC}}}language") if (tag := language_tag(found.text))), ""
        )
        folder = posixpath.dirname(opf_path)
        manifest: dict[str, str] = {}
        for item in package.iter(f"{{{OPF}}}item"):
            if (item.get("media-type") or "").lower() in XHTML_TYPES and item.get("href"):
                href = urllib.parse.unquote(item.get("href", "").split("#", 1)[0])
                manifest[item.get("id") or href] = posixpath.normpath(posixpath.join(folder, href))
        ordered = [
            manifest[idref]
            for ref in package.iter(f"{{{OPF}}}itemref")
            if (idref := ref.get("idref")) is not None and idref in manifest
        ]
        for member in manifest.values():
            if member not in ordered:
                ordered.append(member)
        return list(dict.fromkeys(ordered))

    def save(self, edits: Mapping[int, str], out: BinaryIO) -> None:
        per_member: dict[str, dict[int, str]] = {}
        for index, alt in edits.items():
            member, position = self.index[index]
            per_member.setdefault(member, {})[position] = alt
        replacements = {}
        for member, member_edits in per_member.items():
            text, encoding, found = self.members[member]
            replacements[member] = html.encode_edited(text, html.alt_edits(found, member_edits), encoding)
        ziputil.rewrite(self.archive, out, replacements, stored_first="mimetype")


def open_document(path: Path, raw: bytes, access: sources.Access | None = None) -> EpubDocument:
    return EpubDocument(path, raw, access)
