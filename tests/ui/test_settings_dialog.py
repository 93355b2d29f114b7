"""The Settings window: every control labelled and named; changes come back as Settings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFormLayout, QLabel

from assistant import i18n
from assistant.config import Settings
from assistant.speech.voices import Voice, from_pyttsx3
from assistant.ui.settings_dialog import SettingsDialog
from assistant.ui.speech_box import SYSTEM_VOICE, voice_choices

VOICES = [("english", "English"), ("german", "German")]


@pytest.fixture
def dialog(qtbot):
    widget = SettingsDialog(Settings(), VOICES)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_every_control_is_named_and_labelled(dialog, unnamed_focusable):
    assert unnamed_focusable(dialog) == []
    for form in dialog.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if label is not None:
                assert isinstance(label.widget(), QLabel)
                assert label.widget().buddy() is not None, label.widget().text()
                assert "&" in label.widget().text()


def test_shows_the_current_settings(dialog):
    assert dialog.hotkeys_box.hotkey_edits["describe-screen"].text() == "ctrl+alt+d"
    assert dialog.speech_box.voice.currentText() == SYSTEM_VOICE
    assert [dialog.speech_box.voice.itemText(i) for i in range(dialog.speech_box.voice.count())] == [
        SYSTEM_VOICE,
        "English",
        "German",
    ]
    assert dialog.speech_box.volume.value() == 100
    assert dialog.descriptions_box.detail.currentData() == "brief"


def test_apply_emits_the_changed_settings(qtbot, dialog):
    dialog.hotkeys_box.hotkey_edits["describe-screen"].setText("Ctrl+Shift+F9")
    dialog.hotkeys_box.hotkey_edits["listen"].setText("")
    dialog.speech_box.voice.setCurrentIndex(2)
    dialog.speech_box.rate.setValue(180)
    dialog.speech_box.volume.setValue(40)
    dialog.speech_box.earcons.setChecked(False)
    dialog.descriptions_box.detail.setCurrentIndex(dialog.descriptions_box.detail.findData("detailed"))
    dialog.descriptions_box.device.setCurrentIndex(dialog.descriptions_box.device.findData("cpu"))
    with qtbot.waitSignal(dialog.applied) as blocker:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Apply).click()
    new = blocker.args[0]
    assert new.hotkeys["describe-screen"] == "ctrl+shift+f9"
    assert new.hotkeys["listen"] == ""
    assert new.hotkeys["stop"] == "ctrl+alt+s"
    assert (new.voice, new.rate, new.volume, new.earcons) == ("german", 180, 0.4, False)
    assert (new.detail, new.device) == ("detailed", "cpu")
    assert dialog.isVisible()


def test_a_bad_hotkey_is_explained_and_nothing_is_applied(qtbot, dialog):
    applied = []
    dialog.applied.connect(applied.append)
    dialog.hotkeys_box.hotkey_edits["stop"].setText("ctrl+banana")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert applied == []
    assert dialog.isVisible()
    assert dialog.errors.text().startswith("Stop speaking:")
    assert "banana" in dialog.errors.text()


def test_ok_applies_and_closes(qtbot, dialog):
    with qtbot.waitSignal(dialog.applied):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible()


def test_voice_lists_in_any_shape_become_choices():
    class Voice:
        def __init__(self, id, name):
            self.id, self.name = id, name

    assert voice_choices([Voice("v1", "One"), ("v2", "Two"), "v3"]) == [
        ("v1", "One"),
        ("v2", "Two"),
        ("v3", "v3"),
    ]


def test_an_unknown_saved_voice_is_kept(qtbot):
    dialog = SettingsDialog(Settings(voice="robot"), VOICES)
    qtbot.addWidget(dialog)
    assert dialog.speech_box.voice.currentData() == "robot"
    assert dialog.collect().voice == "robot"


def test_mnemonics_are_unique(dialog):
    from PySide6.QtWidgets import QAbstractButton

    texts = [label.text() for label in dialog.findChildren(QLabel) if label.buddy() is not None]
    texts += [button.text() for button in dialog.findChildren(QAbstractButton) if "&" in button.text()]
    letters = [text[text.index("&") + 1].lower() for text in texts if "&" in text]
    assert len(letters) == len(set(letters)), sorted(letters)


def test_ok_apply_and_cancel_have_alt_keys(qtbot, dialog):
    """Qt's own OK, Apply and Cancel had none: Enter and Escape reached OK and Cancel, nothing reached Apply."""
    from PySide6.QtTest import QTest

    standard = QDialogButtonBox.StandardButton
    buttons = [dialog.buttons.button(which) for which in (standard.Ok, standard.Apply, standard.Cancel)]
    assert [button.text() for button in buttons] == ["&OK", "&Apply", "&Cancel"]
    assert [button.accessibleName() for button in buttons] == ["OK", "Apply", "Cancel"]
    assert [button.shortcut().toString() for button in buttons] == ["Alt+O", "Alt+A", "Alt+C"]
    applied: list[Settings] = []
    dialog.applied.connect(applied.append)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    QTest.keyClick(dialog, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(applied) == 1)
    assert dialog.isVisible()  # applied, not closed


def test_spoken_question_settings(qtbot):
    dialog = SettingsDialog(Settings(), VOICES, ["USB headset", "Built-in microphone"])
    qtbot.addWidget(dialog)
    dialog.questions_box.input_device.setCurrentIndex(
        dialog.questions_box.input_device.findData("USB headset")
    )
    dialog.questions_box.stt_model.setText("base.en")
    dialog.questions_box.language.setText("de")
    dialog.questions_box.ask_after_listening.setChecked(False)
    new = dialog.collect()
    assert (new.input_device, new.stt_model, new.language, new.ask_after_listening) == (
        "USB headset",
        "base.en",
        "de",
        False,
    )
    # Emptied, the questions are in the app's language again (the saved "de" was kept before).
    german = SettingsDialog(Settings(language="de"), VOICES)
    qtbot.addWidget(german)
    german.questions_box.language.setText("")
    assert german.collect().language == ""


def test_speak_with_is_reached_by_keyboard_named_and_applied(qtbot):
    reader = "Orca through speech-dispatcher (unix_socket:/run/user/1000/speech-dispatcher/speechd.sock)"
    dialog = SettingsDialog(Settings(), VOICES, screen_reader=reader)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.speech_box.speak_with.accessibleName() == "Speak with"
    assert [
        dialog.speech_box.speak_with.itemText(i) for i in range(dialog.speech_box.speak_with.count())
    ] == [
        "My screen reader when one is running",
        "The app's own voice",
        "Both",
    ]
    assert dialog.speech_box.speak_with.currentData() == "screen-reader"
    assert dialog.speech_box.screen_reader.accessibleName() == f"Screen reader: {reader}."
    # Tab reaches it right after the switch for speech, and the arrow keys choose.
    dialog.activateWindow()
    dialog.speech_box.speech_enabled.setFocus()
    qtbot.keyClick(dialog.speech_box.speech_enabled, Qt.Key.Key_Tab)
    qtbot.waitUntil(dialog.speech_box.speak_with.hasFocus)
    labels = [
        label.text() for label in dialog.findChildren(QLabel) if label.buddy() is dialog.speech_box.speak_with
    ]
    assert labels == ["Speak &with:"]  # and Alt+W reaches it
    qtbot.keyClick(dialog.speech_box.speak_with, Qt.Key.Key_Down)
    assert dialog.speech_box.speak_with.currentData() == "own-voice"
    qtbot.keyClick(dialog.speech_box.speak_with, Qt.Key.Key_Tab)
    assert dialog.speech_box.screen_reader.hasFocus()  # the line naming the screen reader is read on the way
    with qtbot.waitSignal(dialog.applied) as blocker:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Apply).click()
    assert blocker.args[0].speak_with == "own-voice"


def test_without_a_screen_reader_settings_say_so(qtbot):
    dialog = SettingsDialog(Settings(speak_with="both"), VOICES)
    qtbot.addWidget(dialog)
    assert dialog.speech_box.speak_with.currentData() == "both"
    assert (
        dialog.speech_box.screen_reader.text()
        == "Screen reader: none reached; the app speaks with its own voice."
    )


def test_the_model_field_says_the_known_models_facts(dialog):
    model = dialog.descriptions_box.model
    assert model.accessibleDescription().startswith("Salesforce/blip2-opt-2.7b: BLIP-2, 3.7 billion")
    model.setEditText("qwen3.5-0.8b")
    facts = model.accessibleDescription()
    assert facts.startswith("Qwen/Qwen3.5-0.8B: Qwen3.5,") and "Apache-2.0 licence, many languages" in facts
    assert "memory int8 0.8 GB" in facts and model.toolTip() == facts
    model.setEditText("/my/own/model")
    assert model.accessibleDescription().startswith("A Hugging Face model name, a short name")
    assert dialog.descriptions_box.chosen(Settings()).model == "/my/own/model"  # a folder is kept as typed


def test_the_known_models_are_picked_with_the_arrow_keys_and_their_facts_said(qtbot, dialog, monkeypatch):
    from assistant.engine.catalogue import KNOWN_MODELS
    from assistant.ui import descriptions_box

    said: list[str] = []
    monkeypatch.setattr(descriptions_box, "announce", lambda widget, text: said.append(text))
    model = dialog.descriptions_box.model
    assert [model.itemText(i) for i in range(model.count())] == [known.id for known in KNOWN_MODELS]
    model.setFocus()
    qtbot.waitUntil(model.hasFocus)
    for known in KNOWN_MODELS[1:]:
        qtbot.keyClick(model, Qt.Key.Key_Down)
        assert model.currentText() == known.id
        assert said[-1] == model.accessibleDescription() and known.facts() in said[-1]
    assert len(said) == len(KNOWN_MODELS) - 1  # once for each model reached, not at the window's opening
    assert dialog.descriptions_box.chosen(Settings()).model == KNOWN_MODELS[-1].id


def test_typing_part_of_a_models_name_offers_the_known_models_that_hold_it(qtbot, dialog):
    model = dialog.descriptions_box.model
    model.setFocus()
    qtbot.waitUntil(model.hasFocus)
    model.lineEdit().selectAll()
    qtbot.keyClicks(model.lineEdit(), "smolvlm2")  # any case, any part of the name
    completer = model.completer()
    offered = [completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())]
    assert offered == [
        "HuggingFaceTB/SmolVLM2-256M-Video-Instruct",
        "HuggingFaceTB/SmolVLM2-500M-Video-Instruct",
        "HuggingFaceTB/SmolVLM2-2.2B-Instruct",
    ]
    popup = completer.popup()
    qtbot.waitUntil(popup.isVisible)  # a list to arrow through, not a guess written into the field
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert model.currentText() == "HuggingFaceTB/SmolVLM2-500M-Video-Instruct" and dialog.isVisible()
    assert "SmolVLM2, 0.51 billion parameters" in model.accessibleDescription()


def test_the_image_token_budget_is_named_reached_by_keyboard_and_applied(qtbot):
    dialog = SettingsDialog(Settings(image_tokens=256), VOICES)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    tokens = dialog.image_budget.tokens
    assert tokens.accessibleName() == "Image tokens a picture may become, 0 for the model's default"
    description = tokens.accessibleDescription()
    assert "read smaller text" in description and "answer sooner" in description
    assert "loads the model again" in description
    assert tokens.value() == 256
    labels = [label.text() for label in dialog.findChildren(QLabel) if label.buddy() is tokens]
    assert labels == ["Ma&ximum image tokens per picture (0: the model's default):"]
    # Alt+X reaches it, the arrow keys step it, and 0 reads as the model's default.
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.descriptions_box.detail.setFocus()
    qtbot.keyClick(dialog.descriptions_box.detail, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(tokens.hasFocus)
    qtbot.keyClick(tokens, Qt.Key.Key_Up)
    assert tokens.value() == 320
    assert dialog.collect().image_tokens == 320
    qtbot.keyClick(tokens, Qt.Key.Key_PageDown)
    assert tokens.value() == 0 and tokens.text() == "The model's default"
    with qtbot.waitSignal(dialog.applied) as blocker:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Apply).click()
    assert blocker.args[0].image_tokens == 0


@pytest.fixture(params=["es", "en"])
def app_language(request):
    i18n.setup(override=request.param)
    yield request.param
    i18n.setup(override="en")


SAPI5_HELENA = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Speech\\Voices\\Tokens\\TTS_MS_ES-ES_HELENA_11.0"
SPOKEN_VOICES = [
    Voice("roa/es", "Spanish (Spain)", ["es"], named_for_language=True),  # espeak-ng's, as parsed
    Voice("roa/es-419", "Spanish (Latin America)", ["es-419", "es-mx", "es"], named_for_language=True),
    Voice(SAPI5_HELENA, "Microsoft Helena Desktop - Spanish (Spain)", ["es-ES"]),  # a product's name
    Voice("com.apple.voice.compact.es-ES.Monica", "Mónica", ["es_ES"]),
    # espeak-ng's two English accents of Britain: the same language, told apart by their voice files
    Voice("gmw/en-GB-x-rp", "English (Received Pronunciation)", ["en-gb-x-rp", "en-gb", "en"], True),
    Voice("gmw/en-GB-x-gbclan", "English (Lancaster)", ["en-gb-x-gbclan", "en-gb", "en"], True),
    Voice("art/qya", "Quenya", ["qya"], named_for_language=True),  # a language CLDR does not name
]
SPOKEN_LABELS = {
    "es": [
        "Predeterminado del sistema",
        "español (España)",  # espeak-ng's "es" voice, whose English name says Spain
        "español (Latinoamérica)",
        "Microsoft Helena Desktop — español (España)",
        "Mónica — español (España)",
        "inglés (Reino Unido) — gmw/en-GB-x-rp",
        "inglés (Reino Unido) — gmw/en-GB-x-gbclan",
        "Quenya",
    ],
    "en": [
        "System default",
        "Spanish (Spain)",
        "Spanish (Latin America)",
        "Microsoft Helena Desktop — Spanish (Spain)",
        "Mónica — Spanish (Spain)",
        "English (United Kingdom) — gmw/en-GB-x-rp",
        "English (United Kingdom) — gmw/en-GB-x-gbclan",
        "Quenya",
    ],
}


def test_voices_are_named_by_their_language_in_the_apps_language(qtbot, app_language):
    """espeak-ng's English voice names become the language's name in the app's language (Babel's CLDR);
    a voice's own name (SAPI5's, macOS's) is kept before it; the setting keeps the voice's id."""
    dialog = SettingsDialog(Settings(), SPOKEN_VOICES)
    qtbot.addWidget(dialog)
    shown = [dialog.speech_box.voice.itemText(index) for index in range(dialog.speech_box.voice.count())]
    assert shown == SPOKEN_LABELS[app_language]
    dialog.speech_box.voice.setCurrentIndex(3)
    assert dialog.collect().voice == SAPI5_HELENA


def test_pyttsx3s_espeak_voices_are_named_by_their_language_too(app_language):
    """pyttsx3's espeak driver names its voices as espeak-ng does; its ids are espeak-ng's voice files."""

    class Pyttsx3Voice:
        id, name, languages = "roa/es-419", "Spanish (Latin America)", [b"\x02es-419"]

    label = from_pyttsx3(Pyttsx3Voice()).label()
    assert label == {"es": "español (Latinoamérica)", "en": "Spanish (Latin America)"}[app_language]


DEVICE_LABELS = {
    "es": ["Automático", "Procesador", "Tarjeta gráfica (CUDA)"],
    "en": ["Automatic", "Processor", "Graphics card (CUDA)"],
}
PRECISION_LABELS = {
    "es": ["Automática", "32 bits (completa)", "16 bits (bfloat16)", "16 bits (float16)", "8 bits", "4 bits"],
    "en": ["Automatic", "32 bits (full)", "16 bits (bfloat16)", "16 bits (float16)", "8 bits", "4 bits"],
}


def test_device_and_precision_are_chosen_in_words_and_stored_as_values(qtbot, app_language):
    dialog = SettingsDialog(Settings(device="cpu", precision="fp16"), VOICES)
    qtbot.addWidget(dialog)
    for combo, labels in (
        (dialog.descriptions_box.device, DEVICE_LABELS),
        (dialog.descriptions_box.precision, PRECISION_LABELS),
    ):
        assert [combo.itemText(index) for index in range(combo.count())] == labels[app_language]
    assert dialog.descriptions_box.device.currentText() == DEVICE_LABELS[app_language][1]
    assert dialog.descriptions_box.precision.currentText() == PRECISION_LABELS[app_language][3]
    assert (
        dialog.descriptions_box.device.accessibleName() == {"es": "Dispositivo", "en": "Device"}[app_language]
    )
    dialog.descriptions_box.device.setCurrentIndex(2)
    dialog.descriptions_box.precision.setCurrentIndex(4)
    chosen = dialog.collect()
    assert (chosen.device, chosen.precision) == ("cuda", "int8")


def test_a_device_set_by_hand_in_the_file_is_kept(qtbot):
    dialog = SettingsDialog(Settings(device="mps"), VOICES)
    qtbot.addWidget(dialog)
    assert dialog.descriptions_box.device.currentText() == "mps" and dialog.collect().device == "mps"


@pytest.mark.parametrize(
    ("saved", "shown", "after_down"),
    [
        ("/my/own/model", "/my/own/model", "Salesforce/blip2-opt-2.7b"),
        ("qwen3.5-0.8b", "Qwen/Qwen3.5-0.8B", "Qwen/Qwen3.5-2B"),
    ],
)
def test_the_arrow_keys_start_from_the_saved_model(qtbot, saved, shown, after_down):
    dialog = SettingsDialog(Settings(model=saved), VOICES)
    qtbot.addWidget(dialog)
    model = dialog.descriptions_box.model
    assert model.currentText() == shown
    qtbot.keyClick(model, Qt.Key.Key_Down)
    assert model.currentText() == after_down  # the first known model, or the one after the saved one


def test_the_window_fits_the_screen_and_follows_the_focus(qtbot, dialog):
    """Its groups are taller than a 1080-pixel screen (1,342 pixels in the Spanish walk-through, OK and
    Cancel below the screen's edge): they scroll, the buttons stay in sight, and the field the focus moves
    to, by Tab or by an Alt key, is scrolled into sight."""
    from PySide6.QtCore import QPoint, QRect

    screen = dialog.screen().availableGeometry()
    assert dialog.frameGeometry().height() <= screen.height()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.rect().contains(QRect(ok.mapTo(dialog, QPoint(0, 0)), ok.size()))
    viewport = dialog.groups.viewport()
    last = dialog.capture_box.capture_setup
    last.setFocus(Qt.FocusReason.ShortcutFocusReason)  # as its Alt key moves it there
    qtbot.waitUntil(last.hasFocus)
    assert viewport.rect().contains(QRect(last.mapTo(viewport, QPoint(0, 0)), last.size()))
    first = dialog.hotkeys_box.hotkey_edits["describe-screen"]
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    assert viewport.rect().contains(QRect(first.mapTo(viewport, QPoint(0, 0)), first.size()))


@pytest.mark.parametrize("speaking", [True, False])
def test_what_settings_says_is_said_by_the_app_or_announced_never_both(qtbot, monkeypatch, speaking):
    """A bad hotkey, and how setting up screen capture went, were only announced to screen readers: with
    the app's own voice nothing was heard, and a problem had no error cue. Now the app says them, a problem
    with the cue, as every state change; where the app is silent they are announced."""
    from types import SimpleNamespace

    from assistant.ui import settings_dialog
    from assistant.ui.settings_flow import SettingsFlow

    announced: list[str] = []
    monkeypatch.setattr(settings_dialog, "announce", lambda _widget, text: announced.append(text))
    failed: list[str] = []
    told: list[str] = []
    cues: list[str] = []
    app = SimpleNamespace(
        settings=Settings(),
        speaker=None,
        hotkeys=None,
        speaking=speaking,
        fail=failed.append,
        tell=told.append,
        earcons=SimpleNamespace(play=cues.append),
    )
    flow = SettingsFlow(app)  # type: ignore[arg-type]
    flow.open()
    dialog = flow.dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.hotkeys_box.hotkey_edits["stop"].setText("ctrl+banana")
    assert not dialog.apply()
    problem = dialog.errors.text()
    assert problem.startswith("Stop speaking:")
    done = "The screen can be captured with mss (X11, Windows, macOS); the desktop asks nothing."
    dialog.capture_box._question.answered.emit(True, done)  # as the asking thread's answer arrives
    if speaking:
        assert (failed, told, announced, cues) == ([problem], [done], [], [])
    else:
        assert (failed, told, announced, cues) == ([], [], [problem, done], ["error"])
    dialog.reject()


def test_a_closed_settings_window_is_gone_not_hidden(qtbot):
    """Each Settings window closed stayed alive, hidden: opened three times, a screen reader's tree held
    three "Settings" dialogs. Closed, it is deleted."""
    from types import SimpleNamespace

    import shiboken6

    from assistant.ui.settings_flow import SettingsFlow

    app = SimpleNamespace(settings=Settings(), speaker=None, hotkeys=None, speaking=False)
    flow = SettingsFlow(app)  # type: ignore[arg-type]
    for _ in range(2):
        flow.open()
        dialog = flow.dialog
        assert dialog is not None
        dialog.reject()
        qtbot.waitUntil(lambda dialog=dialog: not shiboken6.isValid(dialog))
