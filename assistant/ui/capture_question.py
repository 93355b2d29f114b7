"""The desktop's question "may the assistant capture the screen?" (Wayland's portals), asked from one of
the app's windows (Settings, the first run's offer) on a thread of its own: it may wait minutes for the
user, and the window must go on answering the keyboard and the screen reader meanwhile."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QLabel, QPushButton

from assistant.errors import UserError
from assistant.i18n import _
from assistant.ui.announce import announce


class CaptureQuestion(QObject):
    """Asks through `button`'s window and says how it goes in `status`; `answered(allowed, sentence)`
    follows on the Qt thread, with the sentence already shown in `status`."""

    answered = Signal(bool, str)
    _done = Signal(bool, str)  # from the asking thread

    def __init__(self, button: QPushButton, status: QLabel) -> None:
        super().__init__(button)
        self._button = button
        self._status = status
        self._thread: threading.Thread | None = None
        self._done.connect(self._answered)

    def ask(self, choice: str) -> None:
        """Ask for capture by `choice` (a capture method's name); the button waits disabled meanwhile."""
        from assistant.capture.backends import set_up

        self._button.setEnabled(False)
        self._status.setText(_("The desktop is asking whether the assistant may capture the screen…"))
        announce(self._status, self._status.text())

        def ask() -> None:
            try:
                self._done.emit(True, set_up(choice))
            except UserError as error:
                self._done.emit(False, str(error))

        self._thread = threading.Thread(target=ask, name="capture-setup", daemon=True)
        self._thread.start()

    @Slot(bool, str)
    def _answered(self, allowed: bool, message: str) -> None:
        if self._thread is not None:
            self._thread.join()
        self._status.setText(message)
        self.answered.emit(allowed, message)
