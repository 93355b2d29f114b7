"""Questions about the last image are asked with the text read on it, and the dialog shows that text: the
running controller with the tiny random BLIP-2, the real OCR, and speech recorded to a folder."""

from __future__ import annotations

import threading

import pytest
from ui_flow import picture, wait_idle

from assistant.bench.samples import error_message
from assistant.ocr import reader
from assistant.session import image_text

ERROR = list(error_message().lines)
QUESTION = "What does the error say?"


@pytest.fixture
def held_ocr(monkeypatch) -> threading.Event:
    """OCR that reads only once the event is set, as a slow one would (set at the end in any case)."""
    release = threading.Event()
    real = reader.TextReader.read

    def held(self, image):
        release.wait(30)
        return real(self, image)

    monkeypatch.setattr(reader.TextReader, "read", held)
    yield release
    release.set()


def describe(qtbot, controller, image) -> None:
    controller.describe(image)
    wait_idle(qtbot, controller)


def ask(qtbot, controller, question: str = QUESTION) -> str:
    dialog = controller.ensure_dialog()
    dialog.question.setText(question)
    turns = len(dialog.turns)
    dialog.submit()
    qtbot.waitUntil(lambda: len(dialog.turns) == turns + 1, timeout=30000)
    wait_idle(qtbot, controller)
    return dialog.turns[-1].answer


def test_a_question_about_the_words_on_the_picture_is_asked_with_them(qtbot, ready, prompts) -> None:
    controller, _ = ready
    describe(qtbot, controller, error_message().image)
    qtbot.waitUntil(lambda: controller.image_text.lines == ERROR, timeout=30000)
    controller.open_dialog()
    assert controller.dialog.text_on_image.toPlainText() == "\n".join(ERROR)
    answer = ask(qtbot, controller)
    assert answer.strip()
    assert prompts[-1] == (
        "Text on the image: Error - Editor. The file could not be saved. because the disk is full. "
        "Question: What does the error say? Answer:"
    )
    # A follow-up keeps the text first, then the conversation.
    ask(qtbot, controller, "What should I do?")
    assert prompts[-1].startswith("Text on the image: Error - Editor.")
    assert (
        f"Question: {QUESTION} Answer: {' '.join(answer.split()).rstrip('.!? ')}. Question: What should I do? Answer:"
        in prompts[-1]
    )


def test_a_new_capture_brings_its_own_text(qtbot, ready, prompts) -> None:
    controller, _ = ready
    describe(qtbot, controller, error_message().image)
    qtbot.waitUntil(lambda: controller.image_text.lines == ERROR, timeout=30000)
    controller.open_dialog()
    describe(qtbot, controller, picture((30, 90, 200)))
    qtbot.waitUntil(lambda: controller.image_text.note == image_text.NO_TEXT, timeout=30000)
    assert controller.image_text.lines == []
    assert controller.dialog.text_on_image.toPlainText() == "No text was found on it."
    ask(qtbot, controller, "What colour is it?")
    assert prompts[-1] == "Question: What colour is it? Answer:"


def test_a_question_waits_for_the_text_still_being_read(qtbot, ready, prompts, held_ocr) -> None:
    controller, _ = ready
    describe(qtbot, controller, error_message().image)
    controller.open_dialog()
    assert controller.image_text.reading
    assert controller.dialog.text_on_image.toPlainText() == "Reading the text on it…"
    dialog = controller.dialog
    dialog.question.setText(QUESTION)
    dialog.submit()
    request = controller.current
    assert request is not None and request.kind == "ask" and request.text_on_image == ()
    held_ocr.set()
    qtbot.waitUntil(lambda: len(dialog.turns) == 1, timeout=30000)
    wait_idle(qtbot, controller)
    assert request.text_on_image == tuple(ERROR)
    assert prompts[-1].startswith("Text on the image: Error - Editor.")
    assert dialog.text_on_image.toPlainText() == "\n".join(ERROR)


def test_past_the_deadline_the_question_is_asked_without_the_text(
    qtbot, make_controller, prompts, held_ocr, monkeypatch
) -> None:
    monkeypatch.setattr(image_text, "WAIT_S", 0.0)
    controller, recorded = make_controller()
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    describe(qtbot, controller, error_message().image)
    assert controller.image_text.reading
    ask(qtbot, controller)
    assert prompts[-1] == "Question: What does the error say? Answer:"
    held_ocr.set()
    qtbot.waitUntil(lambda: controller.image_text.lines == ERROR, timeout=30000)  # shown once read


def test_stop_while_waiting_for_the_text_asks_nothing(qtbot, ready, prompts, held_ocr) -> None:
    controller, _ = ready
    describe(qtbot, controller, error_message().image)
    asked = len(prompts)
    controller.ask(QUESTION)
    controller.stop()
    held_ocr.set()
    qtbot.waitUntil(lambda: not controller.image_text.reading, timeout=30000)
    wait_idle(qtbot, controller)
    assert len(prompts) == asked


def test_with_reading_the_text_off_questions_are_asked_without_it(qtbot, make_controller, prompts) -> None:
    controller, recorded = make_controller(read_text_on_images=False)
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    describe(qtbot, controller, error_message().image)
    controller.open_dialog()
    # The same sentence "Read all the text" says, saying what to do.
    assert controller.dialog.text_on_image.toPlainText() == (
        "The text on pictures is not read; turn on Read the text on pictures in Settings."
    )
    ask(qtbot, controller)
    assert prompts[-1] == "Question: What does the error say? Answer:"
