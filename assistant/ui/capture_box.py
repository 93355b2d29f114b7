"""Settings' "Screen capture" group: the capture method, and the button that asks the desktop's question
(Wayland: may the assistant capture the screen) from this window (assistant.ui.capture_question)."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QWidget

from assistant.config import CAPTURE_BACKENDS, Settings
from assistant.i18n import N_, _
from assistant.ui.capture_question import CaptureQuestion
from assistant.ui.settings_group import SettingsGroup, SettingsHolder

log = logging.getLogger(__name__)

CAPTURE_LABELS = {
    "auto": N_("Automatic: the best this desktop offers"),
    "mss": N_("Direct (X11, Windows, macOS)"),
    "grim": N_("grim (sway, Hyprland)"),
    "portal": N_("The desktop's screenshot portal (Wayland)"),
    "screencast": N_("The desktop's screen sharing, asked once (Wayland)"),
}


class CaptureBox(SettingsGroup):
    answered = Signal(bool, str)  # whether capture is allowed, the sentence the window says
    _checked = Signal(str, str)  # a method chosen, why it cannot run here ("" where it can): from a thread

    def __init__(self, owner: SettingsHolder, parent: QWidget | None = None) -> None:
        """`owner`: the window whose settings keep that the desktop allowed capture."""
        super().__init__(_("Screen capture"), parent)
        self._owner = owner
        settings = owner.settings
        self.capture_backend = QComboBox()
        self._name_combo(self.capture_backend, _("Screen capture method"))
        for value in CAPTURE_BACKENDS:
            self.capture_backend.addItem(_(CAPTURE_LABELS[value]), value)
        self.capture_backend.setCurrentIndex(max(0, self.capture_backend.findData(settings.capture_backend)))
        self._row(_("Screen ca&pture method:"), self.capture_backend)
        why = QLabel(
            _(
                "On Wayland the desktop asks once whether the assistant may capture the screen, and it asks "
                "only the window in front, so set it up from here; the desktop keeps the answer."
            )
        )
        why.setWordWrap(True)
        self.form.addRow(why)
        self.capture_setup = QPushButton(_("Set &up screen capture"))
        self.capture_setup.setAccessibleName(_("Set up screen capture"))
        self.capture_setup.setAccessibleDescription(why.text())
        self.form.addRow(self.capture_setup)
        self.capture_status = QLabel(_("Set up already.") if settings.capture_set_up else "")
        self.capture_status.setAccessibleName(_("Screen capture set-up"))
        self.capture_status.setWordWrap(True)
        self.form.addRow(self.capture_status)
        self._question = CaptureQuestion(self.capture_setup, self.capture_status)
        self._question.answered.connect(self._capture_answered)
        self.capture_setup.clicked.connect(lambda: self._question.ask(self.capture_backend.currentData()))
        self._checked.connect(self._choice_checked)
        self.capture_backend.currentIndexChanged.connect(self._check_choice)

    def _check_choice(self, _index: int) -> None:
        """Whether the method just chosen can run on this desktop, found on a thread (its check may start
        gst-inspect-1.0 and ask D-Bus); one that cannot was replaced in silence at every grab."""
        from assistant.capture.backends import choose_backend

        choice = str(self.capture_backend.currentData())
        if choice == "auto":
            return

        def check() -> None:
            try:
                _backend, notes = choose_backend(preferred=choice)
            except Exception:  # a check that broke says nothing; doctor still lists every method
                log.exception("Could not tell whether the screen capture %s runs here", choice)
                return
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                self._checked.emit(choice, " ".join(notes))

        threading.Thread(target=check, name="capture-choice-check", daemon=True).start()

    @Slot(str, str)
    def _choice_checked(self, choice: str, problem: str) -> None:
        if problem and choice == self.capture_backend.currentData():
            self.capture_status.setText(problem)
            self.answered.emit(False, problem)

    def _capture_answered(self, allowed: bool, message: str) -> None:
        self.capture_setup.setEnabled(True)
        if allowed:
            self._owner.settings = dataclasses.replace(self._owner.settings, capture_set_up=True)
        self.answered.emit(allowed, message)

    def chosen(self, settings: Settings) -> Settings:
        return dataclasses.replace(settings, capture_backend=self.capture_backend.currentData())
