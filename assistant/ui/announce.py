"""Telling screen readers about changes they would not otherwise notice.

Orca drops an event that comes within 0.1 s of one of the same kind from the same application (its event
manager's spam filter): of two announcements made at once, a real Orca 51 said the first alone (a
description and its "Text on it: …" where the text was read first, a failure and what follows it). So
each announcement waits until `GAP_S` after the one before; one with none just before goes at once.
"""

from __future__ import annotations

import math
import time
from collections import deque

import shiboken6
from PySide6 import QtGui
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

GAP_S = 0.15  # between two announcements, over Orca's 0.1 s


def announce(widget: QWidget, message: str) -> None:
    """Ask screen readers to read `message` now (politely, after what they are saying), or as soon as
    the announcement before it has had its turn."""
    global _pacer
    if _pacer is None:
        _pacer = _Pacer()
    _pacer.add(widget, message)


def send(widget: QWidget, message: str) -> None:
    """The announcement itself, at once."""
    # Announcement events came with Qt 6.8; before them, screen readers notice a changed description.
    if hasattr(QtGui, "QAccessibleAnnouncementEvent"):
        QtGui.QAccessible.updateAccessibility(QtGui.QAccessibleAnnouncementEvent(widget, message))
    else:
        widget.setAccessibleDescription(message)


class _Pacer(QObject):
    """The app's announcements in order, `GAP_S` apart; lives on the Qt thread, as every widget does."""

    def __init__(self) -> None:
        super().__init__()
        self._waiting: deque[tuple[QWidget, str]] = deque()
        self._last = -math.inf  # time.monotonic() of the last announcement sent
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._next)

    def add(self, widget: QWidget, message: str) -> None:
        self._waiting.append((widget, message))
        if not self._timer.isActive():
            self._next()

    def _next(self) -> None:
        wait = self._last + GAP_S - time.monotonic()
        if wait > 0:
            self._timer.start(math.ceil(wait * 1000))
            return
        while self._waiting:
            widget, message = self._waiting.popleft()
            if shiboken6.isValid(widget):  # a window closed meanwhile has nothing to announce from
                send(widget, message)
                self._last = time.monotonic()
                break
        if self._waiting:
            self._timer.start(math.ceil(GAP_S * 1000))


_pacer: _Pacer | None = None
