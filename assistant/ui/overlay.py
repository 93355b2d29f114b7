"""The region chooser: a full-screen window over a screenshot, operable by mouse or by keyboard alone.

Drag with the mouse, or: arrow keys move the region, Shift+arrows resize it (Ctrl for bigger steps),
Enter takes it, Escape cancels. Every change is announced in words.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QGuiApplication,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QWidget

from assistant.capture.screen import crop_region
from assistant.i18n import N_, _
from assistant.ui.announce import announce
from assistant.ui.qtimage import pil_to_pixmap

STEP = 10
BIG_STEP = 50
MIN_SIZE = 8
INSTRUCTIONS = N_(
    "Choose a region. Arrow keys move it, Shift with arrow keys resizes it, "
    "hold Control for bigger steps. Enter takes it, Escape cancels."
)


def _span(a: QPoint, b: QPoint) -> QRect:
    """The rectangle between two corners, as many pixels wide as they are apart."""
    return QRect(min(a.x(), b.x()), min(a.y(), b.y()), abs(a.x() - b.x()), abs(a.y() - b.y()))


class RegionOverlay(QWidget):
    """Shows `screenshot` full-screen on `screen_geometry` and emits the chosen crop of it."""

    chosen = Signal(object)  # PIL image: the chosen region of the screenshot
    cancelled = Signal()
    changed = Signal(str)  # the region in words, after every change

    def __init__(self, screenshot: Image.Image, screen_geometry: QRect | None = None) -> None:
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle(_("Choose a region"))
        self.setAccessibleName(_("Region chooser"))
        self.setAccessibleDescription(_(INSTRUCTIONS))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.screenshot = screenshot
        self.pixmap = pil_to_pixmap(screenshot)
        if screen_geometry is None:
            screen_geometry = QGuiApplication.primaryScreen().geometry()
        self.setGeometry(screen_geometry)
        width, height = screenshot.size
        self.selection = QRect(width // 4, height // 4, width // 2, height // 2)
        self._drag_start: QPoint | None = None
        self._done = False
        # Whether the app's speech says `changed` (the chooser sets it). Then it is not announced as well:
        # through the screen reader the user would hear each position twice.
        self.spoken_by_app: Callable[[], bool] = lambda: False

    # -- geometry: the selection is kept in screenshot pixels ---------------------------------
    def _scale(self) -> tuple[float, float]:
        """Screenshot pixels per widget pixel."""
        return self.screenshot.width / max(1, self.width()), self.screenshot.height / max(1, self.height())

    def _to_image(self, point: QPoint) -> QPoint:
        sx, sy = self._scale()
        return QPoint(round(point.x() * sx), round(point.y() * sy))

    def _to_widget(self, rect: QRect) -> QRect:
        sx, sy = self._scale()
        return QRect(
            round(rect.x() / sx), round(rect.y() / sy), round(rect.width() / sx), round(rect.height() / sy)
        )

    def region(self) -> tuple[int, int, int, int]:
        """The selection in screenshot pixels: (left, top, width, height)."""
        r = self.selection
        return r.x(), r.y(), r.width(), r.height()

    def describe_region(self) -> str:
        left, top, width, height = self.region()
        return _("{width} by {height} pixels, {left} from the left, {top} from the top.").format(
            width=width, height=height, left=left, top=top
        )

    def _set_selection(self, rect: QRect) -> None:
        bounds = QSize(self.screenshot.width, self.screenshot.height)
        size = rect.size().expandedTo(QSize(MIN_SIZE, MIN_SIZE)).boundedTo(bounds)
        rect = QRect(rect.topLeft(), size)
        rect.moveLeft(max(0, min(rect.left(), bounds.width() - rect.width())))
        rect.moveTop(max(0, min(rect.top(), bounds.height() - rect.height())))
        if rect != self.selection:
            self.selection = rect
            self.update()
            self._announce()

    def _announce(self) -> None:
        text = self.describe_region()
        self.setAccessibleDescription(text)
        if not self.spoken_by_app():
            announce(self, text)
        self.changed.emit(text)

    # -- showing ----------------------------------------------------------------------------
    def open(self) -> None:
        """Show full-screen, take the keyboard, and say how to use it."""
        self.showFullScreen()
        self.raise_()
        self.activateWindow()
        self.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
        if not self.spoken_by_app():
            announce(self, _(INSTRUCTIONS))
        self.changed.emit(f"{_(INSTRUCTIONS)} {self.describe_region()}")

    def take(self) -> None:
        if self._done:
            return
        self._done = True
        r = self.selection
        crop = crop_region(self.screenshot, r.x(), r.y(), r.width(), r.height())
        self.close()
        self.chosen.emit(crop)

    def cancel(self) -> None:
        if self._done:
            return
        self._done = True
        self.close()
        self.cancelled.emit()

    def closeEvent(self, event: QCloseEvent) -> None:  # closed by the window system: counts as cancel
        if not self._done:
            self._done = True
            self.cancelled.emit()
        super().closeEvent(event)

    # -- input ------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.take()
            return
        if key == Qt.Key.Key_Escape:
            self.cancel()
            return
        moves = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
        }
        if key not in moves:
            super().keyPressEvent(event)
            return
        dx, dy = moves[Qt.Key(key)]
        step = BIG_STEP if mods & Qt.KeyboardModifier.ControlModifier else STEP
        rect = QRect(self.selection)
        if mods & Qt.KeyboardModifier.ShiftModifier:
            rect.setWidth(rect.width() + dx * step)
            rect.setHeight(rect.height() + dy * step)
        else:
            rect.translate(dx * step, dy * step)
        self._set_selection(rect)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_start = self._to_image(event.position().toPoint())
        elif event.button() == Qt.MouseButton.RightButton:
            self.cancel()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_start is not None:
            self._set_selection(_span(self._drag_start, self._to_image(event.position().toPoint())))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_start is None or event.button() != Qt.MouseButton.LeftButton:
            return
        rect = _span(self._drag_start, self._to_image(event.position().toPoint()))
        self._drag_start = None
        if rect.width() >= MIN_SIZE and rect.height() >= MIN_SIZE:
            self._set_selection(rect)
            self.take()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.drawPixmap(self.rect(), self.pixmap)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 110))
        r = self._to_widget(self.selection)
        painter.drawPixmap(r, self.pixmap, self.selection)
        painter.setPen(QPen(QColor(255, 200, 0), 3))
        painter.drawRect(r.adjusted(1, 1, -2, -2))
        painter.end()
