"""The conversation dialog: image, transcript, question box, buttons — by keyboard."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel

from assistant.engine.base import Turn
from assistant.ui.dialog import ConversationDialog

DESCRIPTION = "A red square on a white page."


@pytest.fixture
def dialog(qtbot):
    widget = ConversationDialog()
    qtbot.addWidget(widget)
    widget.set_image(Image.new("RGB", (64, 48), (200, 20, 20)), DESCRIPTION)
    widget.show_and_focus()
    qtbot.waitExposed(widget)
    return widget


def items(dialog: ConversationDialog) -> list[str]:
    return [dialog.conversation.item(i).text() for i in range(dialog.conversation.count())]


def test_shows_the_image_with_its_description_and_focuses_the_question(qtbot, dialog):
    assert dialog.picture.pixmap().width() > 0
    assert dialog.picture.accessibleName() == "Captured image"
    assert dialog.picture.accessibleDescription() == DESCRIPTION
    assert items(dialog) == [f"Description: {DESCRIPTION}"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.question)


def test_enter_asks_and_the_answer_joins_the_conversation(qtbot, dialog):
    qtbot.keyClicks(dialog.question, "What colour is it?")
    with qtbot.waitSignal(dialog.ask_requested) as blocker:
        qtbot.keyClick(dialog.question, Qt.Key.Key_Return)
    assert blocker.args == ["What colour is it?"]
    assert dialog.question.text() == ""
    assert dialog.status.text() == "Thinking…"
    dialog.add_answer("Red.")
    assert items(dialog)[1:] == ["You asked: What colour is it?", "Answer: Red."]
    assert dialog.turns == [Turn("What colour is it?", "Red.")]
    assert dialog.conversation.currentItem().text() == "Answer: Red."
    assert dialog.status.text() == ""


def test_an_empty_question_is_not_asked(qtbot, dialog):
    asked = []
    dialog.ask_requested.connect(asked.append)
    with qtbot.waitSignal(dialog.message) as blocker:
        qtbot.keyClick(dialog.question, Qt.Key.Key_Return)
    assert asked == []
    assert "Type a question" in blocker.args[0]


def test_a_new_image_starts_a_new_conversation(dialog):
    dialog.turns.append(Turn("q", "a"))
    dialog.set_image(Image.new("RGB", (10, 10)), "Black.")
    assert dialog.turns == []
    assert items(dialog) == ["Description: Black."]
    dialog.set_image(Image.new("RGB", (10, 10)), "", ["Payment received"])  # a window whose text was read
    assert items(dialog) == []
    assert dialog.text_on_image.toPlainText() == "Payment received"


def test_copy_description_puts_it_on_the_clipboard(qtbot, dialog):
    with qtbot.waitSignal(dialog.message):
        qtbot.keyClick(dialog, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert QGuiApplication.clipboard().text() == DESCRIPTION


def test_save_image_writes_a_png_and_reports_failure_in_a_sentence(qtbot, dialog, tmp_path):
    with qtbot.waitSignal(dialog.message) as blocker:
        assert dialog.save_image_to(tmp_path / "shot")
    assert blocker.args == ["Image saved as shot.png."]
    with Image.open(tmp_path / "shot.png") as saved:
        assert saved.size == (64, 48)
    with qtbot.waitSignal(dialog.message) as blocker:
        assert not dialog.save_image_to(tmp_path / "missing" / "shot.png")
    assert blocker.args[0].startswith("Could not save the image to")
    assert blocker.args[0].endswith("Choose another place.")


def test_escape_closes(qtbot, dialog):
    qtbot.keyClick(dialog.question, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_buttons_have_mnemonics_names_and_a_sensible_tab_order(qtbot, dialog, unnamed_focusable):
    mnemonics = [
        b.text()
        for b in (
            dialog.ask_button,
            dialog.copy_button,
            dialog.save_button,
            dialog.new_button,
            dialog.close_button,
        )
    ]
    assert all("&" in text for text in mnemonics)
    labels = [label.text() for label in dialog.findChildren(QLabel) if "&" in label.text()]
    assert len(labels) == 3  # the conversation, the text on it, the question
    letters = [text[text.index("&") + 1].lower() for text in [*mnemonics, dialog.talk_button.text(), *labels]]
    assert len(set(letters)) == len(letters)
    assert unnamed_focusable(dialog) == []
    order = [dialog.question]
    while len(order) < 10:
        order.append(order[-1].nextInFocusChain())
        while order[-1].focusPolicy() == Qt.FocusPolicy.NoFocus or not order[-1].isVisible():
            order[-1] = order[-1].nextInFocusChain()
    assert order == [
        dialog.question, dialog.ask_button, dialog.talk_button, dialog.conversation, dialog.text_on_image,
        dialog.picture, dialog.copy_button, dialog.save_button, dialog.new_button, dialog.close_button,
    ]  # fmt: skip


def test_new_capture_button(qtbot, dialog):
    with qtbot.waitSignal(dialog.new_capture_requested):
        qtbot.keyClick(dialog, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)


def test_without_an_image_the_buttons_that_need_one_are_off():
    dialog = ConversationDialog()
    try:
        assert dialog.text_on_image.toPlainText() == ""  # nothing said of an image not there
        assert not dialog.ask_button.isEnabled()
        assert not dialog.copy_button.isEnabled()
        assert not dialog.save_button.isEnabled()
        assert dialog.new_button.isEnabled()
    finally:
        dialog.deleteLater()


def test_the_talk_button_names_the_users_hotkey(dialog):
    assert dialog.talk_button.toolTip() == "Ask by voice: speak your question (Ctrl+Alt+Q)"
    dialog.set_hotkeys({"listen": "super+f5"})
    assert dialog.talk_button.toolTip() == "Ask by voice: speak your question (Super+F5)"
    dialog.set_hotkeys({"listen": ""})
    assert dialog.talk_button.toolTip() == "Ask by voice: speak your question"


@pytest.mark.parametrize("spoken_by_app", [True, False])
def test_what_the_app_says_is_not_announced_again(qtbot, dialog, monkeypatch, spoken_by_app):
    # Through the screen reader, the app's speech reaches the user already; an announcement as well
    # would make the screen reader say the answer twice. Without the app's speech it is announced.
    from assistant.ui import dialog as dialog_module

    announced: list[str] = []
    monkeypatch.setattr(dialog_module, "announce", lambda _widget, text: announced.append(text))
    dialog.spoken_by_app = lambda: spoken_by_app
    qtbot.keyClicks(dialog.question, "What colour is it?")
    qtbot.keyClick(dialog.question, Qt.Key.Key_Return)
    dialog.add_answer("Red.")
    dialog.answer_failed("The model stopped.")
    said_by_app = ["Answer: Red.", "The model stopped."]
    assert announced == ["You asked: What colour is it?", "Thinking…"] + (
        [] if spoken_by_app else said_by_app
    )


# ---- the text on it ------------------------------------------------------------------------------------

LINES = ["Error - Editor", "The file could not be saved", "because the disk is full"]


def test_the_text_on_it_is_shown_line_by_line_read_only_and_named(dialog):
    assert dialog.text_on_image.toPlainText() == "No text was found on it."
    dialog.set_image(Image.new("RGB", (64, 48), "white"), DESCRIPTION, LINES)
    field = dialog.text_on_image
    assert field.toPlainText() == "\n".join(LINES)
    assert field.isReadOnly()
    assert field.accessibleName() == "Text on it"
    assert field.accessibleDescription() == (
        "The text read on the image, line by line; questions are answered from it."
    )


def test_the_text_on_it_is_reached_by_tab_and_its_mnemonic_and_read_with_the_arrows(qtbot, dialog):
    dialog.set_image(Image.new("RGB", (64, 48), "white"), DESCRIPTION, LINES)
    dialog.conversation.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.conversation)
    qtbot.keyClick(dialog.conversation, Qt.Key.Key_Tab)
    field = dialog.text_on_image
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)
    # A caret moves in it, so a screen reader reads the line or word it reaches.
    qtbot.keyClick(field, Qt.Key.Key_Down)
    assert field.textCursor().block().text() == LINES[1]
    qtbot.keyClick(field, Qt.Key.Key_Down)
    assert field.textCursor().block().text() == LINES[2]
    assert field.toPlainText() == "\n".join(LINES)  # keys change nothing in it
    qtbot.keyClick(field, Qt.Key.Key_Tab)  # Tab leaves it, as it leaves every other control
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.picture)
    qtbot.keyClick(dialog.picture, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)


def test_the_text_on_it_follows_a_new_capture(dialog):
    dialog.set_image(Image.new("RGB", (64, 48), "white"), DESCRIPTION, LINES)
    dialog.set_image(Image.new("RGB", (64, 48), "black"), "Black.", ["Welcome back"])
    assert dialog.text_on_image.toPlainText() == "Welcome back"
    dialog.set_image(Image.new("RGB", (64, 48), "black"), "Black.")
    assert dialog.text_on_image.toPlainText() == "No text was found on it."


def test_the_text_on_it_says_why_there_is_none(dialog):
    dialog.show_text_on_image([], "Reading the text on it…")
    assert dialog.text_on_image.toPlainText() == "Reading the text on it…"
    dialog.show_text_on_image(["", "  "], "Reading the text on it…")
    assert dialog.text_on_image.toPlainText() == "Reading the text on it…"
    dialog.show_text_on_image(LINES[:1])
    assert dialog.text_on_image.toPlainText() == LINES[0]
