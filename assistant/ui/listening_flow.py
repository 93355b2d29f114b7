"""Asking by voice, from the Qt thread's side: start and stop listening, and follow it to the question.

The listening thread (`ListenWorker`) hears and transcribes; this flow gives the cues, keeps the
dialog's Talk button and status in step, stops the app's speech the moment the user starts talking,
and puts the words in the question box (asking at once when Settings say so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from assistant.config import Settings
from assistant.i18n import _
from assistant.speech.stt import default_stt_language
from assistant.ui.dialog import ConversationDialog
from assistant.ui.earcons import Earcons
from assistant.ui.listening import AudioSource, ListenRequest, ListenWorker, microphone_source
from assistant.ui.telling import Teller

if TYPE_CHECKING:
    from assistant.speech.microphone import Listener

# Time for the listening cue to finish, so that the microphone does not take it for speech.
CUE_GAP_MS = 200


class ListeningFlow(QObject):
    """One spoken question at a time; `listen` again while listening stops it."""

    _listen = Signal(object)
    _voice_heard = Signal()

    def __init__(self, teller: Teller, earcons: Earcons, audio_source: AudioSource | None = None) -> None:
        """`audio_source` opens what questions are heard from; None: the microphone in Settings."""
        super().__init__()
        self._teller = teller
        self._earcons = earcons
        self._audio_source = audio_source
        self._dialog: ConversationDialog | None = None
        self._ask_at_once = True
        self.listener: Listener | None = None
        self._thread: QThread | None = None
        self._worker: ListenWorker | None = None
        self._voice_heard.connect(self._on_voice_heard)

    @property
    def active(self) -> bool:
        """Whether the microphone is open for a question."""
        return self.listener is not None

    def listen(self, dialog: ConversationDialog, settings: Settings) -> None:
        """Open the microphone for a question to put in `dialog`."""
        from assistant.speech.microphone import Listener

        self._ensure_worker()
        self._dialog = dialog
        self._ask_at_once = settings.ask_after_listening
        dialog.show_and_focus()
        dialog.set_listening(True)
        self.listener = Listener(on_speech_start=self._barge_in)
        self._teller.set_status(_("Listening…"))
        self._earcons.play("listening")
        source = self._audio_source or microphone_source(settings.input_device)
        request = ListenRequest(self.listener, source, settings.stt_model, default_stt_language(settings))
        delay = CUE_GAP_MS if self._earcons.enabled and self._earcons.available else 0
        QTimer.singleShot(delay, lambda: self._listen.emit(request))

    def stop(self) -> None:
        """Stop listening; what was heard so far is still transcribed."""
        if self.listener is not None:
            self.listener.stop()

    def shutdown(self, timeout: float) -> bool:
        """Stop listening and end the listening thread; False if it did not end within `timeout`."""
        self.stop()
        if self._thread is None:
            return True
        self._thread.quit()
        return self._thread.wait(int(timeout * 1000))

    def _ensure_worker(self) -> None:
        if self._thread is not None:
            return
        self._thread = QThread()
        self._thread.setObjectName("listening")
        self._worker = ListenWorker()
        self._worker.moveToThread(self._thread)
        self._listen.connect(self._worker.listen)
        self._worker.loading.connect(self._teller.set_status)
        self._worker.heard.connect(self._on_heard)
        self._worker.transcribed.connect(self._on_transcribed)
        self._worker.failed.connect(self._on_failed)
        self._worker.stopped.connect(self._on_stopped)
        self._thread.start()

    def _barge_in(self) -> None:
        """On the listening thread, the moment speech is heard: the app stops talking at once."""
        self._teller.hush()
        self._voice_heard.emit()

    def _on_voice_heard(self) -> None:
        self._teller.set_status(_("Hearing you…"))

    def _end_listening(self) -> None:
        """The microphone is closed: the Talk button is Talk again."""
        self.listener = None
        if self._dialog is not None:
            self._dialog.set_listening(False)

    def _on_heard(self) -> None:
        self._end_listening()
        self._earcons.play("stopped-listening")
        if self._dialog is not None:
            self._dialog.set_status(_("Working out what you said…"))
        self._teller.set_status(_("Working out what you said…"))

    def _on_transcribed(self, text: str) -> None:
        if self._dialog is None:
            return
        self._dialog.set_question(text)
        if self._ask_at_once:
            self._dialog.submit()
        else:
            # Translators: said after a spoken question was heard; {text} is the question as heard.
            message = _("Heard: {text} Press Enter to ask.").format(text=text)
            self._dialog.set_status(message, spoken=True)  # told below: not announced as well
            self._teller.tell(message)

    def _on_stopped(self) -> None:
        self._end_listening()
        self._earcons.play("stopped-listening")
        if self._dialog is not None:
            self._dialog.set_status(_("Stopped listening."))
        self._teller.set_status(_("Stopped listening."))

    def _on_failed(self, message: str) -> None:
        self._end_listening()  # the error cue follows, not the end-of-listening one
        if self._dialog is not None:
            self._dialog.set_status(message, spoken=True)
        self._teller.fail(message)
