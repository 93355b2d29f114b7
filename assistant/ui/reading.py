"""The OCR thread: reads the text of pictures the capture thread (`capturing.py`) took or the model
thread described, off the Qt thread.

One `TextWorker` owns the warm OCR engine; results come back by signals to the controller, which
hands them to the session (`assistant.session`), where the order things are said in is kept.
"""

from __future__ import annotations

import logging

from PIL import Image
from PySide6.QtCore import QObject, QThread, Signal, Slot

from assistant.errors import UserError
from assistant.session.steps import read_lines

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
        try:
            lines = read_lines(image)
        except UserError as error:
            self.failed.emit(number, str(error))
            return
        self.text_read.emit(number, lines)


class Reading(QObject):
    """The OCR thread, as the controller sees it: `read(number, image)`, and the worker's signals."""

    _read = Signal(int, object)
    _warm_up = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._thread = QThread()
        self._thread.setObjectName("ocr")
        self.worker = TextWorker()
        self.worker.moveToThread(self._thread)
        self._read.connect(self.worker.read)
        self._warm_up.connect(self.worker.warm_up)

    def start(self) -> None:
        self._thread.start()
        self._warm_up.emit()

    def shutdown(self, timeout: float) -> bool:
        self._thread.quit()
        return self._thread.wait(int(timeout * 1000))

    def read(self, number: int, image: Image.Image) -> None:
        """Read the text of `image`; `text_read(number, lines)` or `failed(number, message)` follows."""
        self._read.emit(number, image)
