"""Taking every picture the app describes or reads, off the Qt thread: the screen, a region of it, the
focused window, the clipboard's image, an image file.

One capture thread (`CaptureWorker`) does what may take time before a picture goes to the model or to
OCR (`assistant.session.steps.take_picture`): asking whether the session is locked (a D-Bus question
with a half-second deadline), capturing, reading a file, telling a blank picture (a tenth of a second on
a full screen). Results come back by signals. It is a thread of its own, not the OCR thread, so that a
new capture never waits for the text of the last picture to be read.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal, Slot

from assistant.session.steps import take_picture
from assistant.session.work import Captured, CaptureJob

__all__ = ["CaptureJob", "CaptureWorker", "Captured", "Capturing"]


class CaptureWorker(QObject):
    """Lives on the capture thread. Connect to its slots with queued signals only."""

    refused = Signal(int, str)  # job id, one sentence: the screen is locked, or the picture is blank
    failed = Signal(int, str)  # job id, one sentence: the picture could not be taken or read
    captured = Signal(int, object)  # job id, Captured

    @Slot(object)
    def capture(self, job: CaptureJob) -> None:
        taken = take_picture(job)
        if taken.captured is not None:
            self.captured.emit(job.id, taken.captured)
        elif taken.refused:
            self.refused.emit(job.id, taken.message)
        else:
            self.failed.emit(job.id, taken.message)


class Capturing(QObject):
    """The capture thread, as the controller sees it: `capture(job)`, and the worker's signals."""

    _capture = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._thread = QThread()
        self._thread.setObjectName("capture")
        self.worker = CaptureWorker()
        self.worker.moveToThread(self._thread)
        self._capture.connect(self.worker.capture)

    def start(self) -> None:
        self._thread.start()

    def shutdown(self, timeout: float) -> bool:
        self._thread.quit()
        return self._thread.wait(int(timeout * 1000))

    def capture(self, job: CaptureJob) -> None:
        """Take the picture on the capture thread; `captured`, `refused` or `failed` follows."""
        self._capture.emit(job)
