"""Settings' "Speech" group: whether and how the app speaks (screen reader or its own voice), the
language, voice, rate and volume, the cue sounds and the spoken "Ready"."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QSlider, QSpinBox, QWidget

from assistant.config import RATE_RANGE, SPEAK_WITH, Settings
from assistant.i18n import N_, _
from assistant.speech.voices import Voice, voice_labels
from assistant.ui.image_budget_box import name_editor
from assistant.ui.language_choice import LanguageChoice
from assistant.ui.settings_group import SettingsGroup, SettingsHolder

SYSTEM_VOICE = N_("System default")
SPEAK_WITH_LABELS = {
    "screen-reader": N_("My screen reader when one is running"),
    "own-voice": N_("The app's own voice"),
    "both": N_("Both"),
}


def voice_choices(voices: Iterable[Any]) -> list[tuple[str, str]]:
    """(id, name) pairs from whatever the speaker lists: Voices (named in the app's language), objects
    with id/name, pairs, or plain ids."""
    voices = list(voices)
    known = [voice for voice in voices if isinstance(voice, Voice)]
    labels = {id(voice): label for voice, label in zip(known, voice_labels(known), strict=True)}
    choices = []
    for voice in voices:
        if isinstance(voice, Voice):
            choices.append((voice.id, labels[id(voice)]))
        elif isinstance(voice, str):
            choices.append((voice, voice))
        elif isinstance(voice, (tuple, list)) and len(voice) >= 2:
            choices.append((str(voice[0]), str(voice[1])))
        else:
            ident = str(getattr(voice, "id", voice))
            choices.append((ident, str(getattr(voice, "name", None) or ident)))
    return choices


class SpeechBox(SettingsGroup):
    def __init__(
        self,
        owner: SettingsHolder,
        voices: Iterable[Any],
        screen_reader: str | None,
        parent: QWidget | None = None,
    ) -> None:
        """`owner`: the window whose settings the language choice is kept in. `screen_reader`: how the app
        reaches the screen reader now, or None while it reaches none."""
        super().__init__(_("Speech"), parent)
        settings = owner.settings
        # The three check boxes here have no Alt key: Settings has none left, and OK, Apply and Cancel
        # needed theirs. Each is a Tab or two from a field that has one (Speak with, Volume).
        self.speech_enabled = QCheckBox(_("Speak descriptions and answers"))
        self.speech_enabled.setChecked(settings.speech_enabled)
        self.speech_enabled.setAccessibleName(_("Speak descriptions and answers"))
        self.form.addRow(self.speech_enabled)
        self.speak_with = QComboBox()
        self._name_combo(self.speak_with, _("Speak with"))
        for value in SPEAK_WITH:
            self.speak_with.addItem(_(SPEAK_WITH_LABELS[value]), value)
        self.speak_with.setCurrentIndex(max(0, self.speak_with.findData(settings.speak_with)))
        self._row(_("Speak &with:"), self.speak_with)
        reached = (
            _("Screen reader: {screen_reader}.").format(screen_reader=screen_reader)
            if screen_reader
            else _("Screen reader: none reached; the app speaks with its own voice.")
        )
        self.screen_reader = QLabel(reached)
        self.screen_reader.setWordWrap(True)
        self.screen_reader.setAccessibleName(reached)
        # Focusable, so that a screen reader user tabbing through the dialog hears it.
        self.screen_reader.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.screen_reader.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.form.addRow(self.screen_reader)
        LanguageChoice.added_to(self.form, owner)  # it keeps its choice in owner.settings
        self.voice = QComboBox()
        self._name_combo(self.voice, _("Voice"))
        self.voice.addItem(_(SYSTEM_VOICE), None)
        for ident, name in voice_choices(voices):
            self.voice.addItem(name, ident)
        if settings.voice is not None:
            index = self.voice.findData(settings.voice)
            if index < 0:
                self.voice.addItem(settings.voice, settings.voice)
                index = self.voice.count() - 1
            self.voice.setCurrentIndex(index)
        self._row(_("&Voice:"), self.voice)
        self.rate = QSpinBox()
        self.rate.setAccessibleName(_("Speaking rate in words per minute"))
        self.rate.setRange(0, RATE_RANGE[1])  # 0 shows as the system default
        self.rate.setSingleStep(10)
        self.rate.setSpecialValueText(_("System default"))
        self.rate.setSuffix(_(" words per minute"))
        self.rate.setValue(settings.rate or 0)
        name_editor(self.rate)
        self._row(_("&Rate:"), self.rate)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setAccessibleName(_("Volume in percent"))
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(5)
        self.volume.setPageStep(10)
        self.volume.setValue(round(settings.volume * 100))
        self._row(_("Volu&me:"), self.volume)
        self.earcons = QCheckBox(_("Play cue sounds"))
        self.earcons.setAccessibleName(_("Play cue sounds"))
        self.earcons.setChecked(settings.earcons)
        self.form.addRow(self.earcons)
        self.announce_ready = QCheckBox(_('Say "Ready" when the model has loaded'))
        self.announce_ready.setAccessibleName(_("Say Ready when the model has loaded"))
        self.announce_ready.setChecked(settings.announce_ready)
        self.form.addRow(self.announce_ready)

    def chosen(self, settings: Settings) -> Settings:
        return dataclasses.replace(
            settings,
            speech_enabled=self.speech_enabled.isChecked(),
            speak_with=self.speak_with.currentData(),
            voice=self.voice.currentData(),
            rate=max(RATE_RANGE[0], self.rate.value()) if self.rate.value() else None,
            volume=self.volume.value() / 100,
            earcons=self.earcons.isChecked(),
            announce_ready=self.announce_ready.isChecked(),
        )
