"""The controller: Qt glue between the app's actions (hotkeys, menu, `assistant trigger`) and the
session (`assistant.session.Session`), which holds the flow from key to last word.

It lives on the Qt thread and never waits. It owns the threads: every picture is taken on the capture
thread (which asks whether the session is locked and tells a blank picture), the engine runs on the
model thread (ModelWorker), OCR on its own thread, speech on the Speaker's own thread; their answers
come back here by queued signals and go to the session. It gives the session what it asks of the app
(`Outside`): the threads, the dialog, the region overlay, the pointer, the cues, and Qt timers as its
clock. What it tells the user, it tells through its base, QtTeller (assistant.ui.qtteller): every state
change is both spoken and shown (tray tooltip or window).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QScreen

from assistant.config import Settings
from assistant.engine.memory import give_back_freed_memory
from assistant.i18n import N_, _, pgettext, take_notice
from assistant.session import STILL_LOADING, CaptureJob, Grab, ImageSource, Request, Session
from assistant.session.image_text import ImageText
from assistant.session.steps import focused_window_or_screen, screen_at
from assistant.session.text import TextAfterGist
from assistant.ui.capturing import Capturing
from assistant.ui.conversation_window import ConversationWindow
from assistant.ui.desktop_setup import DesktopSetup
from assistant.ui.dialog import ConversationDialog
from assistant.ui.earcons import Earcons
from assistant.ui.garbage import QtThreadGarbage
from assistant.ui.listening import AudioSource
from assistant.ui.listening_flow import ListeningFlow
from assistant.ui.loading import LoadingProgress
from assistant.ui.pictures import (
    RegionChooser,
    choose_image_file,
    clipboard_picture,
    file_grab,
    pointer,
)
from assistant.ui.qtclock import QtClock
from assistant.ui.qtteller import QtTeller
from assistant.ui.reading import Reading
from assistant.ui.settings_flow import SettingsFlow
from assistant.ui.telling import SpeechOutput
from assistant.ui.worker import LoadEngine, ModelSpec, ModelThread

if TYPE_CHECKING:
    from assistant.hotkeys import GlobalHotkeys

__all__ = ["RELOADING", "STILL_LOADING", "Controller"]

log = logging.getLogger(__name__)

# Said in the user's language where it is said: _(RELOADING).
RELOADING = N_("Loading the model.")


class Controller(QtTeller):
    """Runs the app's actions. `request_action` may be called from any thread."""

    action_requested = Signal(str)
    model_ready = Signal(str)  # engine summary
    quit_requested = Signal()
    _event = Signal(object, object)  # a session handler, its arguments: see _to_session

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
        super().__init__(speaker, earcons)
        # Before any thread starts: cycles holding Qt objects must never be collected on another thread.
        self.garbage = QtThreadGarbage(self)
        self.settings_path = settings_path
        self.engine_summary = ""
        self.hotkeys: GlobalHotkeys | None = None
        self.hotkey_problems: list[str] = []
        self.settings_flow = SettingsFlow(self)
        self.desktop = DesktopSetup(self)  # Wayland: the hotkeys the desktop binds, capture set up from here
        self.loading = LoadingProgress(self, self)
        self.listening = ListeningFlow(self, earcons, audio_source)
        self.window = ConversationWindow(self)
        self.session = Session(settings, self, self, self.window, QtClock(self))
        say_now = lambda text: self.say(text, interrupt=True)  # noqa: E731
        self.region = RegionChooser(
            say_now, self.session.region_chosen, self.session.region_cancelled, lambda: self.speaking
        )
        self.capturing = Capturing()
        self.reading = Reading()
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

        self.model = ModelThread(load_engine)
        self.worker = self.model.worker
        self.worker.reloading.connect(self._on_reloading)
        self.worker.released.connect(self._on_released)
        self.worker.loading.connect(self.loading.stage)
        self.worker.loaded.connect(self._on_loaded)
        self.worker.load_failed.connect(self._on_load_failed)
        self.worker.notice.connect(self.tell)
        session, captures, texts, model = (
            self.session,
            self.capturing.worker,
            self.reading.worker,
            self.worker,
        )
        self._event.connect(self._on_event)
        for signal, handler in (
            (captures.captured, session.on_captured),
            (captures.refused, session.on_refused),
            (captures.failed, session.on_capture_failed),
            (texts.text_read, session.on_text_read),
            (texts.failed, session.on_text_failed),
            (model.image_ready, session.on_image_ready),
            (model.text, session.on_text),
            (model.finished, session.on_finished),
            (model.failed, session.on_failed),
            (model.cancelled, session.on_cancelled),
        ):
            signal.connect(self._to_session(handler))
        self.action_requested.connect(self.handle)

    # -- the session's state, as the views, the bench and the tests read it -------------------
    @property
    def settings(self) -> Settings:
        return self.session.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.session.settings = settings

    @property
    def current(self) -> Request | None:
        return self.session.current

    @property
    def last_image(self) -> Image.Image | None:
        return self.session.conversation.image

    @property
    def last_description(self) -> str:
        return self.session.conversation.description

    @property
    def text(self) -> TextAfterGist:
        return self.session.text

    @property
    def image_text(self) -> ImageText:
        return self.session.image_text

    # -- starting and stopping --------------------------------------------------------------
    def start(self) -> None:
        """Start the model thread and begin loading the model (returns at once)."""
        self.model.start()
        self.capturing.start()
        self.reading.start()
        self.load_model()

    def load_model(self) -> None:
        self.loading.start()
        self.model.set_idle_release(60.0 * self.settings.free_model_after_minutes)
        self.model.load(
            ModelSpec(
                self.settings.model,
                self.settings.device,
                self.settings.precision,
                self.settings.image_tokens,
                self.settings.translate_answers,
            )
        )

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel work, stop hotkeys, speech and the model thread; False if the model thread would not stop."""
        self.loading.stop()
        if self.session.current is not None:
            self.session.current.cancel.set()
        self.desktop.close()
        if self.hotkeys is not None:
            self.hotkeys.stop()
            self.hotkeys = None
        self.listening.stop()
        for window in (self.dialog, self.region.overlay, self.settings_flow.dialog, self.desktop.prompt):
            if window is not None:
                window.close()
        stopped = self.model.shutdown(timeout)
        stopped = self.listening.shutdown(timeout) and stopped
        stopped = self.reading.shutdown(timeout) and stopped
        stopped = self.capturing.shutdown(timeout) and stopped
        if self.speaker is not None:
            self.speaker.close(timeout=2.0)
        self.earcons.close()
        self.garbage.stop()
        return stopped

    def request_action(self, name: str) -> None:
        """Thread-safe: run action `name` on the Qt thread."""
        self.action_requested.emit(name)

    def start_hotkeys(self) -> bool:
        """Bind the global hotkeys once the desktop says how (asked on a thread); problems are said then.
        Returns whether that was started (not while it runs)."""
        return self.desktop.start_hotkeys()

    # -- model loading ----------------------------------------------------------------------
    @Slot()
    def _on_released(self) -> None:
        """The model was let go: its cycles collected here, on the Qt thread, then its memory given back."""
        gc.collect()
        give_back_freed_memory()

    @Slot(str)
    def _on_loaded(self, summary: str) -> None:
        self.loading.stop()
        self.engine_summary = summary
        # Translators: the status line once the model is loaded; {summary} names the model and device.
        self.set_status(_("Ready. {summary}").format(summary=summary))
        if self.settings.announce_ready:
            # Translators: said once the model has loaded; the app's first spoken state.
            self.say(pgettext("spoken", "Ready."))
        # Where the desktop's language has no catalogue: said once, in English.
        notice = take_notice()
        if notice:
            self.say(notice)
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

    def describe(self, source: ImageSource, what: str = "") -> Request:
        """Describe `source` (an image, or a callable that makes one on the model thread) with the model."""
        return self.session.describe(source, what)

    def describe_screen(self) -> None:
        self.session.describe_screen()

    def describe_region(self) -> None:
        """Capture the screen under the pointer, then let the user choose a region of it; which screen
        that is, the compositor is asked off this thread (pressed again meanwhile: nothing more)."""
        if self.region.overlay is None:
            self.region.screen_question.ask(self._describe_region_on)

    def _describe_region_on(self, point: tuple[int, int], screen: QScreen | None) -> None:
        if self.region.overlay is None and self.session.describe_region(lambda: screen_at(point)):
            self.region.screen = screen.geometry() if screen is not None else None

    def describe_clipboard(self) -> None:
        found = clipboard_picture()
        if found is None:
            self.fail(_("There is no image on the clipboard. Copy an image first, then try again."))
        elif isinstance(found, str):
            self._describe_file(found)
        else:
            self.session.describe_picture(_("Describing the clipboard image…"), found)

    def describe_file(self) -> None:
        path = choose_image_file()
        if path:
            self._describe_file(path)

    def _describe_file(self, path: str) -> None:
        """Describe an image file, read and checked for blankness on the capture thread."""
        # Translators: the status line while an image file is described; {name} is the file's name.
        self.session.describe_picture(_("Describing {name}…").format(name=Path(path).name), file_grab(path))

    def describe_window(self) -> None:
        """Describe only the focused window, its title from the window system said first."""
        point = pointer()
        grab = lambda: focused_window_or_screen(point)  # noqa: E731
        self.session.describe_picture(_("Describing the window…"), grab, of_screen=True)

    def read_text(self) -> None:
        """Read the text of the focused window aloud, without the model."""
        point = pointer()
        self.session.read_text(lambda: focused_window_or_screen(point))

    def read_all_text(self) -> None:
        self.session.read_all_text()

    def ask(self, question: str) -> Request | None:
        """Ask about the last image; the answer is spoken and added to the dialog."""
        return self.session.ask(question)

    def stop(self) -> None:
        self.listening.stop()
        self.session.stop()

    def quit(self) -> None:
        self.listening.stop()
        self.session.quit()
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
    @property
    def dialog(self) -> ConversationDialog | None:
        return self.window.dialog

    def ensure_dialog(self) -> ConversationDialog:
        return self.window.ensure()

    def open_dialog(self) -> None:
        self.window.open()

    def new_capture(self) -> None:
        """Hide the dialog so it is not in the picture, then describe the screen (`Session.new_capture`)."""
        self.session.new_capture()

    # -- the settings window ----------------------------------------------------------------
    def open_settings(self) -> None:
        self.settings_flow.open()

    def apply_settings(self, new: Settings) -> None:
        """Use `new` at once and save it; the model reloads only if its choice changed."""
        self.settings_flow.apply(new)

    # -- what the session asks of the app (assistant.session.Outside) -----------------------
    def screen_grab(self) -> Grab:
        point = pointer()
        return lambda: screen_at(point)

    @property
    def model_loading(self) -> bool:
        return self.loading.active

    def play(self, cue: str) -> None:
        self.earcons.play(cue)

    def capture(self, job: CaptureJob) -> None:
        self.capturing.capture(job)

    def submit(self, request: Request) -> None:
        self.model.submit(request)

    def read_text_on(self, number: int, image: Image.Image) -> None:
        self.reading.read(number, image)

    def choose_region(self, image: Image.Image) -> None:
        self.region.open(image)

    # -- answers from the other threads, handed to the session on this one -----------------
    def _to_session(self, handler: Callable[..., None]) -> Callable[..., None]:
        """A receiver for a worker's signal, which PySide may call on the sending thread: it hands the
        arguments to `handler` through `_event`, delivered on this (the Qt) thread in the order sent."""
        return lambda *args: self._event.emit(handler, args)

    @Slot(object, object)
    def _on_event(self, handler: Callable[..., None], args: tuple[object, ...]) -> None:
        handler(*args)

    @Slot()
    def _on_reloading(self) -> None:
        self.tell(_(RELOADING))
