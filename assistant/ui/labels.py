"""A label that names a field and gives it an Alt key."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


def buddy_label(text: str, field: QWidget) -> QLabel:
    """A label for `field` whose & marks its Alt key. The buddy is set before the text: a label tells
    screen readers its new name as its text is set, with the & left in while it has no buddy, and a real
    Orca 51 kept that name and read it out ("&1 Describir pantalla:", "Pre&gunta:")."""
    label = QLabel()
    label.setBuddy(field)
    label.setText(text)
    return label
