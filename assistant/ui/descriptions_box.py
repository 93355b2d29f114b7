"""Settings' "Descriptions" group: how much detail, which model on which device at which precision, when
the idle model is freed, and the text on pictures (read aloud, translated, how much of it)."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QCompleter, QSpinBox, QWidget

from assistant.config import DETAILS, IDLE_MINUTES_MAX, TEXT_WORD_LIMIT_MAX, Settings
from assistant.engine.catalogue import KNOWN_MODELS, choice_description, known
from assistant.i18n import _
from assistant.ui.announce import announce
from assistant.ui.image_budget_box import name_editor
from assistant.ui.runtime_box import device_combo, precision_combo
from assistant.ui.settings_group import SettingsGroup
from assistant.ui.translate_answers_box import TranslateAnswersBox


class DescriptionsBox(SettingsGroup):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(_("Descriptions"), parent)
        self.detail = QComboBox()
        self._name_combo(self.detail, _("Detail"))
        for value in DETAILS:
            self.detail.addItem({"brief": _("Brief"), "detailed": _("Detailed")}.get(value, value), value)
        self.detail.setCurrentIndex(max(0, self.detail.findData(settings.detail)))
        self._row(_("&Detail:"), self.detail)
        self.model = QComboBox()
        self._fill_model_choice(settings.model)
        self._row(_("Mod&el:"), self.model)
        self.device = device_combo(settings.device)
        self._row(_("Dev&ice:"), self.device)
        self.precision = precision_combo(settings.precision)
        self._row(_("Precisio&n:"), self.precision)
        self.free_model = QSpinBox()
        self.free_model.setAccessibleName(_("Free the model when idle, after minutes"))
        self.free_model.setAccessibleDescription(
            _(
                "Gives the model's memory back after this many minutes without a request; the next "
                "request loads it again first. Off keeps it loaded."
            )
        )
        self.free_model.setRange(0, IDLE_MINUTES_MAX)  # 0 shows as off
        self.free_model.setSpecialValueText(_("Off"))
        self.free_model.setSuffix(_(" minutes"))
        self.free_model.setValue(settings.free_model_after_minutes)
        name_editor(self.free_model)
        self._row(_("&Free the model when idle:"), self.free_model)
        self.read_text_on_images = QCheckBox(_("Read the &text on pictures"))
        self.read_text_on_images.setAccessibleName(_("Read the text on pictures"))
        self.read_text_on_images.setAccessibleDescription(
            _("After each description, the text on the picture is read aloud, word for word.")
        )
        self.read_text_on_images.setChecked(settings.read_text_on_images)
        self.form.addRow(self.read_text_on_images)
        self.translate_answers = TranslateAnswersBox.added_to(self.form, settings)
        self.text_word_limit = QSpinBox()
        self.text_word_limit.setAccessibleName(_("Words of text to read before stopping, 0 for all"))
        self.text_word_limit.setAccessibleDescription(
            _("Longer text stops here and says how many words are left; Read all the text reads them.")
        )
        self.text_word_limit.setRange(0, TEXT_WORD_LIMIT_MAX)  # 0 shows as all
        self.text_word_limit.setSingleStep(10)
        self.text_word_limit.setSpecialValueText(_("All"))
        self.text_word_limit.setSuffix(_(" words"))
        self.text_word_limit.setValue(settings.text_word_limit)
        name_editor(self.text_word_limit)
        self._row(_("Words of text to read before &stopping (0: all):"), self.text_word_limit)

    def _fill_model_choice(self, current: str) -> None:
        """The known models, picked with the arrow keys, or any other typed in (a hub id, a folder); typing
        part of a name, in any case, offers the known models that hold it."""
        combo = self.model
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._name_combo(combo, _("Model"))
        editor = combo.lineEdit()
        if editor is not None:  # the text field inside, which AT-SPI shows on its own
            editor.setAccessibleName(_("Model"))
        for model in KNOWN_MODELS:
            combo.addItem(model.id)
        found = known(current)  # a short name shows as its hub id, in the list
        combo.setCurrentIndex(combo.findText(found.id) if found is not None else -1)
        if found is None:
            combo.setEditText(current)  # not in the list: the arrow keys start from its top
        completer = QCompleter([known.id for known in KNOWN_MODELS], combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)  # a list to arrow through
        combo.setCompleter(completer)
        self._set_model_facts(combo.currentText())
        combo.editTextChanged.connect(self._set_model_facts)
        # A model reached with the arrow keys is read by its name alone; its facts follow.
        combo.currentIndexChanged.connect(lambda _index: announce(combo, combo.accessibleDescription()))

    def _set_model_facts(self, text: str) -> None:
        """The known model's size, memory, licence and languages, read with the Model field."""
        facts = choice_description(text.strip())
        self.model.setAccessibleDescription(facts)
        self.model.setToolTip(facts)

    def chosen(self, settings: Settings) -> Settings:
        chosen = dataclasses.replace(
            settings,
            detail=self.detail.currentData(),
            model=self.model.currentText().strip() or settings.model,
            device=self.device.currentData(),
            precision=self.precision.currentData(),
            free_model_after_minutes=self.free_model.value(),
            read_text_on_images=self.read_text_on_images.isChecked(),
            text_word_limit=self.text_word_limit.value(),
        )
        return self.translate_answers.chosen(chosen)
