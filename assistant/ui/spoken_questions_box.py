"""Settings' "Spoken questions" group: the microphone, the speech recognition model and its language, and
whether a heard question is asked at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from assistant.config import Settings
from assistant.i18n import _
from assistant.ui.settings_group import SettingsGroup


class SpokenQuestionsBox(SettingsGroup):
    def __init__(
        self, settings: Settings, input_devices: Iterable[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(_("Spoken questions"), parent)
        self.input_device = QComboBox()
        self._name_combo(self.input_device, _("Microphone"))
        self.input_device.addItem(_("System default"), None)
        for name in input_devices:
            self.input_device.addItem(name, name)
        if settings.input_device and self.input_device.findData(settings.input_device) < 0:
            self.input_device.addItem(settings.input_device, settings.input_device)
        self.input_device.setCurrentIndex(max(0, self.input_device.findData(settings.input_device)))
        self._row(_("Microp&hone:"), self.input_device)
        self.stt_model = QLineEdit(settings.stt_model)
        self.stt_model.setAccessibleName(_("Speech recognition model"))
        self.stt_model.setAccessibleDescription(_("tiny.en, base.en, small, … large-v3, or a local folder."))
        self._row(_("Speech reco&gnition model:"), self.stt_model)
        self.language = QLineEdit(settings.language)
        self.language.setAccessibleName(_("Language of spoken questions"))
        self.language.setAccessibleDescription(_("A language code such as en, de or fr; auto to detect."))
        self._row(_("&Language:"), self.language)
        self.ask_after_listening = QCheckBox(_("As&k at once when the question has been heard"))
        self.ask_after_listening.setAccessibleName(_("Ask at once when the question has been heard"))
        self.ask_after_listening.setChecked(settings.ask_after_listening)
        self.form.addRow(self.ask_after_listening)

    def chosen(self, settings: Settings) -> Settings:
        return dataclasses.replace(
            settings,
            input_device=self.input_device.currentData(),
            stt_model=self.stt_model.text().strip() or settings.stt_model,
            language=self.language.text().strip(),  # empty: the app's language (speech.stt)
            ask_after_listening=self.ask_after_listening.isChecked(),
        )
