"""PDF: list the images on each page; write `/Alt` on `/Figure` structure elements of tagged PDFs.

A tagged PDF is written as an incremental update: the original bytes stay as they are and the changed
structure elements are appended. An untagged PDF has nowhere to keep alt-text, so its images are
reported and the file is left alone.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image

from assistant.documents.model import Document, DocumentError, ImageData, ImageOccurrence, classify
from assistant.documents.phrases import nphrase, phrase, said, the_image
from assistant.documents.sources import SourceError, shown
from assistant.i18n import _

EXTENSIONS = (".pdf",)
# Translators: the alt-text report, a note on a PDF whose images cannot be given alt-text.
UNTAGGED = phrase(
    "This PDF is untagged, so it has no place to keep alt-text; "
    "export it again as a tagged (accessible) PDF, then run this again."
)

Path_ = list[str | int]


class PdfDocument(Document):
    format = "pdf"

    def __init__(self, path: Path, raw: bytes) -> None:
        from pypdf import PdfReader
        from pypdf.errors import LimitReachedError, PyPdfError

        self.raw = raw
        self.figure_paths: list[Path_] = []
        super().__init__(path)
        try:
            reader = PdfReader(io.BytesIO(raw))
            if reader.is_encrypted and not reader.decrypt(""):
                raise DocumentError(
                    _("{name} is password-protected, so its images cannot be read.").format(name=path.name)
                )
            self.reader = reader
            pages = list(reader.pages)
            self.page_numbers = {
                page.indirect_reference.idnum: number
                for number, page in enumerate(pages, start=1)
                if page.indirect_reference is not None
            }
            self._marked: dict[int, dict[int, str]] = {}
            tree = reader.root_object.get("/StructTreeRoot")
            counts = [len(_image_names(page)) for page in pages]
            self.notes.append(
                # Translators: the alt-text report, a note on a PDF: "3 pages, 5 images."
                phrase(
                    "{pages}, {images}.",
                    pages=nphrase("{count} page", "{count} pages", len(pages)),
                    images=nphrase("{count} image", "{count} images", sum(counts)),
                )
            )
            self.notes += [
                # Translators: the alt-text report, a note on a PDF: how many images one page holds.
                nphrase("Page {number}: {count} image.", "Page {number}: {count} images.", c, number=n)
                for n, c in enumerate(counts, start=1)
                if c
            ]
            if tree is None:
                self.notes.append(UNTAGGED)
                self._list_untagged(pages)
            else:
                self._list_figures(tree.get_object(), pages)
        except DocumentError:
            raise
        except LimitReachedError as error:
            raise DocumentError(_bomb(path.name, error)) from None
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            raise DocumentError(
                _("{name} is not a PDF that can be read ({error}).").format(name=path.name, error=error)
            ) from None

    def _list_untagged(self, pages: list[Any]) -> None:
        for number, page in enumerate(pages, start=1):
            for name in _image_names(page):
                self.images.append(
                    ImageOccurrence(
                        # Translators: the alt-text report, where an image is in a PDF; {name} is its name
                        # inside the file.
                        location=phrase("page {number}, image {name}", number=number, name=shown(name)),
                        source=shown(name),
                        current_alt=None,
                        status=classify(None),
                        load=_image_loader(page, name),
                        writable=False,
                        reason=UNTAGGED,
                    )
                )

    def _list_figures(self, tree: Any, pages: list[Any]) -> None:
        role_map = tree.get("/RoleMap")
        role_map = role_map.get_object() if role_map is not None else {}
        stack: list[tuple[Any, Path_, Any]] = [(tree, [], None)]
        figures: list[tuple[Any, Path_, Any]] = []
        seen: set[int] = set()
        while stack:
            node, steps, page = stack.pop()
            node = node.get_object()
            if not hasattr(node, "get") or id(node) in seen:
                continue
            seen.add(id(node))
            page = node.get("/Pg", page)
            if _role(node.get("/S"), role_map) == "/Figure":
                figures.append((node, steps, page))
                continue
            kids = node.get("/K")
            if kids is None:
                continue
            kids_object = kids.get_object()
            if isinstance(kids_object, list):
                for position in range(len(kids_object) - 1, -1, -1):
                    stack.append((kids_object[position], [*steps, "/K", position], page))
            else:
                stack.append((kids_object, [*steps, "/K"], page))
        for count, (figure, steps, page) in enumerate(figures, start=1):
            self._add_figure(count, figure, steps, page, pages)

    def _add_figure(self, count: int, figure: Any, steps: Path_, page_ref: Any, pages: list[Any]) -> None:
        alt = figure.get("/Alt")
        alt = str(alt) if alt is not None else None
        found = self._figure_image(figure, page_ref, pages)
        number = self.page_numbers.get(page_ref.idnum) if hasattr(page_ref, "idnum") else None
        if number:
            # Translators: the alt-text report, where a figure (a picture the PDF's tags name) is in a PDF.
            location = phrase("page {page}, figure {number}", page=number, number=count)
        else:
            # Translators: the alt-text report, a figure of a PDF whose page is not known.
            location = phrase("figure {number}", number=count)
        occurrence = ImageOccurrence(
            location=location,
            source=shown(found[1]) if found else "",
            current_alt=alt,
            status=classify(alt),
            load=_image_loader(*found) if found else None,
            # Translators: the alt-text report, a PDF figure tag with no picture in it.
            reason="" if found else phrase("No picture was found inside this figure."),
        )
        self.images.append(occurrence)
        self.figure_paths.append(steps)

    def _figure_image(self, figure: Any, page_ref: Any, pages: list[Any]) -> tuple[Any, str] | None:
        kids = figure.get("/K")
        if kids is None:
            return None
        kids = kids.get_object()
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            ref, mcid = page_ref, None
            if isinstance(kid, int):
                mcid = int(kid)
            elif hasattr(kid, "get") and kid.get("/MCID") is not None:
                mcid, ref = int(kid["/MCID"]), kid.get("/Pg", page_ref)
            if mcid is None or not hasattr(ref, "idnum") or ref.idnum not in self.page_numbers:
                continue
            page = pages[self.page_numbers[ref.idnum] - 1]
            name = self._marked_images(ref.idnum, page).get(mcid)
            if name:
                return page, name
        return None

    def _marked_images(self, key: int, page: Any) -> dict[int, str]:
        """Marked-content id -> name of the first image XObject drawn inside it, for one page."""
        if key not in self._marked:
            from pypdf.generic import ContentStream

            found: dict[int, str] = {}
            images = set(_image_names(page))
            contents = page.get_contents()
            stack: list[int | None] = []
            operations = ContentStream(contents, self.reader).operations if contents is not None else []
            for operands, operator in operations:
                if operator == b"BDC":
                    props = operands[1].get_object() if len(operands) > 1 else None
                    mcid = props.get("/MCID") if isinstance(props, dict) else None
                    stack.append(int(mcid) if mcid is not None else None)
                elif operator == b"BMC":
                    stack.append(None)
                elif operator == b"EMC" and stack:
                    stack.pop()
                elif operator == b"Do" and operands and str(operands[0]) in images:
                    current = next((m for m in reversed(stack) if m is not None), None)
                    if current is not None:
                        found.setdefault(current, str(operands[0]))
            self._marked[key] = found
        return self._marked[key]

    def save(self, edits: Mapping[int, str], out: BinaryIO) -> None:
        from pypdf import PdfWriter
        from pypdf.generic import NameObject, TextStringObject

        writer = PdfWriter(io.BytesIO(self.raw), incremental=True)
        # The structure tree mixes dictionaries and arrays, indexed by name or by number along a path.
        tree: Any = writer.root_object["/StructTreeRoot"].get_object()
        for index, alt in edits.items():
            node = tree
            for step in self.figure_paths[index]:
                node = node[step].get_object()
            node[NameObject("/Alt")] = TextStringObject(alt)
        writer.write(out)


def _bomb(what: str, error: Exception) -> str:
    """One sentence for a stream that pypdf stopped inflating, or another of its safety limits."""
    detail = str(error).split(". ", 1)[0].rstrip(".")
    if "decompress" in detail.lower():
        # Translators: {what} is a PDF's file name or "The image NAME".
        return _(
            "{what} was left alone because it may be a decompression bomb: it unpacks to more than the {megabytes} MB allowed for one stream."
        ).format(what=what, megabytes=_flate_limit() // 1_000_000)
    # Translators: {what} is a PDF's file name or "The image NAME"; {detail} is the PDF reader's reason,
    # in English.
    return _("{what} was left alone because it may be a decompression bomb: {detail}.").format(
        what=what, detail=detail
    )


def _flate_limit() -> int:
    from pypdf import filters

    return int(getattr(filters, "ZLIB_MAX_OUTPUT_LENGTH", 75_000_000))


def _role(name: Any, role_map: Any) -> str:
    role = str(name) if name is not None else ""
    for _step in range(8):
        mapped = role_map.get(role) if role_map else None
        if mapped is None or str(mapped) == role:
            break
        role = str(mapped)
    return role


def _image_names(page: Any) -> list[str]:
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if xobjects is None:
        return []
    xobjects = xobjects.get_object()
    return [str(name) for name in xobjects if xobjects[name].get_object().get("/Subtype") == "/Image"]


def _image_loader(page: Any, name: str) -> Any:
    def load() -> ImageData:
        from assistant.engine.images import MAX_PIXELS, too_large

        # Checked before pypdf inflates the stream: a small PDF can declare a picture of billions of pixels.
        xobject = page["/Resources"]["/XObject"][name].get_object()
        try:
            pixels = int(xobject.get("/Width", 0)) * int(xobject.get("/Height", 0))
        except (TypeError, ValueError):
            pixels = 0
        if pixels > MAX_PIXELS:
            raise too_large(said(the_image(shown(name.lstrip("/")))))
        from pypdf.errors import LimitReachedError

        try:
            image: Image.Image | None = page.images[name].image
        except LimitReachedError as error:
            raise SourceError(_bomb(said(the_image(shown(name.lstrip("/")))), error)) from None
        if image is None:  # pypdf found the picture but could not decode it
            raise SourceError(
                _("The image {shown} is in a form that cannot be decoded.").format(
                    shown=shown(name.lstrip("/"))
                )
            )
        return image

    return load


def open_document(path: Path, raw: bytes, access: object = None) -> PdfDocument:
    """`access` is unused: a PDF's images are always inside it."""
    return PdfDocument(path, raw)
