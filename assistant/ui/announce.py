"""Telling screen readers about changes they would not otherwise notice."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtWidgets import QWidget


def announce(widget: QWidget, message: str) -> None:
    """Ask screen readers to read `message` now (politely, after what they are saying)."""
    # Announcement events came with Qt 6.8; before them, screen readers notice a changed description.
    if hasattr(QtGui, "QAccessibleAnnouncementEvent"):
        QtGui.QAccessible.updateAccessibility(QtGui.QAccessibleAnnouncementEvent(widget, message))
    else:
        widget.setAccessibleDescription(message)
