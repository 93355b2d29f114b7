"""English that a Spanish user still met, found by using the app under LANGUAGE=es: the command line's
placeholders and a bad count's error, arguments with no help at all, the docx report's part names, and the
missing translation model's notice (a sentence glued after the command it tells to run)."""

from __future__ import annotations

import argparse
import logging
import re

import pytest
from PIL import Image

from assistant import i18n
from assistant.cli import build_parser
from assistant.documents.ooxml import DocxDocument
from assistant.documents.phrases import said
from assistant.engine.base import Engine
from assistant.engine.families import blip2
from assistant.engine.translate import answer_in


def _parsers(parser: argparse.ArgumentParser, name: str = "assistant"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {command}")


def _listed(parser: argparse.ArgumentParser):
    """What --help lists: each option and positional argument, and each sub-command by its line."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action._choices_actions
        else:
            yield action


def test_every_argument_of_the_product_has_a_help_text():
    """A positional argument or option without help is listed by --help as a bare English placeholder
    (describe's IMAGE, --detail): nothing says what it is, in any language."""
    bare = [
        f"{name}: {action.option_strings or action.dest}"
        for name, parser in _parsers(build_parser(plugins=False))
        for action in _listed(parser)
        if action.help is None
    ]
    assert bare == []


def test_the_command_lines_placeholders_are_spanish(spanish, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "es")  # argparse's own words follow the desktop's
    parsers = dict(_parsers(build_parser(plugins=False)))
    usage = parsers["assistant describe"].format_usage()
    assert usage.startswith("uso: ")
    assert "IMAGEN [IMAGEN ...]" in usage and not re.search(r"\bIMAGE\b", usage), usage
    assert "ARCHIVO" in parsers["assistant ask"].format_usage()
    assert "RUTA [RUTA ...]" in parsers["assistant alt-text"].format_usage()
    assert "COMANDO" in parsers["assistant"].format_usage()


def test_a_count_below_one_is_refused_in_spanish(spanish, monkeypatch, capsys):
    monkeypatch.setenv("LANGUAGE", "es")
    with pytest.raises(SystemExit):
        build_parser(plugins=False).parse_args(["alt-text", "--batch-size", "0", "page.html"])
    error = capsys.readouterr().err
    assert "argumento --batch-size: debe ser 1 o más" in error, error


def test_a_word_documents_header_and_footer_are_named_for_the_reader(spanish):
    # `where` reads only the part's name and the picture's number.
    where = DocxDocument.where
    assert said(where(None, "word/header1.xml", 2)) == "encabezado 1, imagen 2"  # type: ignore[arg-type]
    assert said(where(None, "word/footer3.xml", 1)) == "pie de página 3, imagen 1"  # type: ignore[arg-type]
    assert said(where(None, "word/footnotes.xml", 1)) == "notas al pie, imagen 1"  # type: ignore[arg-type]
    # The JSON report keeps English, as for every location.
    assert where(None, "word/header1.xml", 2) == "header 1, picture 2"  # type: ignore[arg-type]


class _English(Engine):
    def describe(self, image, detail="brief", on_text=None, cancel=None):
        return "A cat."

    def ask(self, image, question, history=(), on_text=None, cancel=None, *, text_on_image=()):
        return "A cat."

    def describe_many(self, images, detail="brief", batch_size=8):
        return ["A cat." for _image in images]

    @property
    def summary(self):
        return "an English model"


def test_the_missing_translation_models_notice_ends_with_the_command_to_run(spanish, monkeypatch):
    """The notice said "… run: assistant models download MODEL Until then, …": the command ran into the
    next sentence, with no stop between them, and could not be copied as it is."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no hub: the model is not downloaded, and cannot be
    model = "h39-tests/no-such-translation-model"
    engine = answer_in(_English(), blip2.FAMILY, "es", models=(model, model), warm_up=False)
    heard: list[str] = []
    engine.on_notice = heard.append
    assert engine.describe(Image.new("RGB", (8, 8))) == "A cat."
    assert len(heard) == 1
    assert heard[0].startswith("Las respuestas llegan en inglés"), heard[0]
    assert heard[0].endswith(f"assistant models download {model}"), heard[0]


def test_doctor_says_which_language_and_that_one_without_a_catalogue_falls_back_to_english():
    """Under LANGUAGE=de the command line spoke English without a word on why; doctor now says it."""
    from assistant.cli.doctor import check_language
    from assistant.config import Settings

    try:
        i18n.setup(environ={"LANGUAGE": "de"})
        assert check_language(Settings()) == [
            "The assistant is not translated into German yet, so it speaks English."
        ]
        i18n.setup(environ={"LANGUAGE": "es"})
        assert check_language(Settings()) == ["Habla español, el idioma del escritorio."]
        assert check_language(Settings(interface_language="en"))[1] == (
            "Las ventanas y la voz de la aplicación: inglés, elegido en Configuración."
        )
    finally:
        i18n.setup(override="en")


def test_the_text_read_in_a_picture_is_named_in_the_alt_texts_own_language(spanish):
    """--include-ocr wrote 'Un cartel. Text: "ABIERTO".' into a Spanish document: the word that names the
    text read is the document's language's, whatever the user's."""
    from assistant.documents.alttext import compose

    assert compose("un cartel", "ABIERTO", language="es") == 'Un cartel. Texto: "ABIERTO".'
    assert (
        compose("a sign", "OPEN", language="en") == 'A sign. Text: "OPEN".'
    )  # a Spanish user's English file
    assert (
        compose("ein Schild", "OFFEN", language="de") == 'Ein Schild. Text: "OFFEN".'
    )  # no catalogue: English
    assert len(compose("un cartel", "palabra " * 50, max_length=60, language="es")) <= 60


def test_no_option_is_converted_by_a_type_argparse_names_in_english():
    """argparse refuses `type=int` with "valor int no válido: 'abc'", Python's name for the type; the
    product's options convert numbers with functions that refuse in the user's language."""
    named = [
        f"{name}: {action.option_strings or action.dest}"
        for name, parser in _parsers(build_parser(plugins=False))
        for action in parser._actions
        if action.type in (int, float, complex)
    ]
    assert named == []


def test_a_number_that_is_not_one_is_refused_in_spanish(spanish, monkeypatch, capsys):
    monkeypatch.setenv("LANGUAGE", "es")
    for command in (["describe", "--batch-size", "abc", "x.png"], ["trigger", "--timeout", "abc", "stop"]):
        with pytest.raises(SystemExit):
            build_parser(plugins=False).parse_args(command)
        error = capsys.readouterr().err.splitlines()[-1]
        assert "'abc' no es un número" in error and not re.search(r"\b(int|float)\b", error), error


def test_a_damaged_pdf_is_told_in_spanish_with_no_english_warning_of_pypdf(
    tmp_path, tiny_model_dir, spanish, monkeypatch, capsys
):
    """pypdf's own warning ("EOF marker not found") reached the terminal beside the Spanish sentence."""
    from assistant.cli import main

    damaged = tmp_path / "dañado.pdf"
    damaged.write_bytes(b"%PDF-1.4 not a PDF after all")
    monkeypatch.setenv("LANGUAGE", "es")
    # As on the command line: no handler at the root (pytest's own would take pypdf's warning).
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    model = ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32", "--no-translate"]
    assert main(["alt-text", *model, str(damaged)]) == 1
    shown = capsys.readouterr()
    assert "dañado.pdf no es un PDF que se pueda leer" in shown.out, shown
    assert "EOF marker" not in shown.out + shown.err, shown


def test_the_models_place_says_in_spanish_that_it_is_as_asked(spanish):
    """The status after loading ended "fp32 en el procesador (CPU): pedido" (pedido reads as "an order");
    it says that the precision and the device are the ones asked for."""
    from assistant.engine.runtime import GpuInfo, MachineInfo, choose_runtime

    gpu = GpuInfo("A card", 8 * 2**30, 8 * 2**30, True)
    runtime = choose_runtime("cpu", "fp32", MachineInfo(gpu, bitsandbytes=False, cpu_int8=True), 10**9)
    assert runtime.describe() == "fp32 en el procesador (CPU): como pediste"
