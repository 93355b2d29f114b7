"""What a Wayland desktop asks of the app, from the controller's side: the first run's offer to set up
screen capture from the app's own window (GNOME shows the portal's question only to the window in
front), and the hotkeys: whether the desktop binds them (GlobalShortcuts) asked off the Qt thread, its
answer said once when a binding fails."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, SignalInstance, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from assistant.config import Settings
from assistant.i18n import N_, _
from assistant.ui.capture_question import CaptureQuestion

if TYPE_CHECKING:
    from assistant.hotkeys.backends import Backend
    from assistant.ui.controller import Controller

log = logging.getLogger(__name__)

# Said after the offer's text where the app speaks with its own voice: no screen reader names the focus.
SAY_KEYS = N_("Press Enter to set up screen capture now, or Escape to leave it for later.")


def capture_needs_permission(
    settings: Settings, environ: Mapping[str, str] | None = None, platform: str | None = None
) -> bool:
    """Whether the way this desktop captures asks the user first and was not set up yet (Wayland's portals)."""
    from assistant.capture.backends import choose_backend, is_wayland

    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if settings.capture_set_up or not is_wayland(environ, platform):
        return False
    backend, _notes = choose_backend(environ, platform, settings.capture_backend)
    return hasattr(backend, "set_up")  # grim and mss ask nothing; the portals ask once


class CaptureSetupPrompt(QDialog):
    """Says what the desktop will ask and why, and asks it from here when the user agrees."""

    answered = Signal(bool, str)  # allowed, the sentence said

    def __init__(self, choice: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Translators: the title of the first run's window offering to set up screen capture.
        self.setWindowTitle(_("Set up screen capture — Assistant"))
        self.setAccessibleName(_("Set up screen capture"))
        why = _(
            "To describe your screen, the assistant needs your desktop's permission to capture it. The "
            "desktop asks this once, and only the window in front, so set it up now: choose Set up screen "
            "capture and answer the desktop's question. You can also do it later in Settings."
        )
        self.why = QLabel(why)
        self.why.setWordWrap(True)
        self.status = QLabel("")
        # Translators: the spoken name of the line saying how the screen capture set-up went.
        self.status.setAccessibleName(_("Screen capture set-up"))
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.set_up = QPushButton(_("Set &up screen capture"))
        self.set_up.setAccessibleName(_("Set up screen capture"))
        self.set_up.setAccessibleDescription(why)
        self.set_up.setDefault(True)
        # Translators: the button that closes the first run's offer to set up screen capture.
        self.close_button = QPushButton(_("&Not now"))
        self.close_button.setAccessibleName(_("Not now"))
        buttons.addButton(self.set_up, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self._question = CaptureQuestion(self.set_up, self.status)
        self.set_up.clicked.connect(lambda: self._question.ask(choice))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.why, self.status, buttons):
            layout.addWidget(widget)
        self._question.answered.connect(self._answered)
        self.set_up.setFocus()

    @Slot(bool, str)
    def _answered(self, allowed: bool, message: str) -> None:
        self.set_up.setEnabled(not allowed)  # a refusal may be asked again from here
        if allowed:
            # Translators: the offer's closing button once screen capture is set up.
            self.close_button.setText(_("&Close"))
            self.close_button.setAccessibleName(_("Close"))
            self.close_button.setFocus()
        else:
            self.set_up.setFocus()
        self.answered.emit(allowed, message)


class DesktopSetup(QObject):
    """The controller's side of the desktop's questions: hotkeys bound by it, capture set up from here."""

    hotkey_failed = Signal(str)  # a binding the desktop refused, from its thread
    _capture_checked = Signal(bool)  # whether capture needs the user's permission, from the checking thread
    _hotkeys_chosen = Signal(object)  # choose_backend()'s answer, from the thread that asked it

    def __init__(self, controller: Controller) -> None:
        super().__init__(controller)
        self._app = controller
        self._said: set[str] = set()
        self.prompt: CaptureSetupPrompt | None = None
        self._checking: threading.Thread | None = None
        self._choosing: threading.Thread | None = None  # asking how this desktop binds hotkeys
        self._closed = False
        self.hotkey_failed.connect(self._say_hotkey_problem)
        self._hotkeys_chosen.connect(self._bind_hotkeys)
        self._capture_checked.connect(self._show_capture_offer)

    def start_hotkeys(self) -> bool:
        """Bind the global hotkeys the settings hold. How this desktop binds them is asked on a thread of
        its own (on Wayland, D-Bus whether the portal offers GlobalShortcuts: up to 2 s while a portal
        starts), and the keys are bound on the Qt thread when it answers, the problems said then, once.
        Returns whether that question was asked: not while one runs, whose answer binds the keys the
        settings hold by then. A binding the desktop refuses later (its GlobalShortcuts dialog) is said
        when it does."""
        if self._choosing is not None or self._closed:
            return False

        def choose() -> tuple[Backend | None, list[str]]:
            from assistant.hotkeys.backends import choose_backend, trigger_hint

            try:
                return choose_backend()
            except Exception as error:  # no keys bound: said as a listener that cannot start is
                log.exception("Could not tell how this desktop binds hotkeys")
                reason = str(error) or type(error).__name__
                problem = _("Global hotkeys could not start ({reason}); {hint}.")
                return None, [problem.format(reason=reason, hint=trigger_hint())]

        self._choosing = _answer_on_a_thread("hotkeys-choice", choose, self._hotkeys_chosen)
        return True

    @Slot(object)
    def _bind_hotkeys(self, chosen: tuple[Backend | None, list[str]]) -> None:
        from assistant.hotkeys import GlobalHotkeys

        if self._choosing is not None:
            self._choosing.join()
            self._choosing = None
        if self._closed:  # the app stopped while the desktop was asked
            return
        app = self._app
        if app.hotkeys is not None:
            app.hotkeys.stop()
        bindings = {action: combo for action, combo in app.settings.hotkeys.items() if combo}
        # emit() is safe from the portal's listener thread: the sentence is said on the Qt thread.
        app.hotkeys = GlobalHotkeys(bindings, app.request_action, on_problem=self.hotkey_failed.emit)
        app.hotkey_problems = list(app.hotkeys.start(chosen))
        if app.hotkey_problems:
            app.tell(" ".join(app.hotkey_problems))

    def close(self) -> None:
        """The app stops: an answer still to come binds nothing."""
        self._closed = True

    @Slot(str)
    def _say_hotkey_problem(self, problem: str) -> None:
        if problem not in self._app.hotkey_problems:
            self._app.hotkey_problems.append(problem)
        if problem not in self._said:  # once: binding again after a change in Settings fails the same way
            self._said.add(problem)
            self._app.fail(problem)

    def offer_capture_setup(self, environ: Mapping[str, str] | None = None) -> bool:
        """On a desktop whose capture asks first and was never set up: show the offer, in front, once (a
        "Not now" is kept; Settings' button stays). Whether it must is found on a thread of its own (the
        capture methods' checks start programs and ask D-Bus), and the offer follows on the Qt thread.
        Returns whether that check was started."""
        if self._app.settings.capture_offered or self._checking is not None:
            return False
        settings = self._app.settings

        def check() -> bool:
            try:
                return capture_needs_permission(settings, environ)
            except Exception:  # a check that broke offers nothing; Settings' button stays
                log.exception("Could not tell whether screen capture needs the desktop's permission")
                return False

        self._checking = _answer_on_a_thread("capture-check", check, self._capture_checked)
        return True

    @Slot(bool)
    def _show_capture_offer(self, needed: bool) -> None:
        if self._checking is not None:
            self._checking.join()
            self._checking = None
        app = self._app
        if not needed or app.settings.capture_offered or app.settings.capture_set_up:
            return
        app.settings_flow.keep(capture_offered=True)
        self.prompt = CaptureSetupPrompt(app.settings.capture_backend)
        self.prompt.answered.connect(self._capture_answered)
        self.prompt.finished.connect(self._prompt_closed)
        self.prompt.show()
        self.prompt.raise_()
        self.prompt.activateWindow()
        if self._own_voice():  # a screen reader reads the window; the app's own voice must say it
            self.prompt.set_up.clicked.connect(self._say_asking)
            app.say(" ".join((self.prompt.why.text(), _(SAY_KEYS))))

    def _own_voice(self) -> bool:
        """Whether the app speaks with its own voice: through a screen reader, which reads the window as it
        takes the focus and hears its announcements, the offer would be heard twice."""
        app = self._app
        return app.speaking and getattr(app.speaker, "screen_reader", None) is None

    @Slot()
    def _say_asking(self) -> None:
        """The app's voice says the desktop is asking (the window announces it to screen readers alone)."""
        if self.prompt is not None and self._own_voice():
            self._app.say(self.prompt.status.text())

    @Slot(bool, str)
    def _capture_answered(self, allowed: bool, message: str) -> None:
        app = self._app
        if not allowed:
            app.fail(message)
            return
        app.tell(message)
        # The answer alone: not `assistant run`'s options for this run, which the app's settings hold too.
        app.settings_flow.keep(capture_set_up=True)

    @Slot(int)
    def _prompt_closed(self, _result: int) -> None:
        self.prompt = None


def _answer_on_a_thread(name: str, ask: Callable[[], object], answered: SignalInstance) -> threading.Thread:
    """Run `ask` on a thread of its own and emit its answer, which Qt delivers on the Qt thread."""

    def run() -> None:
        answer = ask()
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile: nobody to take the answer
            answered.emit(answer)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
