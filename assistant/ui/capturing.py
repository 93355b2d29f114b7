"""Taking every picture the app describes or reads, off the Qt thread: the screen, a region of it, the
focused window, the clipboard's image, an image file.

One capture thread (`CaptureWorker`) does what may take time before a picture goes to the model or to
OCR: asking whether the session is locked (a D-Bus question with a half-second deadline), capturing,
reading a file, telling a blank picture (a tenth of a second on a full screen). A picture of the screen
is not taken while the session is locked; a blank picture is named by its colour and goes no further.
Results come back by signals. It is a thread of its own, not the OCR thread, so that a new capture
never waits for the text of the last picture to be read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image
from PySide6.QtCore import QObject, QThread, Signal, Slot

from assistant.errors import UserError
from assistant.ui.worker import new_id


@dataclass
class Captured:
    """A picture taken on the capture thread, with the window's title when it is one window."""

    image: Image.Image
    title: str = ""
    notice: str = ""  # said first: why the whole screen stands in for the window, say
    what: str = (
        "screen"  # what the picture is, as the blank message names it: screen, window, region, picture
    )


@dataclass
class CaptureJob:
    """Take a picture (`grab` runs on the capture thread) and tell a blank one. A picture of the screen
    (`of_screen`) is not taken while the session is locked; the clipboard's image and files are."""

    grab: Callable[[], Captured]
    of_screen: bool = True
    id: int = field(default_factory=new_id)  # shared with requests: a reading's number names one picture


class CaptureWorker(QObject):
    """Lives on the capture thread. Connect to its slots with queued signals only."""

    refused = Signal(int, str)  # job id, one sentence: the screen is locked, or the picture is blank
    failed = Signal(int, str)  # job id, one sentence: the picture could not be taken or read
    captured = Signal(int, object)  # job id, Captured

    @Slot(object)
    def capture(self, job: CaptureJob) -> None:
        from assistant.capture import LOCKED_MESSAGE, blank_colour, blank_message, screen_is_locked

        if job.of_screen and screen_is_locked():
            self.refused.emit(job.id, LOCKED_MESSAGE)
            return
        try:
            captured = job.grab()
        except UserError as error:
            self.failed.emit(job.id, str(error))
            return
        colour = blank_colour(captured.image)
        if colour is not None:
            self.refused.emit(job.id, blank_message(colour, captured.what))
            return
        self.captured.emit(job.id, captured)


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
