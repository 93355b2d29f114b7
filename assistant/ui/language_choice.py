"""Settings' choice of the language the assistant speaks and shows: the desktop's, or one that has a
catalogue (assistant.i18n). It applies from the next start: every window, Qt's own dialogs and the
voice are set up in the language chosen at start."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QComboBox, QFormLayout

from assistant.config import Settings
from assistant.i18n import _, available_languages
from assistant.ui.labels import buddy_label

# Each language named in itself, as language menus do, so that someone who cannot read the language
# shown now still finds their own.
AUTONYMS = {"en": "English", "es": "Español"}


class _Owner(Protocol):
    settings: Settings  # the Settings dialog's copy, which its other fields are applied over


class LanguageChoice(QComboBox):
    """The combo box; it keeps its choice in its owner's settings (the dialog replaces that copy on
    Apply, so the choice is written to whichever copy the dialog holds then)."""

    @classmethod
    def added_to(cls, form: QFormLayout, owner: _Owner) -> LanguageChoice:
        choice = cls(owner)
        # Translators: a Settings label; its mnemonic must differ from the window's others, and in
        # English only j, q and z were left.
        form.addRow(buddy_label(_("Locali&zation (the language it speaks and shows):"), choice), choice)
        return choice

    def __init__(self, owner: _Owner) -> None:
        super().__init__()
        self._owner = owner
        self.setAccessibleName(_("Language of the assistant"))
        self.setAccessibleDescription(
            _("The language of its speech, menus and windows, from its next start.")
        )
        self.view().setAccessibleName(_("{name} choices").format(name=self.accessibleName()))
        self.addItem(_("The desktop's language"), "")
        for code in available_languages():
            self.addItem(AUTONYMS.get(code, code), code)
        current = owner.settings.interface_language
        if current and self.findData(current) < 0:  # a language without a catalogue, set in the file
            self.addItem(current, current)
        self.setCurrentIndex(max(0, self.findData(current)))
        self.currentIndexChanged.connect(self._keep)

    def _keep(self) -> None:
        self._owner.settings.interface_language = str(self.currentData() or "")
