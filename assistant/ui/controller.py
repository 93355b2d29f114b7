"""The controller: wires actions (hotkeys, menu, `assistant trigger`) to capture → engine → speech.

It lives on the Qt thread and never waits: the engine runs on the model thread (ModelWorker), speech
on the Speaker's own thread. Every state change is both spoken and shown (tray tooltip or window).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PIL import Image
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QFileDialog

from assistant.actions import how_to_run
from assistant.config import Settings, SettingsError, save_settings
from assistant.engine.base import Engine, EngineError
from assistant.speech.sentences import SentenceStream
from assistant.ui.dialog import ConversationDialog
from assistant.ui.earcons import Earcons
from assistant.ui.listening import AudioSource, ListenRequest, ListenWorker, microphone_source
from assistant.ui.qtimage import qimage_to_pil
from assistant.ui.worker import ImageSource, ModelSpec, ModelWorker, Request

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp *.tif *.tiff);;All files (*)"


class StatusView(Protocol):
    """Where the app shows its state: the tray icon or the fallback window."""

    def set_status(self, text: str) -> None: ...
    def show_text(self, title: str, text: str) -> None: ...
    def set_hotkeys(self, hotkeys: dict[str, str]) -> None: ...


class Controller(QObject):
    """Runs the app's actions. `request_action` may be called from any thread."""

    action_requested = Signal(str)
    status_changed = Signal(str)
    model_ready = Signal(str)  # engine summary
    quit_requested = Signal()
    _submit = Signal(object)
    _load = Signal(object)
    _speech_event = Signal(object)
    _listen = Signal(object)
    _voice_heard = Signal()

    def __init__(
        self,
        settings: Settings,
        speaker: Any,
        earcons: Earcons,
        load_engine: Callable[[ModelSpec], Engine],
        settings_path: Path | None = None,
        audio_source: AudioSource | None = None,
    ) -> None:
        """`audio_source` opens what spoken questions are heard from; None: the microphone in Settings."""
        super().__init__()
        self.settings = settings
        self.settings_path = settings_path
        self.speaker = speaker
        self.earcons = earcons
        self.views: list[StatusView] = []
        self.status = "Starting…"
        self.engine_summary = ""
        self.last_image: Image.Image | None = None
        self.last_description = ""
        self.current: Request | None = None
        self.stream: SentenceStream | None = None
        self.dialog: ConversationDialog | None = None
        self.hotkeys: Any = None
        self.hotkey_problems: list[str] = []
        self._show_dialog_after = False
        self._overlay: Any = None
        self._settings_dialog: Any = None
        self.audio_source = audio_source
        self.listener: Any = None
        self.listen_thread: QThread | None = None
        self.listen_worker: ListenWorker | None = None
        self._load_started = 0.0
        self._load_stage = "Loading the model…"
        self._spoken_quarter: int | None = None
        self._loading = False
        self._handlers: dict[str, Callable[[], None]] = {
            "describe-screen": self.describe_screen,
            "describe-region": self.describe_region,
            "describe-clipboard": self.describe_clipboard,
            "describe-file": self.describe_file,
            "ask": self.open_dialog,
            "listen": self.listen,
            "stop": self.stop,
            "settings": self.open_settings,
            "quit": self.quit,
        }

        self.thread = QThread()
        self.thread.setObjectName("model")
        self.worker = ModelWorker(load_engine)
        self.worker.moveToThread(self.thread)
        self._submit.connect(self.worker.run)
        self._load.connect(self.worker.load)
        self.worker.loading.connect(self._on_loading)
        self.worker.loaded.connect(self._on_loaded)
        self.worker.load_failed.connect(self._on_load_failed)
        self.worker.notice.connect(self.tell)
        self.worker.image_ready.connect(self._on_image_ready)
        self.worker.text.connect(self._on_text)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.action_requested.connect(self.handle)
        self._speech_event.connect(self._on_speech_event)
        self._voice_heard.connect(self._on_voice_heard)
        self._load_timer = QTimer(self)
        self._load_timer.setInterval(1000)
        self._load_timer.timeout.connect(self._show_load_progress)

    # -- starting and stopping --------------------------------------------------------------
    def start(self) -> None:
        """Start the model thread and begin loading the model (returns at once)."""
        self.thread.start()
        self.load_model()

    def load_model(self) -> None:
        self._loading = True
        self._load_stage, self._spoken_quarter = "Loading the model…", None
        self._load_started = time.monotonic()
        self._load_timer.start()
        self._load.emit(ModelSpec(self.settings.model, self.settings.device, self.settings.precision))

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel work, stop hotkeys, speech and the model thread; False if the model thread would not stop."""
        self._load_timer.stop()
        if self.current is not None:
            self.current.cancel.set()
        if self.hotkeys is not None:
            self.hotkeys.stop()
            self.hotkeys = None
        if self.listener is not None:
            self.listener.stop()
        for window in (self.dialog, self._overlay, self._settings_dialog):
            if window is not None:
                window.close()
        self.thread.quit()
        stopped = self.thread.wait(int(timeout * 1000))
        if self.listen_thread is not None:
            self.listen_thread.quit()
            stopped = self.listen_thread.wait(int(timeout * 1000)) and stopped
        if self.speaker is not None:
            self.speaker.close(timeout=2.0)
        self.earcons.close()
        return stopped

    def request_action(self, name: str) -> None:
        """Thread-safe: run action `name` on the Qt thread."""
        self.action_requested.emit(name)

    def speech_event(self, kind: str, number: int, text: str) -> None:
        """Thread-safe: the Speaker's on_event callback ("started", "finished", "stopped", "failed")."""
        self._speech_event.emit((kind, number, text))

    def start_hotkeys(self) -> list[str]:
        """Register the global hotkeys; returns the problems, each a sentence (also spoken)."""
        from assistant.hotkeys import GlobalHotkeys

        if self.hotkeys is not None:
            self.hotkeys.stop()
        bindings = {action: combo for action, combo in self.settings.hotkeys.items() if combo}
        self.hotkeys = GlobalHotkeys(bindings, self.request_action)
        self.hotkey_problems = list(self.hotkeys.start())
        if self.hotkey_problems:
            self.tell(" ".join(self.hotkey_problems))
        return self.hotkey_problems

    # -- telling the user -------------------------------------------------------------------
    def set_status(self, text: str) -> None:
        self.status = text
        for view in self.views:
            view.set_status(text)
        self.status_changed.emit(text)

    def attach_speaker(self, speaker: Any) -> None:
        """Use `speaker` from now on; where speech does not work, say why in writing."""
        self.speaker = speaker
        message = getattr(speaker, "status_message", "")
        if message:
            self.set_status(message)
            for view in self.views:
                view.show_text("Assistant", message)

    def _hush(self) -> None:
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
        if self.speaking:
            self.speaker.say(text, interrupt=interrupt)
        else:
            for view in self.views:
                view.show_text("Assistant", text)

    def tell(self, text: str) -> None:
        """A state change: shown and spoken."""
        self.set_status(text)
        self.say(text)

    def fail(self, message: str) -> None:
        self.earcons.play("error")
        self.set_status(message)
        self.say(message, interrupt=True)

    # -- model loading ----------------------------------------------------------------------
    @Slot(str)
    def _on_loading(self, text: str) -> None:
        self._load_stage = text
        self.set_status(text)
        # A download can take a long while: say where it is at the start and every quarter.
        percent = re.search(r"(\d+)%", text)
        quarter = int(percent.group(1)) // 25 if percent else None
        if text.startswith("Downloading") and quarter != self._spoken_quarter:
            self._spoken_quarter = quarter
            self.say(text.replace("%", " percent"))

    def _show_load_progress(self) -> None:
        if self._loading and not self._load_stage.startswith("Downloading"):
            seconds = int(time.monotonic() - self._load_started)
            self.set_status(f"{self._load_stage.rstrip('…. ')}… {seconds} s")

    @Slot(str)
    def _on_loaded(self, summary: str) -> None:
        self._loading = False
        self._load_timer.stop()
        self.engine_summary = summary
        self.set_status(f"Ready. {summary}")
        if self.settings.announce_ready:
            self.say("Ready.")
        self.model_ready.emit(summary)

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self._loading = False
        self._load_timer.stop()
        self.fail(message)

    # -- actions ----------------------------------------------------------------------------
    @Slot(str)
    def handle(self, name: str) -> None:
        handler = self._handlers.get(name)
        if handler is None:
            log.warning("Unknown action %r", name)
            return
        handler()

    def _start_work(self, what: str) -> None:
        """Cut off what is running and said, and give the cue that new work has started."""
        if self.current is not None:
            self.current.cancel.set()
            self.current = None
        self._hush()
        self.earcons.play("working")
        self.set_status(what)

    def _submit_request(self, request: Request) -> None:
        self.current = request
        self.stream = SentenceStream()
        self._submit.emit(request)

    def describe(self, source: ImageSource, what: str = "Describing…") -> Request:
        """Describe `source` (an image, or a callable that makes one on the model thread)."""
        self._start_work(what)
        return self._describe(source)

    def _describe(self, source: ImageSource) -> Request:
        request = Request("describe", source, detail=self.settings.detail)  # type: ignore[arg-type]
        self._submit_request(request)
        return request

    def describe_screen(self) -> None:
        from assistant.capture.screen import grab_screen

        self._start_work("Describing the screen…")
        pos = QCursor.pos()
        screen = QGuiApplication.screenAt(pos) or QGuiApplication.primaryScreen()
        ratio = screen.devicePixelRatio() if screen is not None else 1.0
        try:
            image = grab_screen(at=(round(pos.x() * ratio), round(pos.y() * ratio)))
        except EngineError as error:
            self.fail(str(error))
            return
        self._describe(image)

    def describe_region(self) -> None:
        from assistant.capture.screen import grab_screen
        from assistant.ui.overlay import RegionOverlay

        if self._overlay is not None:
            return
        self._hush()
        pos = QCursor.pos()
        screen = QGuiApplication.screenAt(pos) or QGuiApplication.primaryScreen()
        ratio = screen.devicePixelRatio() if screen is not None else 1.0
        try:
            screenshot = grab_screen(at=(round(pos.x() * ratio), round(pos.y() * ratio)))
        except EngineError as error:
            self.fail(str(error))
            return
        overlay = RegionOverlay(screenshot, screen.geometry() if screen is not None else None)
        overlay.changed.connect(lambda text: self.say(text, interrupt=True))
        overlay.chosen.connect(self._on_region_chosen)
        overlay.cancelled.connect(self._on_region_cancelled)
        self._overlay = overlay
        self.set_status("Choosing a region…")
        overlay.open()

    def _drop_overlay(self) -> None:
        if self._overlay is not None:
            self._overlay.deleteLater()
            self._overlay = None

    def _on_region_chosen(self, image: Image.Image) -> None:
        self._drop_overlay()
        self.describe(image, "Describing the region…")

    def _on_region_cancelled(self) -> None:
        self._drop_overlay()
        self._hush()
        self.set_status("Region cancelled.")
        self.say("Cancelled.", interrupt=True)

    def describe_clipboard(self) -> None:
        from assistant.engine.images import normalize_image

        clipboard = QGuiApplication.clipboard()
        qimage = clipboard.image()
        if not qimage.isNull():
            image = qimage_to_pil(qimage)
            self.describe(
                lambda: normalize_image(image, "The clipboard image"), "Describing the clipboard image…"
            )
            return
        mime = clipboard.mimeData()
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime is not None else []
        if files:
            path = files[0]
            self.describe(lambda: normalize_image(path), f"Describing {Path(path).name}…")
            return
        self.fail("There is no image on the clipboard. Copy an image first, then try again.")

    def describe_file(self) -> None:
        from assistant.engine.images import normalize_image

        path, _ = QFileDialog.getOpenFileName(None, "Describe image file", str(Path.home()), IMAGE_FILTER)
        if path:
            self.describe(lambda: normalize_image(path), f"Describing {Path(path).name}…")

    def ask(self, question: str) -> Request | None:
        """Ask about the last image; the answer is spoken and added to the dialog."""
        if self.last_image is None:
            self.fail(self.no_image_message())
            return None
        history = tuple(self.dialog.turns) if self.dialog is not None else ()
        self._start_work("Thinking about your question…")
        request = Request("ask", self.last_image, question=question, history=history)
        self._submit_request(request)
        return request

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        if self.current is not None:
            self.current.cancel.set()
            self.current = None
        self._hush()
        self.set_status("Stopped.")

    def quit(self) -> None:
        self.stop()
        self.quit_requested.emit()

    # -- spoken questions -------------------------------------------------------------------
    def _ensure_listen_worker(self) -> None:
        if self.listen_thread is not None:
            return
        self.listen_thread = QThread()
        self.listen_thread.setObjectName("listening")
        self.listen_worker = ListenWorker()
        self.listen_worker.moveToThread(self.listen_thread)
        self._listen.connect(self.listen_worker.listen)
        self.listen_worker.loading.connect(self.set_status)
        self.listen_worker.heard.connect(self._on_heard)
        self.listen_worker.transcribed.connect(self._on_transcribed)
        self.listen_worker.failed.connect(self._on_listen_failed)
        self.listen_worker.stopped.connect(self._on_listen_stopped)
        self.listen_thread.start()

    def listen(self) -> None:
        """Start listening for a spoken question about the last image; pressed again, stop listening."""
        if self.listener is not None:
            self.listener.stop()
            return
        if self.last_image is None:
            self.open_dialog()
            return
        from assistant.speech.microphone import Listener

        self._ensure_listen_worker()
        dialog = self.ensure_dialog()
        dialog.show_and_focus()
        dialog.set_listening(True)
        self.listener = Listener(on_speech_start=self._barge_in)
        self.set_status("Listening…")
        self.earcons.play("listening")
        source = self.audio_source or microphone_source(self.settings.input_device)
        request = ListenRequest(
            self.listener, source, self.settings.stt_model, self.settings.language or None
        )
        # Let the cue finish first, so the microphone does not take it for speech.
        QTimer.singleShot(
            200 if self.earcons.enabled and self.earcons.available else 0, lambda: self._listen.emit(request)
        )

    def _barge_in(self) -> None:
        """On the listening thread, the moment speech is heard: the app stops talking at once."""
        self._hush()
        self._voice_heard.emit()

    def _on_voice_heard(self) -> None:
        self.set_status("Hearing you…")

    def _on_heard(self) -> None:
        self.listener = None
        self.earcons.play("stopped-listening")
        if self.dialog is not None:
            self.dialog.set_listening(False)
            self.dialog.set_status("Working out what you said…")
        self.set_status("Working out what you said…")

    def _on_transcribed(self, text: str) -> None:
        dialog = self.ensure_dialog()
        dialog.set_question(text)
        if self.settings.ask_after_listening:
            dialog.submit()
        else:
            message = f"Heard: {text} Press Enter to ask."
            dialog.set_status(message)
            self.tell(message)

    def _on_listen_stopped(self) -> None:
        if self.dialog is not None:
            self.dialog.set_status("Stopped listening.")
        self.set_status("Stopped listening.")

    def _on_listen_failed(self, message: str) -> None:
        if self.dialog is not None:
            self.dialog.set_listening(False)
            self.dialog.set_status(message)
        self.fail(message)

    # -- the dialog -------------------------------------------------------------------------
    def ensure_dialog(self) -> ConversationDialog:
        if self.dialog is None:
            self.dialog = ConversationDialog(hotkeys=self.settings.hotkeys)
            self.dialog.ask_requested.connect(self.ask)
            self.dialog.new_capture_requested.connect(self.new_capture)
            self.dialog.message.connect(lambda text: (self.set_status(text), self.say(text, interrupt=True)))
            self.dialog.talk_requested.connect(lambda: self.handle("listen"))
            if self.last_image is not None:
                self.dialog.set_image(self.last_image, self.last_description)
        return self.dialog

    def no_image_message(self) -> str:
        how = how_to_run("describe-screen", self.settings.hotkeys)
        return f"There is no image yet. Describe the screen first, {how}."

    def open_dialog(self) -> None:
        dialog = self.ensure_dialog()
        dialog.show_and_focus()
        if self.last_image is None:
            message = self.no_image_message()
            dialog.set_status(message)
            self.say(message, interrupt=True)

    def new_capture(self) -> None:
        """Hide the dialog so it is not in the picture, then describe the screen and reopen it."""
        if self.dialog is not None:
            self.dialog.hide()
        self._show_dialog_after = True
        QTimer.singleShot(300, self.describe_screen)

    # -- the settings window ----------------------------------------------------------------
    def open_settings(self) -> None:
        from assistant.ui.settings_dialog import SettingsDialog

        if self._settings_dialog is None:
            dialog = SettingsDialog(self.settings, self.voices(), self.input_devices())
            dialog.applied.connect(self.apply_settings)
            dialog.finished.connect(lambda _result: setattr(self, "_settings_dialog", None))
            self._settings_dialog = dialog
        self._settings_dialog.show()
        self._settings_dialog.raise_()
        self._settings_dialog.activateWindow()

    def voices(self) -> list[Any]:
        if self.speaker is None:
            return []
        try:
            return list(self.speaker.voices())
        except Exception as error:  # a broken driver must not keep Settings from opening
            log.info("No voice list: %s", error)
            return []

    def input_devices(self) -> list[str]:
        """Names of the microphones, for Settings; empty where sound input is unavailable."""
        try:
            from assistant.speech.microphone import input_devices

            return [name for _index, name in input_devices()]
        except Exception as error:  # no PortAudio: Settings still opens, with the default only
            log.info("No input device list: %s", error)
            return []

    def apply_settings(self, new: Settings) -> None:
        """Use `new` at once and save it; the model reloads only if its choice changed."""
        old, self.settings = self.settings, dataclasses.replace(new, hotkeys=dict(new.hotkeys))
        if self.speaker is not None:
            self.speaker.set_voice(new.voice)
            self.speaker.set_rate(new.rate)
            self.speaker.set_volume(new.volume)
            self.speaker.enabled = new.speech_enabled
        self.earcons.enabled = new.earcons
        if new.hotkeys != old.hotkeys:
            for view in self.views:
                view.set_hotkeys(self.settings.hotkeys)
            if self.dialog is not None:
                self.dialog.set_hotkeys(self.settings.hotkeys)
            if self.hotkeys is not None:
                self.start_hotkeys()
        if (new.model, new.device, new.precision) != (old.model, old.device, old.precision):
            self.load_model()
        try:
            save_settings(self.settings, self.settings_path)
        except SettingsError as error:
            self.fail(str(error))
            return
        self.tell("Settings saved.")

    # -- results from the model thread ------------------------------------------------------
    @Slot(int, object)
    def _on_image_ready(self, request_id: int, image: Image.Image) -> None:
        if self.current is not None and self.current.id == request_id:
            self.current.image = image

    @Slot(int, str)
    def _on_text(self, request_id: int, text: str) -> None:
        if self.current is None or self.current.id != request_id or self.stream is None or not self.speaking:
            return  # without speech, the whole text is shown once it is finished
        for sentence in self.stream.feed(text):
            self.say(sentence)

    @Slot(int, str)
    def _on_finished(self, request_id: int, text: str) -> None:
        request = self.current
        if request is None or request.id != request_id or self.stream is None:
            return
        self.current = None
        if not text.strip():
            text = "The model gave no answer."
            self.say(text)
        elif self.speaking:
            for sentence in self.stream.finish(text):
                self.say(sentence)
        else:
            self.say(text)
        if request.kind == "describe":
            self.last_image = request.image  # type: ignore[assignment]
            self.last_description = text
            if self.dialog is not None:
                self.dialog.set_image(self.last_image, text)  # type: ignore[arg-type]
            if self._show_dialog_after:
                self._show_dialog_after = False
                self.ensure_dialog().show_and_focus()
        elif self.dialog is not None:
            self.dialog.add_answer(text)
        self.set_status(f"Ready. Last: {text}")

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        if self.current is None or self.current.id != request_id:
            return
        request, self.current = self.current, None
        self._show_dialog_after = False
        if request.kind == "ask" and self.dialog is not None:
            self.dialog.answer_failed(message)
        self.fail(message)

    @Slot(int)
    def _on_cancelled(self, request_id: int) -> None:
        if self.dialog is not None and self.current is None:
            self.dialog.set_status("")

    @Slot(object)
    def _on_speech_event(self, event: tuple[str, int, str]) -> None:
        kind, _number, text = event
        if kind == "failed":  # speech stopped working: say so in writing; from now on text is shown
            self.set_status(text)
            for view in self.views:
                view.show_text("Assistant", text)
