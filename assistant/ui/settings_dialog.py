"""The Settings window: its groups (hotkeys, speech, descriptions, picture detail, model server, spoken
questions, screen capture; each in a module of its own) put together, and OK / Apply / Cancel, which check
the choices, say the first problem, and hand on the new settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from assistant.config import HotkeyError, Settings
from assistant.i18n import _
from assistant.ui.announce import announce
from assistant.ui.capture_box import CaptureBox
from assistant.ui.descriptions_box import DescriptionsBox
from assistant.ui.hotkeys_box import HotkeysBox
from assistant.ui.image_budget_box import ImageBudgetBox
from assistant.ui.model_server_box import ModelServerBox
from assistant.ui.speech_box import SpeechBox
from assistant.ui.spoken_questions_box import SpokenQuestionsBox


class SettingsDialog(QDialog):
    """Edits a copy of the settings; OK or Apply emits `applied` with the new settings."""

    applied = Signal(object)
    # A sentence for the app to say: a choice that cannot be applied (True: a failure), or how setting up
    # screen capture went.
    told = Signal(str, bool)

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
        # Whether the app's speech says what `told` carries (the controller sets it); where it does not, it
        # is announced to screen readers instead, never both (a screen reader would say it twice).
        self.spoken_by_app: Callable[[], bool] = lambda: False
        self.errors = QLabel("")
        self.errors.setAccessibleName(_("Problems"))
        self.errors.setWordWrap(True)

        # Built and added in the order Tab visits them, in a column that scrolls: all of them are taller
        # than a 1080-pixel screen, and OK, Apply and Cancel stay in sight below it.
        groups = QWidget()
        layout = QVBoxLayout(groups)
        self.hotkeys_box = HotkeysBox(settings, desktop_keys)
        layout.addWidget(self.hotkeys_box)
        self.speech_box = SpeechBox(self, voices, screen_reader)
        layout.addWidget(self.speech_box)
        self.descriptions_box = DescriptionsBox(settings)
        layout.addWidget(self.descriptions_box)
        self.image_budget = ImageBudgetBox(settings)
        layout.addWidget(self.image_budget)
        self.server_box = ModelServerBox(settings)
        layout.addWidget(self.server_box)
        self.questions_box = SpokenQuestionsBox(settings, input_devices)
        layout.addWidget(self.questions_box)
        self.capture_box = CaptureBox(self)
        status = self.capture_box.capture_status
        self.capture_box.answered.connect(lambda allowed, said: self._tell(status, said, not allowed))
        layout.addWidget(self.capture_box)
        self.groups = QScrollArea()
        self.groups.setWidget(groups)
        self.groups.setWidgetResizable(True)
        self.groups.setFrameShape(QFrame.Shape.NoFrame)
        self.groups.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no Tab stop of its own: it follows the focus
        self.groups.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.groups.setMinimumWidth(groups.sizeHint().width() + bar)

        outer = QVBoxLayout(self)
        outer.addWidget(self.groups, 1)
        outer.addWidget(self.errors)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        # Qt's own words have no Alt keys (Enter and Escape are OK's and Cancel's): the app's words, with
        # Alt keys no other control here has. The name first: a screen reader would hear the & otherwise.
        for which, text in (
            # Translators: Settings' buttons; the letter after & is its Alt key, which no other control in
            # Settings may have (check them all: the window uses nearly every letter).
            (QDialogButtonBox.StandardButton.Ok, _("&OK")),
            (QDialogButtonBox.StandardButton.Apply, _("&Apply")),
            (QDialogButtonBox.StandardButton.Cancel, _("&Cancel")),
        ):
            button = buttons.button(which)
            button.setAccessibleName(text.replace("&", ""))
            button.setText(text)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        outer.addWidget(buttons)
        self.buttons = buttons
        self._fit_to_screen(groups)
        # Tab scrolls to the field it reaches; an Alt key's jump does not, so the focus is followed.
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._follow_focus)

    def _fit_to_screen(self, groups: QWidget) -> None:
        """As tall as the groups need, but no taller than the screen's free height."""
        screen = self.screen().availableGeometry()
        rest = self.sizeHint().height() - self.groups.sizeHint().height()
        frame = 40  # the title bar and borders the window manager adds
        height = min(groups.sizeHint().height() + rest, screen.height() - frame)
        self.resize(self.sizeHint().width(), max(height, self.minimumSizeHint().height()))

    def _follow_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        column = self.groups.widget()
        if new is not None and column is not None and column.isAncestorOf(new):
            self.groups.ensureWidgetVisible(new)

    def collect(self) -> Settings:
        """The settings as the controls show them; raises HotkeyError naming the first bad hotkey."""
        chosen = self.settings
        for group in (
            self.hotkeys_box,
            self.speech_box,
            self.descriptions_box,
            self.questions_box,
            self.capture_box,
            self.image_budget,
            self.server_box,
        ):
            chosen = group.chosen(chosen)
        return chosen

    def _problem(self, problem: str) -> None:
        """Show the problem under the groups and say it."""
        self.errors.setText(problem)
        self.errors.setAccessibleDescription(problem)
        self._tell(self.errors, problem, failure=True)

    def _tell(self, widget: QWidget, text: str, failure: bool) -> None:
        if not self.spoken_by_app():
            announce(widget, text)
        self.told.emit(text, failure)

    def apply(self) -> bool:
        try:
            new = self.collect()
        except HotkeyError as error:
            self._problem(str(error))
            return False
        new, problem = self.server_box.consent(new)
        if problem:
            self._problem(problem)
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
