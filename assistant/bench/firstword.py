"""Hotkey to first spoken word in this process: the controller's whole path (request → model thread →
sentences → speech thread) against the engine's own first sentence, on Qt's offscreen platform."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from assistant.engine.base import Engine


def measure_first_word(load: Callable[[], Engine], image: Image.Image, repeat: int = 3) -> dict[str, Any]:
    """Hotkey to first spoken word through the controller, against the engine's own first sentence.

    As in the app, `load` builds the engine on the model thread, and both figures are taken there:
    torch's OpenMP gives each thread that computes its own pool of helper threads, and a second pool
    on a 2-core machine makes both spin less and wait more (about 15 % slower here). Run with a
    QApplication (offscreen is fine) already created, and no torch work done on this thread.
    """
    from PySide6.QtCore import QCoreApplication, QEventLoop

    from assistant.config import Settings
    from assistant.speech.sentences import SentenceStream
    from assistant.speech.speaker import create_speaker
    from assistant.ui.controller import Controller
    from assistant.ui.earcons import Earcons

    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder:
        spoke = threading.Event()

        def on_event(kind: str, number: int, text: str) -> None:
            if kind == "started":
                spoke.set()

        controller = Controller(Settings(announce_ready=False), None, Earcons(False), lambda spec, _: load())
        speaker = create_speaker(speech_to=Path(folder), on_event=on_event)
        controller.attach_speaker(speaker)
        controller.start()
        pump_until(lambda: bool(controller.engine_summary), 1200)
        loaded = controller.worker.engine
        if loaded is None:
            controller.shutdown()
            return {"skipped": f"the model did not load: {controller.status}"}
        engine: Engine = loaded
        summary = engine.summary

        def fresh() -> None:  # each description starts with the image unseen
            getattr(engine, "clear_feature_cache", lambda: None)()

        def engine_first_sentence() -> float:
            fresh()
            stream, first = SentenceStream(), list[float]()
            started = time.perf_counter()

            def on_text(text: str) -> None:
                if not first and stream.feed(text):
                    first.append(time.perf_counter() - started)

            engine.describe(image, on_text=on_text)
            return first[0] if first else time.perf_counter() - started

        on_thread(controller.worker, engine_first_sentence)  # a warm-up, as the app's side has below
        engine_times = [on_thread(controller.worker, engine_first_sentence) for _ in range(repeat)]
        app_times: list[float] = []
        for _ in range(repeat):
            fresh()
            spoke.clear()
            started = time.perf_counter()
            controller.describe(image)
            pump_until(spoke.is_set, 600)
            app_times.append(time.perf_counter() - started)
            controller.stop()
            pump_until(lambda: not speaker.busy, 10)
        controller.shutdown()
        controller.worker.engine = None  # free the model before the caller builds another
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
    engine_s, app_s = statistics.median(engine_times), statistics.median(app_times)
    return {
        "engine_first_sentence_s": engine_s,
        "request_to_first_word_s": app_s,
        "first_word_over_first_sentence": app_s / engine_s,
        "first_word_engine": summary,
    }


def on_thread(owner: Any, job: Callable[[], Any]) -> Any:
    """Run `job` on the thread of the QObject `owner` and return its result, pumping events meanwhile."""
    from PySide6.QtCore import QObject, Signal, Slot

    class Runner(QObject):
        run = Signal()

        def __init__(self) -> None:
            super().__init__()
            self.result: list[Any] = []
            self.run.connect(self.work)  # queued once the runner lives on the other thread

        @Slot()
        def work(self) -> None:
            self.result.append(job())

    runner = Runner()
    runner.moveToThread(owner.thread())
    runner.run.emit()
    pump_until(lambda: bool(runner.result), 1200)
    runner.deleteLater()
    return runner.result[0]


def pump_until(condition: Callable[[], object], timeout: float) -> bool:
    """Run the Qt event loop until `condition()` holds, sleeping between events as the app does.

    Busy polling here would take processor time from the model thread and distort the figures.
    """
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    deadline = time.monotonic() + timeout
    ticker = QTimer()
    ticker.start(20)  # wake up now and then to check `condition` and the deadline
    try:
        while not condition():
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents(
                QEventLoop.ProcessEventsFlag.AllEvents | QEventLoop.ProcessEventsFlag.WaitForMoreEvents
            )
    finally:
        ticker.stop()
    return True
