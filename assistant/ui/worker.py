"""The model thread: one QObject on its own QThread owns the engine and runs requests one at a time.

Requests arrive through a queued signal; results leave through signals, so the Qt thread never
waits on the model. A request carries its own cancel Event: setting it cuts generation off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from assistant.engine.base import Cancelled, Engine
from assistant.errors import UserError, for_app
from assistant.i18n import _
from assistant.session.steps import run_request
from assistant.session.work import ImageSource, Request

__all__ = ["ImageSource", "LoadEngine", "ModelSpec", "ModelThread", "ModelWorker", "Request"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    model: str | None
    device: str
    precision: str
    image_tokens: int = 0  # the most image tokens a picture becomes; 0: the model family's default
    translate: bool = True  # an English-only model's answers translated into the user's language


# Runs on the model thread: builds the engine for a spec, telling its progress in words as it goes.
LoadEngine = Callable[[ModelSpec, Callable[[str], None]], Engine]


class ModelWorker(QObject):
    """Lives on the model thread. Connect to its slots with queued signals only."""

    loading = Signal(str)  # what is happening, in words
    loaded = Signal(str)  # engine summary
    load_failed = Signal(str)  # one sentence
    image_ready = Signal(int, object)  # request id, the PIL image the request is about
    text = Signal(int, str)  # request id, cleaned text so far
    finished = Signal(int, str)  # request id, final text
    failed = Signal(int, str)  # request id, one sentence
    cancelled = Signal(int)
    notice = Signal(str)  # a change the user should hear of, in one sentence

    released = Signal()  # the model was let go: collect what it leaves and give the memory back
    reloading = Signal()  # a request found the model let go (idle) and loads it again first

    def __init__(self, load: LoadEngine) -> None:
        super().__init__()
        self._load = load
        self.engine: Engine | None = None
        self._load_error = _("The model is still loading. Try again in a moment.")
        self._spec: ModelSpec | None = None
        self._released = False  # let go after being idle, to be loaded again by the next request
        self._idle_seconds = 0.0
        self._idle_timer: QTimer | None = None
        self._preparing: QTimer | None = None  # the engine's idle work, a step at a time (`prepare_more`)

    @Slot(float)
    def set_idle_release(self, seconds: float) -> None:
        """Let go of the model after `seconds` without a request (0: never)."""
        self._idle_seconds = max(0.0, seconds)
        self._restart_idle_timer()

    def _restart_idle_timer(self) -> None:
        if self._idle_timer is None:  # made here, on the model thread, so it fires there
            self._idle_timer = QTimer(self)
            self._idle_timer.setSingleShot(True)
            self._idle_timer.timeout.connect(self.release)
            # Stopped on this thread as it ends: a running timer can be stopped on its own thread only.
            self.thread().finished.connect(self._idle_timer.stop, Qt.ConnectionType.DirectConnection)
        self._idle_timer.stop()
        if self._idle_seconds and self.engine is not None:
            self._idle_timer.start(int(self._idle_seconds * 1000))

    def _prepare_soon(self) -> None:
        """Run the engine's next step of idle work once this thread has nothing queued: a request waits
        for one step at most (packing one int8 layer: 0.5 s for Qwen3.5-0.8B's head, most far less)."""
        if self._preparing is None:  # made here, on the model thread, so it fires there
            self._preparing = QTimer(self)
            self._preparing.setSingleShot(True)
            self._preparing.timeout.connect(self._prepare_step)
            self.thread().finished.connect(self._preparing.stop, Qt.ConnectionType.DirectConnection)
        self._preparing.start(0)

    @Slot()
    def _prepare_step(self) -> None:
        if self.engine is None:
            return
        try:
            more = self.engine.prepare_more()
        except Exception:  # only speed is lost: requests run as they are
            log.exception("Preparing the model for faster requests failed")
            return
        if more:
            self._prepare_soon()

    @Slot()
    def release(self) -> None:
        """Let go of the model and give its memory back to the system; the next request loads it again."""
        if self.engine is None:
            return
        self.engine = None
        self._released = True
        self.released.emit()  # its cycles are collected on the Qt thread, the collector's (ui/garbage.py)
        log.info(
            "Let go of the model after %s without a request; the next request loads it again.",
            _duration(self._idle_seconds),
        )

    @Slot(object)
    def load(self, spec: ModelSpec) -> None:
        self.engine = None
        self._spec, self._released = spec, False
        if self._idle_timer is not None:
            self._idle_timer.stop()
        self.loading.emit(_("Loading the model…"))
        try:
            self.engine = self._load(spec, self.loading.emit)
        except UserError as error:
            self._load_error = error.for_app()
            self.load_failed.emit(self._load_error)
            return
        except Exception:
            log.exception("The model failed to load")
            # The app's user may have no terminal for `assistant doctor`: the choices that make a load
            # fail are in Settings (the traceback is in the log).
            self._load_error = _(
                "The model could not be loaded; try another model, device or precision in Settings, under Descriptions."
            )
            self.load_failed.emit(self._load_error)
            return
        self.loaded.emit(self.engine.summary)
        for message in self.engine.notices:
            self.notice.emit(for_app(message))
        self.engine.on_notice = lambda message: self.notice.emit(for_app(message))
        self._restart_idle_timer()
        self._prepare_soon()

    @Slot(object)
    def run(self, request: Request) -> None:
        if request.cancel.is_set():
            self.cancelled.emit(request.id)
            return
        if self._released and self._spec is not None:
            self.reloading.emit()
            self.load(self._spec)
        if self._idle_timer is not None:
            self._idle_timer.stop()
        try:
            started = time.perf_counter()
            image = request.source() if callable(request.source) else request.source
            self.image_ready.emit(request.id, image)
            on_text = lambda text: self.text.emit(request.id, text)  # noqa: E731
            image_s = time.perf_counter() - started
            result = run_request(self.engine, request, image, on_text, not_loaded=self._load_error)
            log.info(
                "Request %s (%s): image %.2f s, model %.2f s",
                request.id,
                request.kind,
                image_s,
                time.perf_counter() - started - image_s,
            )
        except Cancelled:
            self.cancelled.emit(request.id)
        except UserError as error:
            self.failed.emit(request.id, error.for_app())
        except Exception:
            log.exception("Request %s failed", request.id)
            self.failed.emit(request.id, _("Something went wrong inside the model. Try again."))
        else:
            self.finished.emit(request.id, result)
        finally:
            self._restart_idle_timer()
            self._prepare_soon()  # a model loaded again in another runtime has its own to do


class ModelThread(QObject):
    """The model thread, as the controller sees it: load, submit, the idle release, and the worker's signals."""

    _submit = Signal(object)
    _load = Signal(object)
    _idle_release = Signal(float)

    def __init__(self, load: LoadEngine) -> None:
        super().__init__()
        self._thread = QThread()
        self._thread.setObjectName("model")
        self.worker = ModelWorker(load)
        self.worker.moveToThread(self._thread)
        self._submit.connect(self.worker.run)
        self._load.connect(self.worker.load)
        self._idle_release.connect(self.worker.set_idle_release)

    def start(self) -> None:
        self._thread.start()

    def shutdown(self, timeout: float) -> bool:
        self._thread.quit()
        return self._thread.wait(int(timeout * 1000))

    def load(self, spec: ModelSpec) -> None:
        self._load.emit(spec)

    def submit(self, request: Request) -> None:
        self._submit.emit(request)

    def set_idle_release(self, seconds: float) -> None:
        """Let go of the model after `seconds` without a request (0: never)."""
        self._idle_release.emit(seconds)


def _duration(seconds: float) -> str:
    if seconds >= 60:
        minutes = round(seconds / 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} s"
