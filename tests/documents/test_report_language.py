"""The alt-text report in the user's language: every word of it Spanish under LANGUAGE=es, English as it
was under LANGUAGE=en, and the JSON report the same in both (its keys and codes are for scripts)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from doc_helpers import BLUE, GREEN, RED, png

from assistant import i18n
from assistant.cli import main
from assistant.documents.model import ImageOccurrence, Outcome, Status
from assistant.documents.phrases import phrase, said
from assistant.documents.planning import plan
from assistant.documents.report import print_text, to_json
from assistant.documents.results import DocumentResult, RunReport
from assistant.documents.runner import STOPPED, VECTOR, Options

PAGE = '<p><img src="red.png"> <img src="blue.png" alt=""> <img src="green.png" alt="A green square"></p>\n'
# Words of two letters or more; an option such as --overwrite is the same in every language.
_WORD = re.compile(r"[^\W\d_]{2,}")
_OPTION = re.compile(r"--[a-z-]+")


def words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(_OPTION.sub(" ", text))}


# Written alike in both languages: Spanish's "no", and names of formats.
ALIKE = {"no", "emf", "wmf", "svg", "pdf", "html"}


def english_left(spanish: str, english: str, data: str) -> set[str]:
    """The words of the English report, other than the document's own (names, tags, alt-text), that
    the Spanish report still has."""
    return (words(english) - words(data) - ALIKE) & words(spanish)


def alt_text(folder: Path, tiny_model_dir: Path, language: str, capsys, monkeypatch) -> tuple[str, dict]:
    """`assistant alt-text` under LANGUAGE=`language`: its printed report, and the JSON report it saved
    (less its timings)."""
    monkeypatch.setenv("LANGUAGE", language)
    i18n.setup()  # the language of the desktop, as the command finds it when it starts
    report = folder.parent / f"report-{language}.json"
    model = ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32"]
    # The alt-text itself is asked for in English: the tiny model speaks only English, and a translation
    # model is not what this test is about.
    command = [
        "alt-text",
        str(folder),
        str(folder / "gone.html"),
        "--language",
        "en",
        "--report",
        str(report),
    ]
    assert main([*command, *model]) == 1  # gone.html is not there
    saved = json.loads(report.read_text(encoding="utf-8"))
    for timing in ("engine_seconds", "wall_seconds"):
        saved["summary"].pop(timing)
    return capsys.readouterr().out, saved


@pytest.mark.slow
def test_the_report_of_a_run_is_spanish_and_its_json_unchanged(
    tmp_path: Path, tiny_model_dir: Path, capsys, monkeypatch, spanish
) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    for name, colour in (("red", RED), ("blue", BLUE), ("green", GREEN)):
        (folder / f"{name}.png").write_bytes(png(colour))
    (folder / "page.html").write_text(PAGE)
    english, english_json = alt_text(folder, tiny_model_dir, "en", capsys, monkeypatch)
    spanish, spanish_json = alt_text(folder, tiny_model_dir, "es", capsys, monkeypatch)

    assert spanish_json == english_json
    images = english_json["documents"][1]["images"]
    assert [(image["status"], image["outcome"]) for image in images] == [
        ("missing", "would-write"),
        ("decorative", "skipped"),
        ("has-alt", "kept"),
    ]
    assert images[1]["reason"] == "Marked decorative, so left alone."
    described = json.dumps(images[0]["new_alt"], ensure_ascii=False)
    gone, page = folder / "gone.html", folder / "page.html"
    assert english.splitlines() == [
        str(gone),
        f"  Failed: {gone} was not found. Check the name and try again.",
        f"{page} (html)",
        f"  line 1, <img src='red.png'>: missing, alt nothing -> would write {described}",
        "  line 1, <img src='blue.png'>: decorative, alt \"\" -> skipped: Marked decorative, so left alone.",
        "  line 1, <img src='green.png'>: has-alt, alt \"A green square\" -> kept: Already has alt-text; "
        "use --overwrite to replace it.",
        "Summary: 2 documents, 3 images, 1 would be written, 1 kept, 1 skipped, 0 failed, "
        "1 document could not be processed, run with --write to write them.",
    ]
    data = f"{gone} {page} html {PAGE} {described}"
    assert not english_left(spanish, english, data), spanish
    assert "  línea 1, <img src='blue.png'>: decorativa" in spanish
    assert "Marcada como decorativa, así que se deja como está." in spanish
    assert spanish.splitlines()[-1].startswith("Resumen: 2 documentos, 3 imágenes, 1 se escribiría")


def _every_kind() -> RunReport:
    """A report with every status, outcome and reason of the report's own, and each note and count."""

    def image(status: Status, outcome: Outcome, reason: str = "", new: str | None = None) -> ImageOccurrence:
        occurrence = ImageOccurrence(phrase("figure {number}", number=1), "a.png", None, status)
        occurrence.outcome, occurrence.reason, occurrence.new_alt = outcome, reason, new
        return occurrence

    decorative = ImageOccurrence(
        phrase("line {line}, {tag}", line=3, tag="<img>"), "b.png", "", Status.DECORATIVE
    )
    remote = ImageOccurrence("x", "https://example.com/c.png", None, Status.MISSING, remote=True)
    described = ImageOccurrence("y", "d.png", "A cat", Status.HAS_ALT)
    for planned in (decorative, remote, described):
        plan(planned, Options())
    images = [
        decorative,
        remote,
        described,
        image(Status.MISSING, Outcome.WRITTEN, new="A red square."),
        image(Status.HAS_ALT, Outcome.WOULD_WRITE, new="A blue square."),
        image(Status.VECTOR, Outcome.SKIPPED, VECTOR),
        image(Status.MISSING, Outcome.NOT_DONE, STOPPED),
    ]
    images += [image(status, Outcome.FAILED) for status in Status]
    document = DocumentResult(Path("/docs/report.pdf"), "pdf", images, notes=[])
    from assistant.documents.journal import DONE_NOTE
    from assistant.documents.pdf import UNTAGGED

    document.notes = [UNTAGGED, DONE_NOTE]
    return RunReport([document, DocumentResult(Path("/docs/empty.html"), "html")], interrupted=True)


def test_every_word_the_report_has_of_its_own_is_translated(spanish, capsys) -> None:
    report = _every_kind()
    print_text(report, sys.stdout, written=True)
    spanish_text = capsys.readouterr().out
    i18n.setup(override="en")
    print_text(report, sys.stdout, written=True)
    english_text = capsys.readouterr().out
    data = "/docs/report.pdf /docs/empty.html a.png b.png <img> A red square. A blue square. A cat x y"
    assert not english_left(spanish_text, english_text, data), spanish_text
    # Every status and outcome has a word of its own in Spanish.
    assert "omitida: Marcada como decorativa" in spanish_text and "sin hacer: Se detuvo" in spanish_text
    assert "Resumen: 2 documentos, 17 imágenes, 1 escrita, 1 conservada" in spanish_text


def test_the_json_keeps_the_english_that_scripts_read(spanish) -> None:
    report = json.loads(to_json(_every_kind()))
    images = report["documents"][0]["images"]
    assert (
        images[0]["reason"] == "Marked decorative, so left alone."
        and images[0]["location"] == "line 3, <img>"
    )
    assert images[1]["status"] == "remote" and images[1]["outcome"] == "skipped"
    assert {image["outcome"] for image in images} == {outcome.value for outcome in Outcome}
    assert report["documents"][0]["notes"][1].startswith("Finished by an earlier run")


def test_a_phrase_is_english_data_that_is_said_in_the_users_language(spanish) -> None:
    import pickle

    nested = phrase(
        "{label} points outside {where}; use --allow-outside to read it.",
        label="x.png",
        where=phrase("the document's folder"),
    )
    again = pickle.loads(pickle.dumps(nested))
    assert again == nested == "x.png points outside the document's folder; use --allow-outside to read it."
    assert (
        said(again)
        == "x.png apunta fuera de la carpeta del documento; usa --allow-outside para permitir su lectura."
    )
    assert said("A sentence of an error, already in the user's language.") == (
        "A sentence of an error, already in the user's language."
    )
