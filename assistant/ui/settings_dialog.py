"""The Settings window: hotkeys, speech, cues and the model, each control labelled for screen readers."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assistant.actions import BY_NAME, HOTKEY_ACTIONS
from assistant.config import (
    CAPTURE_BACKENDS,
    DETAILS,
    IDLE_MINUTES_MAX,
    RATE_RANGE,
    SPEAK_WITH,
    TEXT_WORD_LIMIT_MAX,
    HotkeyError,
    Settings,
    parse_hotkey,
)
from assistant.engine.catalogue import KNOWN_MODELS, choice_description
from assistant.errors import UserError
from assistant.i18n import N_, _
from assistant.speech.voices import Voice, voice_labels
from assistant.ui.announce import announce
from assistant.ui.image_budget_box import ImageBudgetBox, name_editor
from assistant.ui.language_choice import LanguageChoice
from assistant.ui.model_server_box import ModelServerBox
from assistant.ui.runtime_box import device_combo, precision_combo
from assistant.ui.translate_answers_box import TranslateAnswersBox

SYSTEM_VOICE = N_("System default")
CAPTURE_LABELS = {
    "auto": N_("Automatic: the best this desktop offers"),
    "mss": N_("Direct (X11, Windows, macOS)"),
    "grim": N_("grim (sway, Hyprland)"),
    "portal": N_("The desktop's screenshot portal (Wayland)"),
    "screencast": N_("The desktop's screen sharing, asked once (Wayland)"),
}
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


def _name_combo(combo: QComboBox, name: str) -> None:
    """Name a combo box and its drop-down list (which screen readers see as a control of its own)."""
    combo.setAccessibleName(name)
    combo.view().setAccessibleName(_("{name} choices").format(name=name))


class SettingsDialog(QDialog):
    """Edits a copy of the settings; OK or Apply emits `applied` with the new settings."""

    applied = Signal(object)

    def __init__(
        self,
        settings: Settings,
        voices: Iterable[Any] = (),
        input_devices: Iterable[str] = (),
        parent: QWidget | None = None,
        screen_reader: str | None = None,
        desktop_keys: Mapping[str, str] | None = None,
    ) -> None:
        """`screen_reader`: how the app reaches the screen reader now, or None while it reaches none.
        `desktop_keys`: action -> the keys the desktop bound (Wayland's GlobalShortcuts), where it binds them."""
        super().__init__(parent)
        self.setWindowTitle(_("Settings — Assistant"))
        self.setAccessibleName(_("Settings"))
        self.settings = dataclasses.replace(settings, hotkeys=dict(settings.hotkeys))
        self.errors = QLabel("")
        self.errors.setAccessibleName(_("Problems"))
        self.errors.setWordWrap(True)

        layout = QVBoxLayout(self)
        hotkeys_box = QGroupBox(_("Hotkeys"))
        hotkeys_form = QFormLayout(hotkeys_box)
        self.hotkey_edits: dict[str, QLineEdit] = {}
        for index, action in enumerate(HOTKEY_ACTIONS):
            name = action.spoken_name
            edit = QLineEdit(settings.hotkeys.get(action.name, ""))
            edit.setAccessibleName(_("Hotkey for {name}").format(name=name))
            edit.setAccessibleDescription(
                _("Keys joined by plus, like ctrl+alt+d. Leave empty for no hotkey.")
            )
            edit.setPlaceholderText(_("none"))
            self._row(hotkeys_form, f"&{index + 1} {name}:", edit)
            self.hotkey_edits[action.name] = edit
        if desktop_keys:
            # On Wayland the desktop binds the keys; what the user chose in its dialog wins over ours.
            bound = "; ".join(
                f"{BY_NAME[name].spoken_name}: {keys or 'none'}"
                for name, keys in desktop_keys.items()
                if name in BY_NAME
            )
            self.desktop_keys = QLabel(
                _("The desktop binds these keys (change them in its settings): {bound}.").format(bound=bound)
            )
            self.desktop_keys.setAccessibleName(_("Keys bound by the desktop"))
            self.desktop_keys.setAccessibleDescription(self.desktop_keys.text())  # read with the name
            self.desktop_keys.setWordWrap(True)
            self.desktop_keys.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
            self.desktop_keys.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            hotkeys_form.addRow(self.desktop_keys)
        layout.addWidget(hotkeys_box)

        speech_box = QGroupBox(_("Speech"))
        speech_form = QFormLayout(speech_box)
        self.speech_enabled = QCheckBox(_("S&peak descriptions and answers"))
        self.speech_enabled.setChecked(settings.speech_enabled)
        self.speech_enabled.setAccessibleName(_("Speak descriptions and answers"))
        speech_form.addRow(self.speech_enabled)
        self.speak_with = QComboBox()
        _name_combo(self.speak_with, _("Speak with"))
        for value in SPEAK_WITH:
            self.speak_with.addItem(_(SPEAK_WITH_LABELS[value]), value)
        self.speak_with.setCurrentIndex(max(0, self.speak_with.findData(settings.speak_with)))
        self._row(speech_form, _("Speak &with:"), self.speak_with)
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
        speech_form.addRow(self.screen_reader)
        LanguageChoice.added_to(speech_form, self)  # it keeps its choice in self.settings
        self.voice = QComboBox()
        _name_combo(self.voice, _("Voice"))
        self.voice.addItem(_(SYSTEM_VOICE), None)
        for ident, name in voice_choices(voices):
            self.voice.addItem(name, ident)
        if settings.voice is not None:
            index = self.voice.findData(settings.voice)
            if index < 0:
                self.voice.addItem(settings.voice, settings.voice)
                index = self.voice.count() - 1
            self.voice.setCurrentIndex(index)
        self._row(speech_form, _("&Voice:"), self.voice)
        self.rate = QSpinBox()
        self.rate.setAccessibleName(_("Speaking rate in words per minute"))
        self.rate.setRange(0, RATE_RANGE[1])  # 0 shows as the system default
        self.rate.setSingleStep(10)
        self.rate.setSpecialValueText(_("System default"))
        self.rate.setSuffix(_(" words per minute"))
        self.rate.setValue(settings.rate or 0)
        name_editor(self.rate)
        self._row(speech_form, _("&Rate:"), self.rate)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setAccessibleName(_("Volume in percent"))
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(5)
        self.volume.setPageStep(10)
        self.volume.setValue(round(settings.volume * 100))
        self._row(speech_form, _("V&olume:"), self.volume)
        self.earcons = QCheckBox(_("Play &cue sounds"))
        self.earcons.setAccessibleName(_("Play cue sounds"))
        self.earcons.setChecked(settings.earcons)
        speech_form.addRow(self.earcons)
        self.announce_ready = QCheckBox(_('Say "Ready" when the &model has loaded'))
        self.announce_ready.setAccessibleName(_("Say Ready when the model has loaded"))
        self.announce_ready.setChecked(settings.announce_ready)
        speech_form.addRow(self.announce_ready)
        layout.addWidget(speech_box)

        model_box = QGroupBox(_("Descriptions"))
        model_form = QFormLayout(model_box)
        self.detail = QComboBox()
        _name_combo(self.detail, _("Detail"))
        for value in DETAILS:
            self.detail.addItem({"brief": _("Brief"), "detailed": _("Detailed")}.get(value, value), value)
        self.detail.setCurrentIndex(max(0, self.detail.findData(settings.detail)))
        self._row(model_form, _("&Detail:"), self.detail)
        self.model = QLineEdit(settings.model)
        self.model.setAccessibleName(_("Model"))
        self.model.setCompleter(QCompleter([known.id for known in KNOWN_MODELS], self.model))
        self._say_model_facts(settings.model)
        self.model.textChanged.connect(self._say_model_facts)
        self._row(model_form, _("Mod&el:"), self.model)
        self.device = device_combo(settings.device)
        self._row(model_form, _("Dev&ice:"), self.device)
        self.precision = precision_combo(settings.precision)
        self._row(model_form, _("Precisio&n:"), self.precision)
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
        self._row(model_form, _("&Free the model when idle:"), self.free_model)
        self.read_text_on_images = QCheckBox(_("Read the &text on pictures"))
        self.read_text_on_images.setAccessibleName(_("Read the text on pictures"))
        self.read_text_on_images.setAccessibleDescription(
            _("After each description, the text on the picture is read aloud, word for word.")
        )
        self.read_text_on_images.setChecked(settings.read_text_on_images)
        model_form.addRow(self.read_text_on_images)
        self.translate_answers = TranslateAnswersBox.added_to(model_form, settings)
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
        self._row(model_form, _("Words of text to read before &stopping (0: all):"), self.text_word_limit)
        layout.addWidget(model_box)
        self.image_budget = ImageBudgetBox(settings)
        layout.addWidget(self.image_budget)
        self.server_box = ModelServerBox(settings)
        layout.addWidget(self.server_box)

        listening_box = QGroupBox(_("Spoken questions"))
        listening_form = QFormLayout(listening_box)
        self.input_device = QComboBox()
        _name_combo(self.input_device, _("Microphone"))
        self.input_device.addItem(_("System default"), None)
        for name in input_devices:
            self.input_device.addItem(name, name)
        if settings.input_device and self.input_device.findData(settings.input_device) < 0:
            self.input_device.addItem(settings.input_device, settings.input_device)
        self.input_device.setCurrentIndex(max(0, self.input_device.findData(settings.input_device)))
        self._row(listening_form, _("Microp&hone:"), self.input_device)
        self.stt_model = QLineEdit(settings.stt_model)
        self.stt_model.setAccessibleName(_("Speech recognition model"))
        self.stt_model.setAccessibleDescription(_("tiny.en, base.en, small, … large-v3, or a local folder."))
        self._row(listening_form, _("Speech reco&gnition model:"), self.stt_model)
        self.language = QLineEdit(settings.language)
        self.language.setAccessibleName(_("Language of spoken questions"))
        self.language.setAccessibleDescription(_("A language code such as en, de or fr; auto to detect."))
        self._row(listening_form, _("&Language:"), self.language)
        self.ask_after_listening = QCheckBox(_("As&k at once when the question has been heard"))
        self.ask_after_listening.setAccessibleName(_("Ask at once when the question has been heard"))
        self.ask_after_listening.setChecked(settings.ask_after_listening)
        listening_form.addRow(self.ask_after_listening)
        layout.addWidget(listening_box)
        layout.addWidget(self._capture_box(settings))

        layout.addWidget(self.errors)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        for button in buttons.buttons():  # Qt's own words, in the app's language from Qt's catalogue
            button.setAccessibleName(button.text().replace("&", ""))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        layout.addWidget(buttons)
        self.buttons = buttons

    def _capture_box(self, settings: Settings) -> QGroupBox:
        """The capture method, and the button that asks the desktop's question from this window."""
        box = QGroupBox(_("Screen capture"))
        form = QFormLayout(box)
        self.capture_backend = QComboBox()
        _name_combo(self.capture_backend, _("Screen capture method"))
        for value in CAPTURE_BACKENDS:
            self.capture_backend.addItem(_(CAPTURE_LABELS[value]), value)
        self.capture_backend.setCurrentIndex(max(0, self.capture_backend.findData(settings.capture_backend)))
        self._row(form, _("Screen c&apture method:"), self.capture_backend)
        why = QLabel(
            _(
                "On Wayland the desktop asks once whether the assistant may capture the screen, and it asks "
                "only the window in front, so set it up from here; the desktop keeps the answer."
            )
        )
        why.setWordWrap(True)
        form.addRow(why)
        self.capture_setup = QPushButton(_("Set &up screen capture"))
        self.capture_setup.setAccessibleName(_("Set up screen capture"))
        self.capture_setup.setAccessibleDescription(why.text())
        self.capture_setup.clicked.connect(self._set_up_capture)
        form.addRow(self.capture_setup)
        self.capture_status = QLabel(_("Set up already.") if settings.capture_set_up else "")
        self.capture_status.setAccessibleName(_("Screen capture set-up"))
        self.capture_status.setWordWrap(True)
        form.addRow(self.capture_status)
        self._capture_done.connect(self._capture_answered)
        return box

    _capture_done = Signal(bool, str)

    def _set_up_capture(self) -> None:
        """Ask on a thread of its own: the desktop's question may wait minutes for the user."""
        from assistant.capture.backends import set_up

        self.capture_setup.setEnabled(False)
        self.capture_status.setText(_("The desktop is asking whether the assistant may capture the screen…"))
        announce(self.capture_status, self.capture_status.text())
        choice = self.capture_backend.currentData()

        def ask() -> None:
            try:
                self._capture_done.emit(True, set_up(choice))
            except UserError as error:
                self._capture_done.emit(False, str(error))

        self._capture_thread = threading.Thread(target=ask, name="capture-setup", daemon=True)
        self._capture_thread.start()

    def _capture_answered(self, allowed: bool, message: str) -> None:
        self._capture_thread.join()
        self.capture_setup.setEnabled(True)
        self.capture_status.setText(message)
        announce(self.capture_status, message)
        if allowed:
            self.settings = dataclasses.replace(self.settings, capture_set_up=True)

    def _say_model_facts(self, text: str) -> None:
        """The known model's size, memory, licence and languages, read with the Model field."""
        facts = choice_description(text.strip())
        self.model.setAccessibleDescription(facts)
        self.model.setToolTip(facts)

    @staticmethod
    def _row(form: QFormLayout, text: str, field: QWidget) -> None:
        label = QLabel(text)
        label.setBuddy(field)
        form.addRow(label, field)

    def collect(self) -> Settings:
        """The settings as the controls show them; raises HotkeyError naming the first bad hotkey."""
        hotkeys = dict(self.settings.hotkeys)
        for action, edit in self.hotkey_edits.items():
            text = edit.text().strip()
            if not text:
                hotkeys[action] = ""
                continue
            try:
                hotkeys[action] = str(parse_hotkey(text))
            except HotkeyError as error:
                edit.setFocus()
                raise HotkeyError(f"{BY_NAME[action].spoken_name}: {error}") from error
        chosen = dataclasses.replace(
            self.settings,
            hotkeys=hotkeys,
            speech_enabled=self.speech_enabled.isChecked(),
            speak_with=self.speak_with.currentData(),
            voice=self.voice.currentData(),
            rate=max(RATE_RANGE[0], self.rate.value()) if self.rate.value() else None,
            volume=self.volume.value() / 100,
            earcons=self.earcons.isChecked(),
            announce_ready=self.announce_ready.isChecked(),
            detail=self.detail.currentData(),
            model=self.model.text().strip() or self.settings.model,
            device=self.device.currentData(),
            precision=self.precision.currentData(),
            free_model_after_minutes=self.free_model.value(),
            read_text_on_images=self.read_text_on_images.isChecked(),
            text_word_limit=self.text_word_limit.value(),
            input_device=self.input_device.currentData(),
            stt_model=self.stt_model.text().strip() or self.settings.stt_model,
            language=self.language.text().strip(),  # empty: the app's language (speech.stt)
            ask_after_listening=self.ask_after_listening.isChecked(),
            capture_backend=self.capture_backend.currentData(),
        )
        return self.server_box.chosen(self.image_budget.chosen(self.translate_answers.chosen(chosen)))

    def apply(self) -> bool:
        try:
            new = self.collect()
        except HotkeyError as error:
            self.errors.setText(str(error))
            self.errors.setAccessibleDescription(str(error))
            announce(self.errors, str(error))
            return False
        new, problem = self.server_box.consent(new)
        if problem:
            self.errors.setText(problem)
            self.errors.setAccessibleDescription(problem)
            announce(self.errors, problem)
            return False
        self.errors.setText("")
        self.settings = new
        self.applied.emit(new)
        from assistant.capture.backends import use_backend

        use_backend(new.capture_backend)  # the next grab already goes the chosen way
        return True

    def accept(self) -> None:
        if self.apply():
            super().accept()
