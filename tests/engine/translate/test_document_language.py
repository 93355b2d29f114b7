"""Alt-text in the document's own language: the language each format declares (HTML lang, Word's w:lang,
PowerPoint's lang, EPUB's dc:language), the runner describing in it, and --language overriding it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from assistant.cli import documents as cli_documents
from assistant.documents import alttext
from assistant.documents.epub import EpubDocument
from assistant.documents.html import declared_language
from assistant.documents.model import language_tag
from assistant.documents.ooxml import DocxDocument, PptxDocument
from assistant.documents.runner import Options, run
from assistant.engine.families import blip2
from assistant.engine.translate import Translator, answer_in, translate_texts
from tests.documents.doc_helpers import RecordingEngine, epub, png
from tests.documents.hostile2 import docx, picture

ENGLISH = "a picture of a square coloured 255 0 0"


def page(folder: Path, lang: str) -> Path:
    (folder / "red.png").write_bytes(png((255, 0, 0)))
    path = folder / f"page-{lang or 'none'}.html"
    attribute = f' lang="{lang}"' if lang else ""
    path.write_text(f'<!doctype html><html{attribute}><body><img src="red.png"></body></html>')
    return path


def test_html_declares_its_language_on_the_html_element() -> None:
    assert declared_language('<!DOCTYPE html>\n<html class="x" lang="es-ES"><body>') == "es"
    assert declared_language('<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="fr">') == "fr"
    assert declared_language('<html><body><p lang="de">') == ""  # a paragraph's is not the document's
    assert language_tag("pt_BR") == "pt" and language_tag("not a tag") == ""


def test_word_declares_the_language_most_of_its_text_is_tagged_with(tmp_path: Path) -> None:
    run_in = '<w:p><w:r><w:rPr><w:lang w:val="{}" w:eastAsia="zh-CN"/></w:rPr><w:t>x</w:t></w:r></w:p>'
    body = run_in.format("es-ES") * 2 + run_in.format("en-US") + picture(1)
    path = docx(tmp_path / "carta.docx", body, png())
    assert DocxDocument(path, path.read_bytes()).language == "es"
    untagged = docx(tmp_path / "plain.docx", picture(1), png())
    assert DocxDocument(untagged, untagged.read_bytes()).language == ""


def test_powerpoint_declares_the_language_of_its_slides_text(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    a = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    p = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "ppt/presentation.xml", f'<p:presentation {p} {a}><a:defRPr lang="en-US"/></p:presentation>'
        )
        archive.writestr(
            "ppt/slides/slide1.xml",
            f'<p:sld {p} {a}><a:p><a:r><a:rPr lang="fr-FR" dirty="0"/><a:t>Bonjour</a:t></a:r></a:p></p:sld>',
        )
    assert PptxDocument(path, path.read_bytes()).language == "fr"


def test_epub_declares_its_language_in_dc_language(tmp_path: Path) -> None:
    path = epub(tmp_path / "libro.epub", "", language="es")
    assert EpubDocument(path, path.read_bytes()).language == "es"


def test_a_spanish_document_gets_spanish_alt_text_and_language_overrides_it(
    tmp_path: Path, marian_dir: Path
) -> None:
    recording = RecordingEngine()
    # The user's language is English: only the document's own makes the alt-text Spanish.
    engine = answer_in(recording, blip2.FAMILY, "en", models=(str(marian_dir), str(marian_dir)))
    spanish, english_page = page(tmp_path, "es"), page(tmp_path, "")
    report = run([spanish, english_page], engine, Options())
    reference = translate_texts(Translator(str(marian_dir)), [ENGLISH])[0]
    in_spanish, in_english = (document.images[0].new_alt for document in report.documents)
    assert in_spanish == alttext.compose(reference, "", alttext.DEFAULT_MAX_LENGTH)
    assert in_english == alttext.compose(ENGLISH, "", alttext.DEFAULT_MAX_LENGTH)
    assert in_spanish != in_english
    # One picture in both documents was described once per language.
    assert recording.batches == [1, 1]

    overridden = run([spanish], engine, Options(language="en")).documents[0].images[0].new_alt
    assert overridden == in_english


def test_the_language_option_takes_a_language_code() -> None:
    assert cli_documents._language("es-MX") == "es"
    with pytest.raises(Exception, match="not a language code"):
        cli_documents._language("--")
