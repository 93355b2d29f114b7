"""The conversation about one captured image: the image, what was said about it, and a question box."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.actions import DEFAULT_HOTKEYS, hotkey_text
from assistant.engine.base import Turn
from assistant.i18n import N_, _, os_reason, pgettext
from assistant.ui.announce import announce
from assistant.ui.labels import buddy_label
from assistant.ui.qtimage import pil_to_pixmap

PREVIEW = (560, 360)
# Shown in the user's language where it is shown: _(NO_TEXT).
NO_TEXT = N_("No text was found on it.")


def _button(text: str, name: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    button.setAutoDefault(False)
    return button


class ConversationDialog(QDialog):
    """Shows one image and its conversation. The controller answers `ask_requested` and fills it in."""

    ask_requested = Signal(str)
    talk_requested = Signal()
    new_capture_requested = Signal()
    message = Signal(str)  # something to tell the user (spoken and shown by the controller)

    def __init__(self, parent: QWidget | None = None, hotkeys: Mapping[str, str] = DEFAULT_HOTKEYS) -> None:
        """`hotkeys` are the user's (action name -> hotkey), named in the buttons' tips."""
        super().__init__(parent)
        self.setWindowTitle(_("Ask about the image — Assistant"))
        self.setAccessibleName(_("Ask about the image"))
        self.image: Image.Image | None = None
        self.description = ""
        self.turns: list[Turn] = []
        self._pending_question: str | None = None
        # Whether the app's speech says descriptions, answers and failures (the controller sets it).
        self.spoken_by_app: Callable[[], bool] = lambda: False

        self.picture = QLabel()
        self.picture.setAccessibleName(_("Captured image"))
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(160, 100)
        self.picture.setFocusPolicy(Qt.FocusPolicy.TabFocus)

        self.conversation = QListWidget()
        self.conversation.setAccessibleName(_("Conversation"))
        self.conversation.setWordWrap(True)
        self.conversation.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        conversation_label = buddy_label(_("C&onversation:"), self.conversation)

        self.text_on_image = QPlainTextEdit()
        self.text_on_image.setReadOnly(True)
        # Read-only, but with a caret: a screen reader reads it line by line and word by word with the arrows.
        self.text_on_image.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.text_on_image.setTabChangesFocus(True)
        self.text_on_image.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.text_on_image.setAccessibleName(_("Text on it"))
        self.text_on_image.setAccessibleDescription(
            _("The text read on the image, line by line; questions are answered from it.")
        )
        self.text_on_image.setPlainText("")  # until there is an image
        text_label = buddy_label(_("Te&xt on it:"), self.text_on_image)

        self.question = QLineEdit()
        self.question.setAccessibleName(_("Question"))
        self.question.setPlaceholderText(_("Ask about the image, then press Enter"))
        question_label = buddy_label(_("&Question:"), self.question)
        self.question.returnPressed.connect(self.submit)

        # Translators: the dialog's buttons: label (the letter after & is its mnemonic; keep them different
        # from each other and from the fields' labels), the name a screen reader says, the tool tip.
        self.ask_button = _button(_("&Ask"), pgettext("button", "Ask"), _("Ask the question (Enter)"))
        self.talk_button = _button(_("&Talk"), pgettext("button", "Talk"), "")
        self.copy_button = _button(_("&Copy description"), _("Copy description"), _("Copy the description"))
        self.save_button = _button(_("&Save image…"), _("Save image"), _("Save the image to a file"))
        self.new_button = _button(_("&New capture"), _("New capture"), _("Describe the screen again"))
        self.close_button = _button(_("C&lose"), pgettext("button", "Close"), _("Close this window (Escape)"))
        self.ask_button.clicked.connect(self.submit)
        self.talk_button.clicked.connect(self.talk_requested)
        self.copy_button.clicked.connect(self.copy_description)
        self.save_button.clicked.connect(self.save_image)
        self.new_button.clicked.connect(self.new_capture_requested)
        self.close_button.clicked.connect(self.reject)

        self.status = QLabel("")
        self.status.setAccessibleName(_("Status"))
        self.status.setWordWrap(True)

        ask_row = QHBoxLayout()
        ask_row.addWidget(question_label)
        ask_row.addWidget(self.question, 1)
        ask_row.addWidget(self.ask_button)
        ask_row.addWidget(self.talk_button)
        buttons = QHBoxLayout()
        for button in (self.copy_button, self.save_button, self.new_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 2)
        layout.addWidget(conversation_label)
        layout.addWidget(self.conversation, 3)
        layout.addWidget(text_label)
        layout.addWidget(self.text_on_image, 2)
        layout.addLayout(ask_row)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        order = [
            self.question,
            self.ask_button,
            self.talk_button,
            self.conversation,
            self.text_on_image,
            self.picture,
            self.copy_button,
            self.save_button,
            self.new_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self.resize(640, 760)
        self.set_hotkeys(hotkeys)
        self._update_buttons()

    def set_hotkeys(self, hotkeys: Mapping[str, str]) -> None:
        combo = hotkeys.get("listen", "")
        self.talk_button.setToolTip(
            _("Ask by voice: speak your question ({keys})").format(keys=hotkey_text(combo))
            if combo
            else _("Ask by voice: speak your question")
        )

    # -- contents ---------------------------------------------------------------------------
    def set_image(
        self, image: Image.Image, description: str, text_lines: Sequence[str] = (), text_note: str = ""
    ) -> None:
        """Start a new conversation about `image`; `text_lines` were read on it (`text_note`: why none)."""
        self.image = image
        self.description = description
        self.turns = []
        self._pending_question = None
        pixmap = pil_to_pixmap(image)
        self.picture.setPixmap(
            pixmap.scaled(
                *PREVIEW, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )
        self.picture.setAccessibleDescription(description)
        self.picture.setToolTip(description)
        self.conversation.clear()
        if description:  # none for a window whose text alone was read
            # Translators: the conversation dialog's first line, the picture's description; a screen
            # reader says it as it is.
            self._append(_("Description: {description}").format(description=description), spoken=True)
        self.show_text_on_image(text_lines, text_note)
        self.set_status("")
        self._update_buttons()

    def show_text_on_image(self, lines: Sequence[str], note: str = "") -> None:
        """Show the lines read on the image, one a line; `note` (why there are none) when there are none."""
        text = "\n".join(line for line in lines if line.strip())
        self.text_on_image.setPlainText(text or note or _(NO_TEXT))

    def _append(self, text: str, spoken: bool = False) -> None:
        """Add a line to the conversation; `spoken`: the app also says it (a description, an answer)."""
        item = QListWidgetItem(text)
        item.setToolTip(text)
        self.conversation.addItem(item)
        self.conversation.setCurrentItem(item)
        self.conversation.scrollToItem(item)
        self._announce(self.conversation, text, spoken)

    def set_status(self, text: str, spoken: bool = False) -> None:
        self.status.setText(text)
        # What the app says stays out of the name: a screen reader reads a dialog's lines as it opens, and
        # a real Orca 51 said "Estado: Todavía no hay ninguna imagen…" right after the app had said it.
        named = text and not (spoken and self.spoken_by_app())
        # Translators: the status line's accessible name, with the status in it.
        self.status.setAccessibleName(_("Status: {text}").format(text=text) if named else _("Status"))
        if text:
            self._announce(self.status, text, spoken)

    def _announce(self, widget: QWidget, text: str, spoken: bool) -> None:
        # What the app's speech says already reaches the user (through the screen reader, or the app's
        # own voice, or both as chosen); announcing it as well would say it twice.
        if not (spoken and self.spoken_by_app()):
            announce(widget, text)

    def _update_buttons(self) -> None:
        has_image = self.image is not None
        for widget in (self.ask_button, self.copy_button, self.save_button):
            widget.setEnabled(has_image)

    # -- questions --------------------------------------------------------------------------
    def submit(self) -> None:
        question = self.question.text().strip()
        if not question:
            self.message.emit(_("Type a question first, then press Enter."))
            return
        if self.image is None:
            self.message.emit(_("There is no image yet. Describe the screen first."))
            return
        self._pending_question = question
        self._append(_("You asked: {question}").format(question=question))
        self.question.clear()
        self.set_status(_("Thinking…"))
        self.ask_requested.emit(question)

    def set_question(self, text: str) -> None:
        """Put words (e.g. heard by the microphone) in the question box."""
        self.question.setText(text)
        self.question.setFocus()

    def add_answer(self, answer: str) -> None:
        question = self._pending_question or ""
        self._pending_question = None
        self.turns.append(Turn(question, answer))
        # Translators: a line of the conversation dialog, the model's answer to the question above it.
        self._append(_("Answer: {answer}").format(answer=answer), spoken=True)
        self.set_status("")

    def answer_failed(self, message: str) -> None:
        self._pending_question = None
        self.set_status(message, spoken=True)

    def set_listening(self, listening: bool) -> None:
        """The Talk button becomes Stop listening while the microphone is open."""
        if listening:
            self.talk_button.setText(_("S&top listening"))
            self.talk_button.setAccessibleName(_("Stop listening"))
            self.set_status(_("Listening… speak your question."))
        else:
            self.talk_button.setText(_("&Talk"))
            self.talk_button.setAccessibleName(_("Talk"))

    def show_and_focus(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
        self.question.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def show_behind(self) -> None:
        """Shown without taking the focus from the window the user is in (window managers are told so).
        The attribute serves Windows and macOS; on X11 only the native window's property, which the
        attribute does not reach once the window exists, tells the window manager (openbox focused it)."""
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        handle = self.windowHandle()
        if handle is not None:
            handle.setProperty("_q_showWithoutActivating", True)
        self.show()
        if handle is not None:
            handle.setProperty("_q_showWithoutActivating", False)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, False)

    # -- buttons ----------------------------------------------------------------------------
    def copy_description(self) -> None:
        if not self.description:
            return
        QGuiApplication.clipboard().setText(self.description)
        self.message.emit(_("Description copied."))

    def save_image(self) -> None:
        if self.image is None:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self,
            _("Save image"),
            # Translators: the name offered for a saved picture, before its ".png".
            str(Path.home() / (pgettext("file name", "image") + ".png")),
            _("PNG image (*.png);;JPEG image (*.jpg *.jpeg)"),
        )
        if path:
            self.save_image_to(Path(path))

    def save_image_to(self, path: Path) -> bool:
        if self.image is None:
            return False
        if not path.suffix:
            path = path.with_suffix(".png")
        try:
            self.image.save(path)
        except (OSError, ValueError) as error:
            reason = _why_not_saved(error)
            self.message.emit(
                _("Could not save the image to {path}: {reason}. Choose another place.").format(
                    path=path, reason=reason
                )
            )
            return False
        self.message.emit(_("Image saved as {name}.").format(name=path.name))
        return True


def _why_not_saved(error: OSError | ValueError) -> str:
    """Why a picture could not be written, in the user's language: the system's own words (strerror)
    are English whatever the language chosen."""
    if isinstance(error, ValueError):  # PIL knows no format for the file's extension
        # Translators: why a picture could not be saved: its name ends in an extension that is no image's.
        return _("its name does not end in .png or .jpg")
    if isinstance(error, FileNotFoundError):
        return _("its folder does not exist")
    if isinstance(error, PermissionError):
        return _("that folder may not be written to")
    return os_reason(error)
