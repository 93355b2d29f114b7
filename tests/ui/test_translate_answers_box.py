"""Settings' "Translate answers into my language": named, described, reached by Tab, applied."""

from __future__ import annotations

from PySide6.QtCore import Qt

from assistant.config import Settings
from assistant.ui.settings_dialog import SettingsDialog


def test_the_translate_answers_box_is_named_reached_by_keyboard_and_applied(qtbot) -> None:
    dialog = SettingsDialog(Settings(), [("english", "English")])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    box = dialog.descriptions_box.translate_answers
    assert box.accessibleName() == "Translate answers into my language"
    assert "translated on this computer" in box.accessibleDescription()
    assert box.isChecked() and dialog.collect().translate_answers
    # Tab from the box above reaches it, and Space turns it off.
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.descriptions_box.read_text_on_images.setFocus()
    qtbot.waitUntil(dialog.descriptions_box.read_text_on_images.hasFocus)
    qtbot.keyClick(dialog.descriptions_box.read_text_on_images, Qt.Key.Key_Tab)
    qtbot.waitUntil(box.hasFocus)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert not dialog.collect().translate_answers
