"""The controller: wires actions (hotkeys, menu, `assistant trigger`) to capture → engine → speech.

It lives on the Qt thread and never waits: every picture is taken on the capture thread, which first
asks whether the session is locked and then tells a blank picture (both are said, never described);
the engine runs on the model thread (ModelWorker), OCR on its own thread, speech on the Speaker's own
thread. Every state change is both spoken and shown (tray tooltip or window).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image
from PySide6.QtCore import QObject, QRect, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QCursor, QGuiApplication, QScreen
from PySide6.QtWidgets import QFileDialog

from assistant.actions import how_to_press, how_to_run
from assistant.config import Settings, SettingsError, save_settings
from assistant.engine.base import Detail
from assistant.speech.sentences import SentenceStream
from assistant.ui.capturing import Captured, CaptureJob, Capturing
from assistant.ui.dialog import ConversationDialog
from assistant.ui.earcons import Earcons
from assistant.ui.image_text import OFF as TEXT_READING_OFF
from assistant.ui.image_text import ImageText
from assistant.ui.listening import AudioSource
from assistant.ui.listening_flow import ListeningFlow
from assistant.ui.loading import LoadingProgress
from assistant.ui.qtimage import qimage_to_pil
from assistant.ui.reading import TextFlow
from assistant.ui.telling import SpeechOutput, StatusView
from assistant.ui.worker import ImageSource, LoadEngine, ModelSpec, ModelWorker, Request

if TYPE_CHECKING:
    from assistant.hotkeys import GlobalHotkeys
    from assistant.ui.overlay import RegionOverlay
    from assistant.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)

STILL_LOADING = "Loading the model, one moment."
RELOADING = "Loading the model."
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp *.tif *.tiff);;All files (*)"


class Controller(QObject):
    """Runs the app's actions. `request_action` may be called from any thread."""

    action_requested = Signal(str)
    status_changed = Signal(str)
    model_ready = Signal(str)  # engine summary
    quit_requested = Signal()
    _submit = Signal(object)
    _load = Signal(object)
    _idle_release = Signal(float)
    _speech_event = Signal(object)

    def __init__(
        self,
        settings: Settings,
        speaker: SpeechOutput | None,
        earcons: Earcons,
        load_engine: LoadEngine,
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
        self.hotkeys: GlobalHotkeys | None = None
        self.hotkey_problems: list[str] = []
        self._show_dialog_after = False
        # New capture waits for the hidden dialog to leave the screen before taking the picture; Stop
        # cancels that wait.
        self._new_capture = QTimer(self)
        self._new_capture.setSingleShot(True)
        self._new_capture.setInterval(300)
        self._new_capture.timeout.connect(self.describe_screen)
        self._overlay: RegionOverlay | None = None
        self._settings_dialog: SettingsDialog | None = None
        self.loading = LoadingProgress(self, self)
        self.listening = ListeningFlow(self, earcons, audio_source)
        self.text = TextFlow(self.say)
        self.capturing = Capturing()
        self.capturing.worker.captured.connect(self._on_captured)
        self.capturing.worker.refused.connect(self._on_refused)
        self.capturing.worker.failed.connect(self._on_capture_failed)
        self.text.worker.text_read.connect(self._on_text_of_window)
        self.text.worker.failed.connect(self._on_text_failed)
        self._text_job: CaptureJob | None = None
        self._text_job_kind = ""
        self._region_screen: QRect | None = None
        # The text on the last image: what its questions are asked with and the dialog's "Text on it" shows.
        self.image_text = ImageText(self.text.worker)
        self.image_text.changed.connect(self._show_text_in_dialog)
        self._handlers: dict[str, Callable[[], None]] = {
            "describe-screen": self.describe_screen,
            "describe-region": self.describe_region,
            "describe-clipboard": self.describe_clipboard,
            "describe-file": self.describe_file,
            "describe-window": self.describe_window,
            "read-text": self.read_text,
            "read-all-text": self.read_all_text,
            "ask": self.open_dialog,
            "listen": self.listen,
            "stop": self.stop,
            "settings": self.open_settings,
            "quit": self.quit,
        }

        self.model_thread = QThread()
        self.model_thread.setObjectName("model")
        self.worker = ModelWorker(load_engine)
        self.worker.moveToThread(self.model_thread)
        self._submit.connect(self.worker.run)
        self._load.connect(self.worker.load)
        self._idle_release.connect(self.worker.set_idle_release)
        self.worker.reloading.connect(lambda: self.tell(RELOADING))
        self.worker.loading.connect(self.loading.stage)
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

    # -- starting and stopping --------------------------------------------------------------
    def start(self) -> None:
        """Start the model thread and begin loading the model (returns at once)."""
        self.model_thread.start()
        self.capturing.start()
        self.text.start()
        self.load_model()

    def load_model(self) -> None:
        self.loading.start()
        self._idle_release.emit(60.0 * self.settings.free_model_after_minutes)
        self._load.emit(ModelSpec(self.settings.model, self.settings.device, self.settings.precision))

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel work, stop hotkeys, speech and the model thread; False if the model thread would not stop."""
        self.loading.stop()
        if self.current is not None:
            self.current.cancel.set()
        if self.hotkeys is not None:
            self.hotkeys.stop()
            self.hotkeys = None
        self.listening.stop()
        for window in (self.dialog, self._overlay, self._settings_dialog):
            if window is not None:
                window.close()
        self.model_thread.quit()
        stopped = self.model_thread.wait(int(timeout * 1000))
        stopped = self.listening.shutdown(timeout) and stopped
        stopped = self.text.shutdown(timeout) and stopped
        stopped = self.capturing.shutdown(timeout) and stopped
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

    def show_progress(self, text: str) -> None:
        self.status = text
        for view in self.views:
            view.show_progress(text)
        self.status_changed.emit(text)

    def attach_speaker(self, speaker: SpeechOutput) -> None:
        """Use `speaker` from now on; where speech does not work, say why in writing."""
        self.speaker = speaker
        message = speaker.status_message
        if message:
            self.set_status(message)
            for view in self.views:
                view.show_text("Assistant", message)

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
    def _on_loaded(self, summary: str) -> None:
        self.loading.stop()
        self.engine_summary = summary
        self.set_status(f"Ready. {summary}")
        if self.settings.announce_ready:
            self.say("Ready.")
        self.model_ready.emit(summary)

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self.loading.stop()
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
        self._text_job = None
        self.text.drop()
        self.image_text.stop_waiting()
        self.hush()
        self.earcons.play("working")
        self.set_status(what)

    def _submit_request(self, request: Request) -> None:
        self.current = request
        self.stream = SentenceStream()
        if self.loading.active:  # the model thread takes the request as soon as the model is ready
            self.say(STILL_LOADING)
        self._submit.emit(request)

    def describe(self, source: ImageSource, what: str = "Describing…") -> Request:
        """Describe `source` (an image, or a callable that makes one on the model thread) with the model.

        The actions come here once the capture thread has taken the picture and found it neither locked
        away nor blank."""
        self._start_work(what)
        return self._describe(source)

    def _describe(self, source: ImageSource) -> Request:
        self.text.new_picture(read=self.settings.read_text_on_images)
        detail: Detail = "detailed" if self.settings.detail == "detailed" else "brief"
        request = Request("describe", source, detail=detail)
        self._submit_request(request)
        return request

    def _capture(self, kind: str, grab: Callable[[], Captured], of_screen: bool = True) -> None:
        """Take a picture on the capture thread: not while the session is locked (`of_screen`), and a blank
        one is named, not described. Then `kind` says what follows: "describe", "choose-region" or
        "read-text"."""
        self._text_job, self._text_job_kind = CaptureJob(grab, of_screen), kind
        self.capturing.capture(self._text_job)

    def describe_screen(self) -> None:
        self._start_work("Describing the screen…")
        point, _screen = self._under_pointer()
        self._capture("describe", lambda: _screen_at(point))

    def describe_region(self) -> None:
        """Capture the screen under the pointer (not while locked, nor when blank), then let the user
        choose a region of it."""
        if self._overlay is not None or (
            self._text_job is not None and self._text_job_kind == "choose-region"
        ):
            return
        self.hush()
        point, screen = self._under_pointer()
        self._region_screen = screen.geometry() if screen is not None else None
        self.set_status("Capturing the screen…")
        self._capture("choose-region", lambda: _screen_at(point))

    def _choose_region(self, screenshot: Image.Image) -> None:
        from assistant.ui.overlay import RegionOverlay

        overlay = RegionOverlay(screenshot, self._region_screen)
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
        self._start_work("Describing the region…")
        self._capture("describe", lambda: Captured(image, what="region"), of_screen=False)

    def _on_region_cancelled(self) -> None:
        self._drop_overlay()
        self.hush()
        self.set_status("Region cancelled.")
        self.say("Cancelled.", interrupt=True)

    def describe_clipboard(self) -> None:
        from assistant.capture import clipboard_image

        clipboard = QGuiApplication.clipboard()
        qimage = clipboard.image()
        if not qimage.isNull():
            image = qimage_to_pil(qimage)
            self._start_work("Describing the clipboard image…")
            self._capture(
                "describe", lambda: Captured(clipboard_image(image), what="picture"), of_screen=False
            )
            return
        mime = clipboard.mimeData()
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime is not None else []
        if files:
            self._describe_file(files[0])
            return
        self.fail("There is no image on the clipboard. Copy an image first, then try again.")

    def describe_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(None, "Describe image file", str(Path.home()), IMAGE_FILTER)
        if path:
            self._describe_file(path)

    def _describe_file(self, path: str) -> None:
        """Describe an image file, read and checked for blankness on the capture thread."""
        from assistant.capture import open_image_file

        self._start_work(f"Describing {Path(path).name}…")
        self._capture("describe", lambda: Captured(open_image_file(path), what="picture"), of_screen=False)

    def ask(self, question: str) -> Request | None:
        """Ask about the last image; the answer is spoken and added to the dialog."""
        if self.last_image is None:
            self.fail(self.no_image_message())
            return None
        history = tuple(self.dialog.turns) if self.dialog is not None else ()
        self._start_work("Thinking about your question…")
        request = Request("ask", self.last_image, question=question, history=history)
        self.current = request  # stop and new work cancel it while it waits for the text on the image
        self.image_text.when_ready(lambda lines: self._ask_with_text(request, lines))
        return request

    def _ask_with_text(self, request: Request, lines: Sequence[str]) -> None:
        if request.cancel.is_set():
            return
        request.text_on_image = tuple(lines)
        self._submit_request(request)

    def stop(self) -> None:
        self.listening.stop()
        self._new_capture.stop()
        self._reopen_dialog()  # hidden for a new capture that is not taken now
        self._text_job = None
        self.text.drop()
        self.image_text.stop_waiting()
        if self.current is not None:
            self.current.cancel.set()
            self.current = None
        self.hush()
        self.set_status("Stopped.")

    def quit(self) -> None:
        self._show_dialog_after = False  # nothing to come back to
        self.stop()
        self.quit_requested.emit()

    # -- spoken questions -------------------------------------------------------------------
    def listen(self) -> None:
        """Start listening for a spoken question about the last image; pressed again, stop listening."""
        if self.listening.active:
            self.listening.stop()
            return
        if self.last_image is None:
            self.open_dialog()
            return
        self.listening.listen(self.ensure_dialog(), self.settings)

    # -- the dialog -------------------------------------------------------------------------
    def ensure_dialog(self) -> ConversationDialog:
        if self.dialog is None:
            self.dialog = ConversationDialog(hotkeys=self.settings.hotkeys)
            self.dialog.spoken_by_app = lambda: self.speaking
            self.dialog.ask_requested.connect(self.ask)
            self.dialog.new_capture_requested.connect(self.new_capture)
            self.dialog.message.connect(self._on_dialog_message)
            self.dialog.talk_requested.connect(lambda: self.handle("listen"))
            if self.last_image is not None:
                self._set_dialog_image(self.last_image, self.last_description)
        return self.dialog

    def _set_dialog_image(self, image: Image.Image, description: str) -> None:
        if self.dialog is not None:
            self.dialog.set_image(image, description, self.image_text.lines, self.image_text.note)

    @Slot()
    def _show_text_in_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.show_text_on_image(self.image_text.lines, self.image_text.note)

    def no_image_message(self) -> str:
        how = how_to_run("describe-screen", self.settings.hotkeys)
        return f"There is no image yet. Describe the screen first, {how}."

    def _on_dialog_message(self, text: str) -> None:
        self.set_status(text)
        self.say(text, interrupt=True)

    def open_dialog(self) -> None:
        dialog = self.ensure_dialog()
        dialog.show_and_focus()
        if self.last_image is None:
            message = self.no_image_message()
            dialog.set_status(message)
            self.say(message, interrupt=True)

    def new_capture(self) -> None:
        """Hide the dialog so it is not in the picture, then describe the screen; the dialog comes back
        once the picture is taken (or refused, or failed)."""
        if self.dialog is not None:
            self.dialog.hide()
        self._show_dialog_after = True
        self._new_capture.start()

    # -- the settings window ----------------------------------------------------------------
    def open_settings(self) -> None:
        from assistant.ui.settings_dialog import SettingsDialog

        if self._settings_dialog is None:
            reader = getattr(self.speaker, "screen_reader", None)
            dialog = SettingsDialog(self.settings, self.voices(), self.input_devices(), screen_reader=reader)
            dialog.applied.connect(self.apply_settings)
            dialog.finished.connect(lambda _result: setattr(self, "_settings_dialog", None))
            self._settings_dialog = dialog
        self._settings_dialog.show()
        self._settings_dialog.raise_()
        self._settings_dialog.activateWindow()

    def voices(self) -> list[object]:
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
            self.speaker.set_speak_with(new.speak_with)
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
        elif new.free_model_after_minutes != old.free_model_after_minutes:
            self._idle_release.emit(60.0 * new.free_model_after_minutes)
        try:
            save_settings(self.settings, self.settings_path)
        except SettingsError as error:
            self.fail(str(error))
            return
        self.tell("Settings saved.")

    # -- the focused window and its text ----------------------------------------------------
    def _under_pointer(self) -> tuple[tuple[int, int], QScreen | None]:
        """The mouse pointer in the screen's own pixels, and the Qt screen it is on."""
        pos = QCursor.pos()
        screen = QGuiApplication.screenAt(pos) or QGuiApplication.primaryScreen()
        # Qt gives the pointer in device-independent pixels; the grab wants the screen's own pixels.
        ratio = screen.devicePixelRatio() if screen is not None else 1.0
        return (round(pos.x() * ratio), round(pos.y() * ratio)), screen

    def _capture_focused_window(self, kind: str, what: str) -> None:
        """Capture the focused window on the capture thread (the whole screen where it cannot be found)."""
        self._start_work(what)
        point, _screen = self._under_pointer()

        def grab() -> Captured:
            from assistant.capture import NoFocusedWindow, grab_focused_window, grab_screen

            try:
                window, image = grab_focused_window()
            except NoFocusedWindow as error:
                return Captured(grab_screen(at=point), notice=str(error))
            return Captured(image, title=window.spoken_title, what="window")

        self._capture(kind, grab)

    def describe_window(self) -> None:
        """Describe only the focused window, its title from the window system said first."""
        self._capture_focused_window("describe", "Describing the window…")

    def read_text(self) -> None:
        """Read the text of the focused window aloud, without the model."""
        self._capture_focused_window("read-text", "Reading the text…")

    def read_all_text(self) -> None:
        """Say the rest of the last picture's text, from where the word limit cut it."""
        from assistant.ocr import rest_to_speak, words_in

        describing = self.current is not None and self.current.kind == "describe"
        if (describing or self._text_job is not None or self.text.awaited) and not self.text.not_read:
            self.text.read_whole()  # its text is yet to come: it comes whole
            self.set_status("The whole text will be read.")
            return
        if self.text.not_read:
            message = TEXT_READING_OFF
        elif (rest := self.text.take_rest()) is None:
            how = how_to_press("read-text", self.settings.hotkeys)
            message = f"No text has been read yet; {how} or describe something first."
        elif not rest:
            message = "There is no more text."
        else:
            self._start_work("Reading the rest of the text…")
            self.say(rest_to_speak(rest), interrupt=True)
            self.set_status(f"Ready. {words_in(rest)} more words read.")
            return
        self.set_status(message)
        self.say(message, interrupt=True)

    @Slot(int, object)
    def _on_captured(self, job_id: int, captured: Captured) -> None:
        if self._text_job is None or self._text_job.id != job_id:
            return
        self.say(captured.notice)
        self.say(captured.title)
        if self._text_job_kind == "read-text":
            # The window read is the picture questions are about now: a new conversation, with its text.
            self.last_image, self.last_description = captured.image, ""
            self.text.new_picture()
            self.text.read(job_id, captured.image)
            self.image_text.expect(job_id)
            self._set_dialog_image(captured.image, "")
            return
        self._text_job = None
        if self._text_job_kind == "choose-region":
            self._choose_region(captured.image)
        else:
            # The dialog hidden for the picture comes back now, not after the description: a screen
            # reader speaks the window taking the focus and cuts off what it was saying (Orca does,
            # and the description handed to it would go with it).
            self._reopen_dialog()
            self._describe(captured.image)

    @Slot(int, str)
    def _on_refused(self, job_id: int, message: str) -> None:
        """The screen is locked or the picture blank: said, and nothing is kept or described."""
        if self._text_job is not None and self._text_job.id == job_id:
            self._text_job = None
            self.tell(message)
            self._reopen_dialog()

    @Slot(int, str)
    def _on_capture_failed(self, job_id: int, message: str) -> None:
        if self._text_job is not None and self._text_job.id == job_id:
            self._text_job = None
            self.fail(message)
            self._reopen_dialog()

    def _reopen_dialog(self) -> None:
        """A new capture asked for from the dialog ended without a description: the dialog comes back."""
        if self._show_dialog_after:
            self._show_dialog_after = False
            self.ensure_dialog().show_and_focus()

    @Slot(int, str)
    def _on_text_failed(self, job_id: int, message: str) -> None:
        if self._text_job is not None and self._text_job.id == job_id:
            self._text_job = None
            self.fail(message)

    @Slot(int, object)
    def _on_text_of_window(self, job_id: int, lines: list[str]) -> None:
        if self._text_job is None or self._text_job.id != job_id:
            return
        from assistant.ocr import text_to_speak

        self._text_job = None
        self.text.all_said(lines)
        self.say(text_to_speak(lines, None) if lines else "No text was found in the window.")
        self.set_status(f"Ready. {len(' '.join(lines).split())} words read.")

    # -- results from the model thread ------------------------------------------------------
    @Slot(int, object)
    def _on_image_ready(self, request_id: int, image: Image.Image) -> None:
        if self.current is not None and self.current.id == request_id:
            self.current.image = image

    def _read_text_along(self, request: Request) -> None:
        """Start reading the text of the picture being described, once per description.

        It starts when the gist's first sentence goes to speech, not with the picture: on a processor the
        OCR would take cores from the model and hold that first sentence back, and the sentence takes
        longer to say than a screen takes to read, so the text is still ready to follow without a gap."""
        if (
            request.kind == "describe"
            and request.image is not None
            and self.settings.read_text_on_images
            and not self.text.reading_along(request.id)
        ):
            self.text.read_along(
                request.id,
                request.image,
                self.settings.text_word_limit or None,
                how_to_press("read-all-text", self.settings.hotkeys),
            )

    @Slot(int, str)
    def _on_text(self, request_id: int, text: str) -> None:
        if self.current is None or self.current.id != request_id or self.stream is None or not self.speaking:
            return  # without speech, the whole text is shown once it is finished
        for sentence in self.stream.feed(text):
            self.say(sentence)
            self._read_text_along(self.current)

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
            self._read_text_along(request)
            reading = self.text.reading_along(request.id)  # before the text follows the gist, which ends it
            self.text.gist_said(request.id)
            self.last_image = request.image
            self.last_description = text
            self.image_text.expect(request.id if reading else None)
            if request.image is not None:
                self._set_dialog_image(request.image, text)
        elif self.dialog is not None:
            self.dialog.add_answer(text)
        self.set_status(f"Ready. Last: {text}")

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        if self.current is None or self.current.id != request_id:
            return
        request, self.current = self.current, None
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


def _screen_at(point: tuple[int, int]) -> Captured:
    """The monitor holding `point` (the screen's own pixels); runs on the capture thread."""
    from assistant.capture import grab_screen

    return Captured(grab_screen(at=point))
