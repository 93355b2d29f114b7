"""The controller's speech and status glue (the session's `Teller` on the Qt side): every state change is
shown in the views (tray tooltip or window) and spoken by the speaker; where speech is off or stops
working, what would be said is shown instead. The Controller is one; its helpers tell the user through it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from assistant.i18n import _
from assistant.ui.earcons import Earcons
from assistant.ui.telling import SpeechOutput, StatusView


class QtTeller(QObject):
    """Tells the user through the views, the speaker and the cues; lives on the Qt thread."""

    status_changed = Signal(str)
    _speech_event = Signal(object)

    def __init__(self, speaker: SpeechOutput | None, earcons: Earcons) -> None:
        super().__init__()
        self.speaker = speaker
        self.earcons = earcons
        self.views: list[StatusView] = []
        self.status = _("Starting…")
        self._speech_event.connect(self._on_speech_event)

    def set_status(self, text: str) -> None:
        self.status = text
        for view in self.views:
            view.set_status(text)
        self.status_changed.emit(text)

    def show_progress(self, text: str) -> None:
        self.status = text
        for view in self.views:
            view.show_progress(text)
        self.status_changed.emit(text)

    def _show_said(self, text: str) -> None:
        """Show in writing what speech would have said."""
        for view in self.views:
            view.show_text(_("Assistant"), text)

    def attach_speaker(self, speaker: SpeechOutput) -> None:
        """Use `speaker` from now on; where speech does not work, say why in writing."""
        self.speaker = speaker
        message = speaker.status_message
        if message:
            self.set_status(message)
            self._show_said(message)

    def hush(self) -> None:
        """Stop speaking now (from any thread)."""
        if self.speaker is not None:
            self.speaker.stop()

    @property
    def speaking(self) -> bool:
        """Whether speech is on and working (otherwise text is shown instead)."""
        return self.speaker is not None and self.speaker.enabled and not self.speaker.status_message

    def say(self, text: str, interrupt: bool = False) -> None:
        """Speak `text`; where speech is off or broken, show it instead."""
        if not text.strip():
            return
        if self.speaker is not None and self.speaking:
            self.speaker.say(text, interrupt=interrupt)
        else:
            self._show_said(text)

    def tell(self, text: str) -> None:
        """A state change: shown and spoken."""
        self.set_status(text)
        self.say(text)

    def fail(self, message: str) -> None:
        self.earcons.play("error")
        self.set_status(message)
        self.say(message, interrupt=True)

    def speech_event(self, kind: str, number: int, text: str) -> None:
        """Thread-safe: the Speaker's on_event callback ("started", "finished", "stopped", "failed")."""
        self._speech_event.emit((kind, number, text))

    @Slot(object)
    def _on_speech_event(self, event: tuple[str, int, str]) -> None:
        kind, _number, text = event
        if kind == "failed":  # speech stopped working: say so in writing; from now on text is shown
            self.set_status(text)
            self._show_said(text)
