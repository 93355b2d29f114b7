"""PDF: images listed per page; /Alt written on tagged figures as an incremental update."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from doc_helpers import BLUE, RED, RecordingEngine
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from assistant.documents.model import Outcome, Status
from assistant.documents.pdf import UNTAGGED
from assistant.documents.runner import Options, run


def image_pdf(colors) -> bytes:
    """A PDF with one page per colour, each showing one image (PIL writes it untagged)."""
    pictures = [Image.new("RGB", (40, 30), color) for color in colors]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "PDF", save_all=True, append_images=pictures[1:])
    return buffer.getvalue()


def tagged_pdf(figures: list[str | None]) -> bytes:
    """One page per figure: the image drawn inside marked content (MCID 0), and a /Figure element
    for it in the structure tree with the given /Alt (None: no /Alt). A third page repeats page 1."""
    colors = [RED, BLUE, RED][: len(figures)]
    writer = PdfWriter(clone_from=io.BytesIO(image_pdf(colors)))
    tree = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
    tree_ref = writer._add_object(tree)
    document = DictionaryObject(
        {NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject("/Document")}
    )
    document_ref = writer._add_object(document)
    kids = ArrayObject()
    for page, alt in zip(writer.pages, figures, strict=True):
        name = next(iter(page["/Resources"]["/XObject"]))
        content = page.get_contents().get_data()
        marked = DecodedStreamObject()
        marked.set_data(b"/Figure <</MCID 0>> BDC\n" + content + b"\nEMC\n")
        page[NameObject("/Contents")] = writer._add_object(marked)
        page[NameObject("/StructParents")] = NumberObject(len(kids))
        figure = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/StructElem"),
                NameObject("/S"): NameObject("/Figure"),
                NameObject("/P"): document_ref,
                NameObject("/Pg"): page.indirect_reference,
                NameObject("/K"): NumberObject(0),
            }
        )
        if alt is not None:
            figure[NameObject("/Alt")] = TextStringObject(alt)
        kids.append(writer._add_object(figure))
        assert name.startswith("/")
    document[NameObject("/K")] = kids
    document[NameObject("/P")] = tree_ref
    tree[NameObject("/K")] = document_ref
    writer._root_object[NameObject("/StructTreeRoot")] = tree_ref
    writer._root_object[NameObject("/MarkInfo")] = DictionaryObject(
        {NameObject("/Marked"): NameObject("/true")}
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def figure_alts(data: bytes) -> list[str | None]:
    reader = PdfReader(io.BytesIO(data))
    document = reader.trailer["/Root"]["/StructTreeRoot"]["/K"].get_object()
    return [kid.get_object().get("/Alt") for kid in document["/K"]]


def test_tagged_pdf_gets_alt_on_figures(tmp_path: Path, engine: RecordingEngine) -> None:
    path = tmp_path / "tagged.pdf"
    original = tagged_pdf([None, "A blue square", "image"])
    path.write_bytes(original)
    report = run([path], engine, Options(write=True))
    (result,) = report.documents
    assert [(i.location, i.status, i.outcome) for i in result.images] == [
        ("page 1, figure 1", Status.MISSING, Outcome.WRITTEN),
        ("page 2, figure 2", Status.HAS_ALT, Outcome.KEPT),
        ("page 3, figure 3", Status.SUSPICIOUS, Outcome.KEPT),
    ]
    assert "3 pages, 3 images." in result.notes
    written = path.read_bytes()
    assert written.startswith(original)  # an incremental update: the original bytes are untouched
    red = result.images[0].new_alt  # JPEG in the PDF makes red come out as (254, 0, 0)
    assert red is not None and red.startswith("A square coloured 25")
    assert figure_alts(written) == [red, "A blue square", "image"]
    assert len(PdfReader(io.BytesIO(written)).pages) == 3


def test_tagged_pdf_fix_suspicious(tmp_path: Path, engine: RecordingEngine) -> None:
    path = tmp_path / "tagged.pdf"
    path.write_bytes(tagged_pdf([None, "A blue square", "image"]))
    report = run([path], engine, Options(write=True, fix_suspicious=True, backup=False))
    red = report.documents[0].images[0].new_alt
    assert red is not None and red.startswith("A square coloured 25")
    assert figure_alts(path.read_bytes()) == [red, "A blue square", red]
    assert engine.batches == [1]  # page 1 and page 3 show the same picture


def test_untagged_pdf_is_reported_not_modified(tmp_path: Path, engine: RecordingEngine) -> None:
    path = tmp_path / "plain.pdf"
    original = image_pdf([RED, BLUE])
    path.write_bytes(original)
    report = run([path], engine, Options(write=True))
    (result,) = report.documents
    assert UNTAGGED in result.notes and "Page 2: 1 image." in result.notes
    assert [(i.location.split(",")[0], i.outcome) for i in result.images] == [
        ("page 1", Outcome.SKIPPED),
        ("page 2", Outcome.SKIPPED),
    ]
    assert engine.batches == []
    assert path.read_bytes() == original
    assert not result.written and not report.failed


def test_a_picture_pypdf_cannot_decode_is_one_sentence() -> None:
    from assistant.documents.pdf import _image_loader
    from assistant.documents.sources import SourceError

    class Undecodable:
        image = None  # what pypdf gives for a picture it found but could not turn into pixels

    class Page(dict):
        """A page as `_image_loader` reads it: its resources, and pypdf's view of its pictures."""

        def __init__(self) -> None:
            size = {NameObject("/Width"): NumberObject(2), NameObject("/Height"): NumberObject(2)}
            super().__init__({"/Resources": {"/XObject": {"/Im0": DictionaryObject(size)}}})
            self.images = {"/Im0": Undecodable()}

    with pytest.raises(SourceError, match=r"^The image Im0 is in a form that cannot be decoded\.$"):
        _image_loader(Page(), "/Im0")()
