"""What every group of the Settings window shares: a titled box with a form, whose rows are labelled so
that each label's Alt key moves to its field and screen readers read the label as the field's name."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QWidget

from assistant.config import Settings
from assistant.i18n import _
from assistant.ui.labels import buddy_label


class SettingsHolder(Protocol):
    """The Settings window as its groups see it: its copy of the settings, which a group may change at
    once (the language, the capture set up) and which the other fields are applied over."""

    settings: Settings


class SettingsGroup(QGroupBox):
    """A group box of Settings; each one puts its choices into the settings with a `chosen` method."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.form = QFormLayout(self)

    def _row(self, text: str, field: QWidget) -> None:
        """A row of a label (with its Alt key after &) and the field it names."""
        self.form.addRow(buddy_label(text, field), field)

    @staticmethod
    def _name_combo(combo: QComboBox, name: str) -> None:
        """Name a combo box and its drop-down list (which screen readers see as a control of its own)."""
        combo.setAccessibleName(name)
        combo.view().setAccessibleName(_("{name} choices").format(name=name))
