"""The session's clock in the app: Qt timers on the Qt thread, where the session runs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class QtTimer:
    def __init__(self, parent: QObject, seconds: float, callback: Callable[[], None]) -> None:
        self._timer = QTimer(parent)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(callback)
        self._timer.timeout.connect(self._timer.deleteLater)
        self._timer.start(int(seconds * 1000))

    def cancel(self) -> None:
        try:
            self._timer.stop()
            self._timer.deleteLater()
        except RuntimeError:  # fired already, and deleted
            pass


class QtClock:
    """`call_later` with a single-shot QTimer owned by `parent` (so it lives on, and fires on, its thread)."""

    def __init__(self, parent: QObject) -> None:
        self._parent = parent

    def call_later(self, seconds: float, callback: Callable[[], None]) -> QtTimer:
        return QtTimer(self._parent, seconds, callback)
