"""Qt's own words that Qt's catalogue for the user's language lacks or gets wrong, from the app's.

Qt 6's file dialog labels its fields "&Look in:" and "Files of &type:", which Qt's Spanish catalogue
(qtbase_es) knows only without their mnemonics, so a Spanish user heard them in English; it also says
"r al directorio superior" for "Go to the parent directory". `QtWords`, installed after Qt's catalogue
(so asked first), answers those from the app's catalogue, with Qt's context as the message context, and
leaves every other word, and any of these the app's catalogue does not translate, to Qt's.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTranslator

from assistant.i18n import pgettext


def qt_words() -> dict[tuple[str, str], str]:
    """(Qt's context, Qt's English) -> the app catalogue's translation, where it has one."""
    words = {
        # Translators: Qt's file dialog (choosing an image to describe, saving one): the folder field.
        ("QFileDialog", "&Look in:"): pgettext("QFileDialog", "&Look in:"),
        # Translators: Qt's file dialog: the field that chooses which kinds of files are listed.
        ("QFileDialog", "Files of &type:"): pgettext("QFileDialog", "Files of &type:"),
        # Translators: Qt's file dialog: the description of its Parent Directory button.
        ("QFileDialog", "Go to the parent directory"): pgettext("QFileDialog", "Go to the parent directory"),
    }
    return {key: text for key, text in words.items() if text != key[1]}


class QtWords(QTranslator):
    """Answers Qt's words listed in `qt_words`; None (ask the next catalogue) for every other."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._words = qt_words()

    def translate(
        self, context: str, source_text: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        # None, not "": Qt asks the next catalogue only where the answer is a null string.
        return self._words.get((context, source_text))

    def isEmpty(self) -> bool:
        return not self._words
