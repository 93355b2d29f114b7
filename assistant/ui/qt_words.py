"""Qt's own words that Qt's catalogue for the user's language lacks or gets wrong, from the app's.

Qt 6's file dialog labels its fields "&Look in:" and "Files of &type:", which Qt's Spanish catalogue
(qtbase_es) knows only without their mnemonics, so a Spanish user heard them in English; it also says
"r al directorio superior" for "Go to the parent directory", and "fichero" (Spain's word) where the app
says "archivo": the file name's field, the question before replacing a file, a file not found. `QtWords`,
installed after Qt's catalogue (so asked first), answers those from the app's catalogue, with Qt's
context as the message context, and leaves every other word, and any of these the app's catalogue does
not translate, to Qt's.

These words reach Qt's own file dialog only: the one shown where the desktop offers none (Xvfb, openbox,
a bare window manager). A desktop's own dialog (GTK's, KDE's, the portal's) speaks the desktop's
language with its own words; `QFileDialog.setLabelText` would reach it too, where GTK shows the & of an
Alt key as it is, which is why the words are given here and not there.
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
        # Translators: Qt's file dialog: the file name's field (Spanish: "archivo", as the app says).
        ("QFileDialog", "File &name:"): pgettext("QFileDialog", "File &name:"),
        # Translators: Qt's file dialog, saving over a file; keep %1 (the file) and the line break.
        ("QFileDialog", "%1 already exists.\nDo you want to replace it?"): pgettext(
            "QFileDialog", "%1 already exists.\nDo you want to replace it?"
        ),
        # Translators: Qt's file dialog, a typed name that is not there; keep %1 and the line breaks.
        ("QFileDialog", "%1\nFile not found.\nPlease verify the correct file name was given."): pgettext(
            "QFileDialog", "%1\nFile not found.\nPlease verify the correct file name was given."
        ),
        # Translators: Qt's file dialog: an item of its list's context menu.
        ("QFileDialog", "Show &hidden files"): pgettext("QFileDialog", "Show &hidden files"),
        # Translators: Qt's file dialog: a new name given to a file that cannot be one.
        ("QFileSystemModel", "Invalid filename"): pgettext("QFileSystemModel", "Invalid filename"),
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
