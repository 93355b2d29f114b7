"""The dialog, Settings and the window without a tray, built under Spanish: every label, button and
accessible name is Spanish, and each window's mnemonics (Alt and a letter) are all different."""

from __future__ import annotations

import os
import re

import i18n_catalogue as catalogue
import pytest

from assistant.config import Settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _shown_texts(window):
    """Every text a user sees or hears in `window`: labels, buttons, group titles, accessible names."""
    from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QWidget

    texts = [window.windowTitle()]
    for widget in window.findChildren(QWidget):
        texts.append(widget.accessibleName())
        texts.append(widget.accessibleDescription())
        if isinstance(widget, (QLabel, QAbstractButton)):
            texts.append(widget.text())
        if isinstance(widget, QGroupBox):
            texts.append(widget.title())
    return [text for text in texts if text]


def _mnemonics(window):
    from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

    letters = []
    for widget in window.findChildren(QWidget):
        if isinstance(widget, (QLabel, QAbstractButton)) and widget.isVisibleTo(window):
            found = re.search(r"&([^&\s])", widget.text().replace("&&", ""))
            if found:
                letters.append((found.group(1).lower(), widget.text()))
    return letters


def _english_left(texts):
    """The texts that are still English: a message of the catalogue whose Spanish differs from it."""
    spanish = catalogue.read(catalogue.LOCALE / "es" / "LC_MESSAGES" / "assistant.po", "es")
    english = {m.id for m in spanish if isinstance(m.id, str) and m.id and m.string and m.string != m.id}
    return [text for text in texts if text in english]


def _check(window):
    assert not _english_left(_shown_texts(window))
    letters = _mnemonics(window)
    assert letters
    seen: dict[str, str] = {}
    for letter, text in letters:
        assert letter not in seen, f"{text!r} and {seen[letter]!r} share the mnemonic {letter!r}"
        seen[letter] = text


def test_the_conversation_dialog_is_spanish_with_unique_mnemonics(qtbot, spanish):
    from assistant.ui.dialog import ConversationDialog

    dialog = ConversationDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "Preguntar sobre la imagen — Asistente"
    _check(dialog)
    dialog.set_listening(True)
    assert dialog.talk_button.accessibleName() == "Dejar de escuchar"
    _check(dialog)


def test_settings_are_spanish_with_unique_mnemonics(qtbot, spanish):
    from assistant.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(), [("spanish", "Spanish")])
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "Configuración — Asistente"
    assert dialog.speech_box.voice.itemText(0) == "Predeterminado del sistema"
    # Qt's own OK, Apply and Cancel had no Alt keys (only Enter and Escape): the app's, each its own.
    buttons = [button.text() for button in dialog.buttons.buttons()]
    assert sorted(buttons) == ["&Aceptar", "&Cancelar", "A&plicar"]
    assert sorted(button.accessibleName() for button in dialog.buttons.buttons()) == [
        "Aceptar",
        "Aplicar",
        "Cancelar",
    ]
    _check(dialog)


def test_the_window_without_a_tray_is_spanish(qtbot, spanish):
    from assistant.ui.views import MainWindow

    window = MainWindow(lambda name: None, {})
    qtbot.addWidget(window)
    window.show()
    labels = [button.text() for button in window.buttons.values()]
    assert "Describir &pantalla" in labels
    _check(window)


def test_settings_choose_the_language_and_keep_it_through_apply(qtbot):
    from assistant.ui.language_choice import LanguageChoice
    from assistant.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(), [("spanish", "Spanish")])
    qtbot.addWidget(dialog)
    choice = dialog.findChild(LanguageChoice)
    assert choice.currentData() == ""  # the desktop's, by default
    assert [choice.itemData(index) for index in range(choice.count())] == ["", "en", "es"]
    assert choice.itemText(2) == "Español"  # named in itself
    choice.setCurrentIndex(choice.findData("es"))
    assert dialog.collect().interface_language == "es"
    assert dialog.apply()
    choice.setCurrentIndex(0)  # after Apply, the dialog holds a new copy of the settings
    assert dialog.collect().interface_language == ""


def test_the_conversations_lines_are_spanish(qtbot, spanish):
    """The lines the conversation list shows (and a screen reader says as they are added) name what each
    is in Spanish: they were "Description: …" and "Answer: …"."""
    from PIL import Image

    from assistant.ui.dialog import ConversationDialog

    dialog = ConversationDialog()
    qtbot.addWidget(dialog)
    dialog.set_image(Image.new("RGB", (8, 8)), "Un gato en un sofá.")
    dialog.question.setText("¿De qué color es?")
    dialog.submit()
    dialog.add_answer("Gris.")
    lines = [dialog.conversation.item(row).text() for row in range(dialog.conversation.count())]
    assert lines == ["Descripción: Un gato en un sofá.", "Preguntaste: ¿De qué color es?", "Respuesta: Gris."]


@pytest.fixture
def spanish_qt(qapp, spanish):
    """Spanish for the app and for Qt's own words, as `use_language` sets them when the app starts; the
    translators are taken off after the test."""
    from PySide6.QtCore import QTranslator

    from assistant.ui.app import use_language

    before = set(qapp.findChildren(QTranslator))
    assert use_language(qapp, Settings(interface_language="es")) == "es"
    yield
    for translator in set(qapp.findChildren(QTranslator)) - before:
        qapp.removeTranslator(translator)
        translator.deleteLater()


@pytest.mark.parametrize("saving", [False, True])
def test_qts_file_dialog_is_spanish_with_unique_mnemonics(qtbot, spanish_qt, saving):
    """Qt's own file dialog (where the desktop offers none): Qt's Spanish catalogue lacks its fields' labels
    as Qt 6 writes them ("&Look in:", "Files of &type:"), which the app's catalogue gives."""
    from PySide6.QtWidgets import QFileDialog

    dialog = QFileDialog(None, "Describir un archivo de imagen")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if saving else QFileDialog.AcceptMode.AcceptOpen)
    qtbot.addWidget(dialog)
    dialog.show()
    texts = _shown_texts(dialog)
    assert "&Buscar en:" in texts and "&Tipo de archivos:" in texts, texts
    # Qt's Spanish says "fichero" (Spain's word); the app says "archivo".
    assert "&Nombre de archivo:" in texts, texts
    assert not [text for text in texts if "fichero" in text.lower()]
    english = {
        "look",
        "files",
        "type",
        "file",
        "name",
        "open",
        "save",
        "cancel",
        "directory",
        "parent",
        "back",
    }
    left = [text for text in texts if english & set(re.findall(r"[a-z]+", text.replace("&", "").lower()))]
    assert not left, left
    _check(dialog)


def test_qts_file_dialog_says_archivo_as_the_app_does(qapp, spanish_qt):
    """What Qt's file dialog says beyond its fields: before replacing a file, a name not found, its list's
    menu, a name that cannot be given. Qt's Spanish catalogue says "fichero" in each."""
    from PySide6.QtCore import QCoreApplication

    from assistant.ui.qt_words import qt_words

    words = {
        ("QFileDialog", "File &name:"): "&Nombre de archivo:",
        ("QFileDialog", "%1 already exists.\nDo you want to replace it?"): (
            "El archivo %1 ya existe.\n¿Quieres reemplazarlo?"
        ),
        ("QFileDialog", "%1\nFile not found.\nPlease verify the correct file name was given."): (
            "%1\nNo se encontró el archivo.\nComprueba que el nombre del archivo sea correcto."
        ),
        ("QFileDialog", "Show &hidden files"): "Mostrar los arc&hivos ocultos",
        ("QFileSystemModel", "Invalid filename"): "Nombre de archivo no válido",
    }
    for (context, english), spanish in words.items():
        assert QCoreApplication.translate(context, english) == spanish
    assert not [text for text in qt_words().values() if "fichero" in text.lower()]


def test_the_tray_icons_tooltip_is_spanish(qtbot, spanish):
    from assistant.ui.views import TrayView

    tray = TrayView(lambda name: None, {})
    tray.set_status("Listo.")
    assert tray.icon.toolTip() == "Asistente: Listo."


def test_keys_the_desktop_left_unbound_are_named_in_spanish(qtbot, spanish):
    """On Wayland, Settings lists the keys the desktop bound; one it left unbound read "none" in English."""
    from assistant.ui.hotkeys_box import HotkeysBox

    box = HotkeysBox(Settings(), {"describe-screen": "Super+D", "stop": ""})
    qtbot.addWidget(box)
    assert box.desktop_keys.text() == (
        "El escritorio asigna estas teclas (cámbialas en su configuración): Describir pantalla: Super+D; "
        "Dejar de hablar: ninguno."
    )


def test_saving_the_picture_offers_and_explains_in_spanish(qtbot, spanish, tmp_path, monkeypatch):
    """The name offered was "image.png", and a failure ended in the system's English ("No such file or
    directory"): both are Spanish now."""
    from PIL import Image
    from PySide6.QtWidgets import QFileDialog

    from assistant.ui.dialog import ConversationDialog

    dialog = ConversationDialog()
    qtbot.addWidget(dialog)
    dialog.set_image(Image.new("RGB", (8, 8)), "Un gato.")
    offered: list[str] = []

    def choose(_parent, _title, path, _filter):
        offered.append(path)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    dialog.save_image()
    assert offered[0].endswith("/imagen.png")
    said: list[str] = []
    dialog.message.connect(said.append)
    missing = tmp_path / "no-such-folder" / "foto.png"
    assert not dialog.save_image_to(missing)
    assert said == [f"No se pudo guardar la imagen en {missing}: su carpeta no existe. Elige otro lugar."]
    assert not dialog.save_image_to(tmp_path / "foto.xyz")
    assert said[-1].endswith(": su nombre no termina en .png ni en .jpg. Elige otro lugar.")
