"""The model thread: one QObject on its own QThread owns the engine and runs requests one at a time.

Requests arrive through a queued signal; results leave through signals, so the Qt thread never
waits on the model. A request carries its own cancel Event: setting it cuts generation off.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image
from PySide6.QtCore import QObject, Signal, Slot

from assistant.engine.base import Cancelled, Detail, Engine, EngineError, Turn

log = logging.getLogger(__name__)

ImageSource = Image.Image | Callable[[], Image.Image]
_ids = itertools.count(1)


@dataclass
class Request:
    """One describe or ask. `source` is the picture, or a callable run on the model thread that makes
    it (reading a file, say); `image` is the picture itself once the model thread has it."""

    kind: Literal["describe", "ask"]
    source: ImageSource
    detail: Detail = "brief"
    question: str = ""
    history: Sequence[Turn] = ()
    cancel: threading.Event = field(default_factory=threading.Event)
    id: int = field(default_factory=lambda: next(_ids))
    image: Image.Image | None = None


@dataclass(frozen=True)
class ModelSpec:
    model: str | None
    device: str
    precision: str


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

    def __init__(self, load: LoadEngine) -> None:
        super().__init__()
        self._load = load
        self.engine: Engine | None = None
        self._load_error = "The model is still loading. Try again in a moment."

    @Slot(object)
    def load(self, spec: ModelSpec) -> None:
        self.engine = None
        self.loading.emit("Loading the model…")
        try:
            self.engine = self._load(spec, self.loading.emit)
        except EngineError as error:
            self._load_error = str(error)
            self.load_failed.emit(str(error))
            return
        except Exception:
            log.exception("The model failed to load")
            self._load_error = "The model could not be loaded. Run `assistant doctor` to see why."
            self.load_failed.emit(self._load_error)
            return
        self.loaded.emit(self.engine.summary)
        for message in self.engine.notices:
            self.notice.emit(message)
        self.engine.on_notice = self.notice.emit

    @Slot(object)
    def run(self, request: Request) -> None:
        if request.cancel.is_set():
            self.cancelled.emit(request.id)
            return
        try:
            started = time.perf_counter()
            image = request.source() if callable(request.source) else request.source
            self.image_ready.emit(request.id, image)
            if self.engine is None:
                raise EngineError(self._load_error)
            on_text = lambda text: self.text.emit(request.id, text)  # noqa: E731
            image_s = time.perf_counter() - started
            if request.kind == "describe":
                result = self.engine.describe(image, request.detail, on_text, request.cancel)
            else:
                result = self.engine.ask(image, request.question, request.history, on_text, request.cancel)
            log.info(
                "Request %s (%s): image %.2f s, model %.2f s",
                request.id,
                request.kind,
                image_s,
                time.perf_counter() - started - image_s,
            )
        except Cancelled:
            self.cancelled.emit(request.id)
        except EngineError as error:
            self.failed.emit(request.id, str(error))
        except Exception:
            log.exception("Request %s failed", request.id)
            self.failed.emit(request.id, "Something went wrong inside the model. Try again.")
        else:
            self.finished.emit(request.id, result)
