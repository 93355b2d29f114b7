"""The conversation window (the dialog), from the controller's side: made when first needed, showing
the last picture, its text and the answers, as the session asks (`assistant.session.Dialog`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PIL import Image

from assistant.ui.dialog import ConversationDialog

if TYPE_CHECKING:
    from assistant.ui.controller import Controller


class ConversationWindow:
    def __init__(self, controller: Controller) -> None:
        self._app = controller
        self.dialog: ConversationDialog | None = None
        # Whether the dialog comes back with the focus: not where it was hidden while another window had it.
        self._focus_when_shown = True

    def ensure(self) -> ConversationDialog:
        """The dialog, made (hidden) the first time, about the last picture where there is one."""
        if self.dialog is None:
            app = self._app
            self.dialog = ConversationDialog(hotkeys=app.settings.hotkeys)
            # What the app says reaches the user already: by its speech, or, with speech off, through the
            # window without a tray, which announces it (the dialog announcing it too said it twice).
            self.dialog.spoken_by_app = lambda: (
                app.speaking or any(getattr(view, "announces_said", False) for view in app.views)
            )
            self.dialog.ask_requested.connect(app.ask)
            self.dialog.new_capture_requested.connect(app.new_capture)
            self.dialog.message.connect(self._on_message)
            self.dialog.talk_requested.connect(lambda: app.handle("listen"))
            conversation, text = app.session.conversation, app.session.image_text
            if conversation.image is not None:
                self.dialog.set_image(conversation.image, conversation.description, text.lines, text.note)
        return self.dialog

    def open(self) -> None:
        """Show the dialog, focused; without a picture yet, say how to get one."""
        dialog = self.ensure()
        dialog.show_and_focus()
        if self._app.session.conversation.image is None:
            message = self._app.session.no_image_message()
            dialog.set_status(message, spoken=True)  # said here: announced only where the app is silent
            self._app.say(message, interrupt=True)

    def _on_message(self, text: str) -> None:
        self._app.set_status(text)
        self._app.say(text, interrupt=True)

    # -- assistant.session.Dialog -----------------------------------------------------------
    @property
    def dialog_visible(self) -> bool:
        return self.dialog is not None and self.dialog.isVisible() and not self.dialog.isMinimized()

    def show_dialog(self) -> None:
        dialog = self.ensure()
        if self._focus_when_shown:
            dialog.show_and_focus()
        else:  # hidden for a capture key pressed in another window: that window keeps the focus
            dialog.show_behind()
        self._focus_when_shown = True

    def hide_dialog(self) -> None:
        if self.dialog is not None:
            self._focus_when_shown = self.dialog.isActiveWindow()
            self.dialog.hide()

    def show_picture(self, image: Image.Image, description: str, lines: Sequence[str], note: str) -> None:
        if self.dialog is not None:
            self.dialog.set_image(image, description, lines, note)

    def show_text_on_image(self, lines: Sequence[str], note: str) -> None:
        if self.dialog is not None:
            self.dialog.show_text_on_image(lines, note)

    def add_answer(self, answer: str) -> None:
        if self.dialog is not None:
            self.dialog.add_answer(answer)

    def answer_failed(self, message: str) -> None:
        if self.dialog is not None:
            self.dialog.answer_failed(message)

    def answer_cancelled(self) -> None:
        if self.dialog is not None:
            self.dialog.set_status("")
