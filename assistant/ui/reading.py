"""The text on pictures, from the Qt thread's side: "Read the text", the focused window, and the text
that follows every description.

One OCR thread (`TextWorker`) owns the warm OCR engine and reads the text of pictures that the capture
thread (`capturing.py`) took. Results come back by signals. The text of a description is said after its
gist, never before and never over it: if the text is ready first it waits for the gist; if the gist is
done first the text follows it at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PIL import Image
from PySide6.QtCore import QObject, QThread, Signal, Slot

from assistant.errors import UserError

log = logging.getLogger(__name__)


class TextWorker(QObject):
    """Lives on the OCR thread. Connect to its slots with queued signals only."""

    text_read = Signal(int, object)  # request or job id, the lines in reading order
    failed = Signal(int, str)  # request or job id, one sentence

    @Slot()
    def warm_up(self) -> None:
        from assistant.ocr import shared_reader

        try:
            shared_reader().warm_up()
        except UserError as error:  # said when text is first asked for
            log.warning("%s", error)

    @Slot(int, object)
    def read(self, number: int, image: Image.Image) -> None:
        from assistant.ocr import read_text

        try:
            lines = read_text(image).lines
        except UserError as error:
            self.failed.emit(number, str(error))
            return
        self.text_read.emit(number, lines)


class TextFlow(QObject):
    """What the controller asks of the OCR thread, and the order things are said in."""

    _read = Signal(int, object)
    _warm_up = Signal()

    def __init__(self, say: Callable[[str], None]) -> None:
        super().__init__()
        self._say = say
        self._thread = QThread()
        self._thread.setObjectName("ocr")
        self.worker = TextWorker()
        self.worker.moveToThread(self._thread)
        self._read.connect(self.worker.read)
        self._warm_up.connect(self.worker.warm_up)
        self.worker.text_read.connect(self._on_text_read)
        self.worker.failed.connect(self._on_failed)
        self._describing: int | None = None  # the description whose text is awaited
        self._word_limit: int | None = None
        self._lines: list[str] | None = None
        self._gist_said = False
        self.last_lines: list[str] = []
        """The text on the last picture described or read, in reading order."""

    def start(self) -> None:
        self._thread.start()
        self._warm_up.emit()

    def shutdown(self, timeout: float) -> bool:
        self._thread.quit()
        return self._thread.wait(int(timeout * 1000))

    def read(self, number: int, image: Image.Image) -> None:
        """Read the text of `image`; `text_read(number, lines)` follows."""
        self._read.emit(number, image)

    def read_along(self, request_id: int, image: Image.Image, word_limit: int | None) -> None:
        """Read the text of a picture being described, to be said after its gist."""
        self._describing, self._word_limit = request_id, word_limit
        self._lines, self._gist_said = None, False
        self._read.emit(request_id, image)

    def reading_along(self, request_id: int) -> bool:
        """Whether the text of description `request_id` is already being read."""
        return self._describing == request_id

    def gist_said(self, request_id: int) -> None:
        """The description's gist is said: its text follows now, or as soon as it is read."""
        if request_id != self._describing:
            return
        self._gist_said = True
        if self._lines is not None:
            self._say_text()

    def drop(self) -> None:
        """Say nothing more of the text awaited (stop, or new work)."""
        self._describing, self._lines, self._gist_said = None, None, False

    @Slot(int, object)
    def _on_text_read(self, number: int, lines: list[str]) -> None:
        if number != self._describing:
            return
        self._lines = lines
        self.last_lines = list(lines)
        if self._gist_said:
            self._say_text()

    @Slot(int, str)
    def _on_failed(self, number: int, message: str) -> None:
        if number == self._describing:
            self._lines = []  # nothing to follow the gist; the description is not read again
            self._say(message)

    def _say_text(self) -> None:
        from assistant.ocr import text_to_speak

        lines = self._lines or []
        self.drop()
        if lines:
            self._say(text_to_speak(lines, self._word_limit))
