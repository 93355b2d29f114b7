"""Where pictures come from on the Qt side: the pointer's screen, the clipboard, an image file chosen
in a file dialog, a region chosen on the overlay. Each becomes a grab that the session has taken on the
capture thread (`assistant.session.Grab`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image
from PySide6.QtCore import QObject, QPoint, QRect, Signal, Slot
from PySide6.QtGui import QCursor, QGuiApplication, QScreen
from PySide6.QtWidgets import QFileDialog

from assistant.i18n import N_, _
from assistant.session import Captured, Grab
from assistant.ui.qtimage import qimage_to_pil

if TYPE_CHECKING:
    from assistant.ui.overlay import RegionOverlay

log = logging.getLogger(__name__)

IMAGE_FILTER = N_("Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp *.tif *.tiff);;All files (*)")


def pointer() -> tuple[int, int]:
    """The mouse pointer in the screen's own pixels, as Qt knows it, for a grab: without asking the
    compositor, which each Wayland capture asks on the capture thread itself (on KDE, X11 too, that is a
    KWin script run over D-Bus, with a 3 s deadline: it ran on the Qt thread at every hotkey; the region
    overlay asks it through `ScreenQuestion`)."""
    return _in_pixels(QCursor.pos(), None)[0]


def _in_pixels(pos: QPoint, screen: QScreen | None) -> tuple[tuple[int, int], QScreen | None]:
    screen = screen or QGuiApplication.screenAt(pos) or QGuiApplication.primaryScreen()
    # Qt gives the pointer in device-independent pixels; the grab wants the screen's own pixels.
    ratio = screen.devicePixelRatio() if screen is not None else 1.0
    return (round(pos.x() * ratio), round(pos.y() * ratio)), screen


class ScreenQuestion(QObject):
    """Which Qt screen the user is on, as the compositor says (sway's focused output), for the region
    overlay, which must open there: on Wayland Qt knows the pointer only over the app's own windows, so
    the overlay would open on the first monitor while the second was captured. The compositor is asked
    on a thread of its own: on KDE (X11 too) it is a KWin script over D-Bus with a 3 s deadline."""

    _answered = Signal(object)  # the monitor's name, or None where the compositor does not say

    def __init__(self) -> None:
        super().__init__()
        self._then: Callable[[tuple[int, int], QScreen | None], None] | None = None
        self._pointer = QPoint()
        self._answered.connect(self._on_answered)

    def ask(self, then: Callable[[tuple[int, int], QScreen | None], None]) -> None:
        """`then(pointer, screen)` follows on this thread: the pointer as it is now in that screen's own
        pixels. Asked again before the answer: nothing more."""
        if self._then is not None:
            return
        self._then, self._pointer = then, QCursor.pos()
        threading.Thread(target=self._ask, name="compositor-screen", daemon=True).start()

    def _ask(self) -> None:
        from assistant.capture.monitors import current, layout

        name: str | None = None
        try:
            monitor = current(layout())
            name = monitor.name if monitor is not None else None
        except Exception:  # a failure is answered too: the screen under the pointer, as Qt knows it
            log.exception("Asking the compositor which screen the user is on failed")
        self._answered.emit(name)

    @Slot(object)
    def _on_answered(self, name: str | None) -> None:
        then, self._then = self._then, None
        screens = QGuiApplication.screens() if name else []
        screen = next((screen for screen in screens if screen.name() == name), None)
        if then is not None:
            then(*_in_pixels(self._pointer, screen))


def clipboard_picture() -> Grab | str | None:
    """The clipboard's image (as a grab), else the first image file copied (its path), else None."""
    from assistant.capture import clipboard_image

    clipboard = QGuiApplication.clipboard()
    qimage = clipboard.image()
    if not qimage.isNull():
        image = qimage_to_pil(qimage)
        return lambda: Captured(clipboard_image(image), what="picture")
    mime = clipboard.mimeData()
    files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime is not None else []
    return files[0] if files else None


def choose_image_file() -> str:
    """The image file the user chooses; "" where they cancel."""
    path, _filter = QFileDialog.getOpenFileName(
        None, _("Describe image file"), str(Path.home()), _(IMAGE_FILTER)
    )
    return path


def file_grab(path: str) -> Grab:
    """Reads the image file (and checks it) on the capture thread."""
    from assistant.capture import open_image_file

    return lambda: Captured(open_image_file(path), what="picture")


class RegionChooser:
    """The region overlay over a screenshot, one at a time; `chosen(image)` or `cancelled()` follows."""

    def __init__(
        self,
        say: Callable[[str], None],
        chosen: Callable[[Image.Image], None],
        cancelled: Callable[[], None],
        spoken_by_app: Callable[[], bool] = lambda: False,
    ) -> None:
        """`say` speaks the overlay's changes where `spoken_by_app()`; elsewhere the overlay announces them
        to screen readers (`say` would show each one in writing)."""
        self._say, self._chosen, self._cancelled = say, chosen, cancelled
        self._spoken_by_app = spoken_by_app
        self.overlay: RegionOverlay | None = None
        self.screen: QRect | None = None  # the screen the screenshot is of, where the overlay opens
        self.screen_question = ScreenQuestion()

    def open(self, screenshot: Image.Image) -> None:
        from assistant.ui.overlay import RegionOverlay

        overlay = RegionOverlay(screenshot, self.screen)
        overlay.spoken_by_app = self._spoken_by_app
        overlay.changed.connect(self._on_changed)
        overlay.chosen.connect(self._on_chosen)
        overlay.cancelled.connect(self._on_cancelled)
        self.overlay = overlay
        overlay.open()

    def _on_changed(self, text: str) -> None:
        if self._spoken_by_app():
            self._say(text)

    def _on_chosen(self, image: Image.Image) -> None:
        self._drop()
        self._chosen(image)

    def _on_cancelled(self) -> None:
        self._drop()
        self._cancelled()

    def _drop(self) -> None:
        if self.overlay is not None:
            self.overlay.deleteLater()
            self.overlay = None
