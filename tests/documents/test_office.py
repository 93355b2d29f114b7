"""Word and PowerPoint: the picture description (`descr`), and nothing else, changes."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pptx
from doc_helpers import (
    BLUE,
    DECORATIVE_EXT,
    GREEN,
    RED,
    YELLOW,
    RecordingEngine,
    alt_for,
    assert_zip_only_changed,
)
from lxml import etree
from PIL import Image

from assistant.documents.model import Outcome, Status
from assistant.documents.runner import Options, run

WP_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"


def stream(color, size=(32, 24)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def build_docx(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Pictures follow.")
    missing = document.add_picture(stream(RED))
    suspicious = document.add_picture(stream(BLUE))
    decorative = document.add_picture(stream(GREEN))
    described = document.add_picture(stream(YELLOW))
    document.add_picture(stream(RED))  # the same picture again
    document.add_picture(stream("white", (8, 8)))  # too small
    header = document.sections[0].header.paragraphs[0].add_run().add_picture(stream(BLUE, (40, 20)))

    def props(shape):
        return shape._inline.find(WP_DOCPR)

    assert props(missing).get("descr") is None
    props(suspicious).set("descr", "python-powered.png")
    props(decorative).append(etree.fromstring(DECORATIVE_EXT))
    props(described).set("descr", "A yellow card")
    assert props(header).get("descr") is None
    document.save(path)


def test_docx(tmp_path: Path, engine: RecordingEngine) -> None:
    path = tmp_path / "report.docx"
    build_docx(path)
    original = path.read_bytes()
    report = run([path], engine, Options(write=True))
    (result,) = report.documents
    assert [(i.location.split(",")[0], i.status, i.outcome) for i in result.images] == [
        ("body", Status.MISSING, Outcome.WRITTEN),
        ("body", Status.SUSPICIOUS, Outcome.KEPT),
        ("body", Status.DECORATIVE, Outcome.SKIPPED),
        ("body", Status.HAS_ALT, Outcome.KEPT),
        ("body", Status.MISSING, Outcome.WRITTEN),
        ("body", Status.TOO_SMALL, Outcome.SKIPPED),
        ("header 1", Status.MISSING, Outcome.WRITTEN),
    ]
    assert_zip_only_changed(
        original,
        path.read_bytes(),
        {
            "word/document.xml": [(None, alt_for(RED)), (None, alt_for(RED))],
            "word/header1.xml": [(None, alt_for(BLUE))],
        },
    )
    assert (tmp_path / "report.orig.docx").read_bytes() == original
    reopened = docx.Document(str(path))
    descriptions = [el.get("descr") for el in reopened.element.body.iter(WP_DOCPR)]
    assert descriptions == [alt_for(RED), "python-powered.png", None, "A yellow card", alt_for(RED), None]
    assert len(engine.batches) == 1 and sum(engine.batches) == 2  # red once, the header's blue once


def test_docx_fix_suspicious(tmp_path: Path, engine: RecordingEngine) -> None:
    path = tmp_path / "report.docx"
    build_docx(path)
    original = path.read_bytes()
    run([path], engine, Options(write=True, fix_suspicious=True))
    assert_zip_only_changed(
        original,
        path.read_bytes(),
        {
            "word/document.xml": [
                (None, alt_for(RED)),
                ("python-powered.png", alt_for(BLUE)),
                (None, alt_for(RED)),
            ],
            "word/header1.xml": [(None, alt_for(BLUE))],
        },
    )


def build_pptx(path: Path, image_file: Path) -> None:
    presentation = pptx.Presentation()
    blank = presentation.slide_layouts[6]
    first = presentation.slides.add_slide(blank)
    from_stream = first.shapes.add_picture(stream(RED), 0, 0)  # python-pptx writes descr="image.png"
    from_file = first.shapes.add_picture(str(image_file), 0, 0)  # descr is the file's name
    missing = first.shapes.add_picture(stream(GREEN), 0, 0)
    missing._element.nvPicPr.cNvPr.attrib.pop("descr")
    second = presentation.slides.add_slide(blank)
    decorative = second.shapes.add_picture(stream(YELLOW), 0, 0)
    decorative._element.nvPicPr.cNvPr.attrib.pop("descr")
    decorative._element.nvPicPr.cNvPr.append(etree.fromstring(DECORATIVE_EXT))
    described = second.shapes.add_picture(stream(BLUE), 0, 0)
    described._element.nvPicPr.cNvPr.set("descr", "Team photo at the lake")
    assert from_stream._element.nvPicPr.cNvPr.get("descr") == "image.png"
    assert from_file._element.nvPicPr.cNvPr.get("descr") == "python-powered.png"
    presentation.save(path)


def test_pptx(tmp_path: Path, engine: RecordingEngine) -> None:
    image_file = tmp_path / "python-powered.png"
    image_file.write_bytes(stream(BLUE, (48, 48)).getvalue())
    path = tmp_path / "talk.pptx"
    build_pptx(path, image_file)
    original = path.read_bytes()
    report = run([path], engine, Options(write=True, fix_suspicious=True))
    (result,) = report.documents
    assert [(i.location.split(",")[0], i.status, i.outcome) for i in result.images] == [
        ("slide 1", Status.SUSPICIOUS, Outcome.WRITTEN),
        ("slide 1", Status.SUSPICIOUS, Outcome.WRITTEN),
        ("slide 1", Status.MISSING, Outcome.WRITTEN),
        ("slide 2", Status.DECORATIVE, Outcome.SKIPPED),
        ("slide 2", Status.HAS_ALT, Outcome.KEPT),
    ]
    assert_zip_only_changed(
        original,
        path.read_bytes(),
        {
            "ppt/slides/slide1.xml": [
                ("image.png", alt_for(RED)),
                ("python-powered.png", alt_for(BLUE)),
                (None, alt_for(GREEN)),
            ]
        },
    )
    reopened = pptx.Presentation(str(path))
    descriptions = [
        [shape._element.nvPicPr.cNvPr.get("descr") for shape in slide.shapes] for slide in reopened.slides
    ]
    assert descriptions == [[alt_for(RED), alt_for(BLUE), alt_for(GREEN)], [None, "Team photo at the lake"]]
