"""Telling screen readers about changes they would not otherwise notice."""

from __future__ import annotations

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QWidget

try:
    from PySide6.QtGui import QAccessibleAnnouncementEvent
except ImportError:  # Qt before 6.8
    QAccessibleAnnouncementEvent = None


def announce(widget: QWidget, message: str) -> None:
    """Ask screen readers to read `message` now (politely, after what they are saying)."""
    if QAccessibleAnnouncementEvent is not None:
        QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(widget, message))
    else:
        widget.setAccessibleDescription(message)
