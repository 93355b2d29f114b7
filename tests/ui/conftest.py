"""Widget tests run on Qt's offscreen platform: no display needed."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def unnamed_focusable():
    """A function listing the keyboard-reachable controls of a window that have no accessible name."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

    def unnamed_focusable(window: QWidget) -> list[str]:
        """Describe each control a keyboard user can reach that has no accessible name or text."""
        missing = []
        for widget in window.findChildren(QWidget):
            if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or not widget.isVisibleTo(window):
                continue
            name = widget.accessibleName()
            if not name and isinstance(widget, QAbstractButton):
                name = widget.text().replace("&", "")
            if not name and isinstance(widget, QLabel):
                name = widget.text()
            if not name.strip():
                missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
        return missing

    return unnamed_focusable
