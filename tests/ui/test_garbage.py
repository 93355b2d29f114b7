"""Python's cycle collector runs on the Qt thread while the app runs: collected on another thread, a
cycle holding a Qt object had its destructor run there, and the test process died of a segmentation
fault while the speech thread listed voices (tests/ui/test_listening.py in a clean-clone run)."""

from __future__ import annotations

import copy
import gc
import threading

from assistant.config import Settings
from assistant.ui.controller import Controller
from assistant.ui.earcons import Earcons


class Cycle:
    """Refers to itself, so only the cycle collector frees it; says on which thread it was freed."""

    def __init__(self, freed_on: list[str]) -> None:
        self.me = self
        self.freed_on = freed_on

    def __del__(self) -> None:
        self.freed_on.append(threading.current_thread().name)


def allocate(kept: list[list[int]]) -> None:
    """Enough new containers, kept, for Python's collector to run on this thread, if it may (freed at
    once, they would not count)."""
    kept.extend([] for _ in range(5_000))


def test_cycles_are_collected_on_the_qt_thread_while_the_app_runs(qtbot, tmp_path) -> None:
    controller = Controller(Settings(), None, Earcons(log_to=tmp_path), lambda spec, progress: None)
    freed_on: list[str] = []
    kept: list[list[int]] = []
    try:
        Cycle(freed_on)
        other = threading.Thread(target=allocate, args=(kept,), name="another-thread")
        other.start()
        other.join()
        qtbot.waitUntil(lambda: freed_on != [], timeout=5000)
        assert freed_on == [threading.main_thread().name]
        assert not gc.isenabled()
    finally:
        assert controller.shutdown(timeout=5)
    assert gc.isenabled()  # as before, once the app is done


def test_a_model_let_go_when_idle_is_collected_on_the_qt_thread(qtbot, make_controller, tiny_engine) -> None:
    """The model thread ran a full collection itself when it let the model go: any cycle of the app's,
    Qt objects among them, was then collected on that thread."""
    freed_on: list[str] = []

    def load(spec, on_progress):  # the engine in a cycle: garbage once the model thread lets it go
        engine = copy.copy(tiny_engine)
        engine.kept_cycle = Cycle(freed_on)
        engine.kept_cycle.engine = engine
        return engine

    controller, recorded = make_controller(load=load)
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    controller.model.set_idle_release(1.0)
    qtbot.waitUntil(lambda: freed_on != [], timeout=10000)
    assert freed_on == [threading.main_thread().name]
