"""The app while the model loads, and the model let go when idle: with the tiny random BLIP-2."""

from __future__ import annotations

import logging
import threading

from ui_flow import picture, wait_idle

from assistant.engine.models import PREPARING
from assistant.ui.controller import RELOADING, STILL_LOADING


def test_a_request_made_while_loading_is_answered_once_the_model_is_ready(
    qtbot, make_controller, tiny_engine
):
    release = threading.Event()

    def slow_load(spec, on_progress):
        assert release.wait(20)
        return tiny_engine

    controller, recorded = make_controller(load=slow_load)
    request = controller.describe(picture((20, 90, 200)))
    # The cue comes at once, while the model is still loading, and the wait is explained.
    qtbot.waitUntil(lambda: recorded.cues() == ["working"], timeout=2000)
    qtbot.waitUntil(lambda: recorded.texts() == [STILL_LOADING], timeout=5000)
    assert controller.current is request and not controller.engine_summary
    release.set()
    wait_idle(qtbot, controller)
    assert controller.last_description.strip()
    said = recorded.texts()
    assert said[:2] == [STILL_LOADING, "Ready."]
    assert " ".join(said[2:]) == " ".join(controller.last_description.split())


def test_preparing_the_model_is_said_once_and_its_progress_shown(qtbot, make_controller, tiny_engine):
    statuses: list[str] = []

    def preparing_load(spec, on_progress):
        on_progress(PREPARING)
        for percent in (10, 50, 100):
            on_progress(f"Preparing the model for this computer: {percent}%")
        return tiny_engine

    controller, recorded = make_controller(load=preparing_load)
    controller.status_changed.connect(statuses.append)
    qtbot.waitUntil(lambda: "Ready." in recorded.texts(), timeout=20000)
    assert recorded.texts() == [PREPARING, "Ready."]
    assert "Preparing the model for this computer: 50%" in statuses


def test_the_model_is_let_go_when_idle_and_loaded_again_by_the_next_request(
    qtbot, make_controller, tiny_engine, caplog
):
    loads: list[str] = []

    def counted_load(spec, on_progress):
        loads.append(spec.model)
        return tiny_engine

    controller, recorded = make_controller(load=counted_load)
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    with caplog.at_level(logging.INFO, logger="assistant.ui.worker"):
        controller.model.set_idle_release(1.0)  # Settings counts in minutes; a second here
        qtbot.waitUntil(
            lambda: any("Let go of the model after 1 s" in message for message in caplog.messages),
            timeout=5000,
        )
    assert controller.worker.engine is None
    assert recorded.texts() == ["Ready."]  # in the log, not aloud
    controller.describe(picture((200, 200, 20)))
    wait_idle(qtbot, controller)
    assert len(loads) == 2
    said = recorded.texts()
    assert said[:3] == ["Ready.", RELOADING, "Ready."]
    assert " ".join(said[3:]) == " ".join(controller.last_description.split())


def test_the_idle_time_comes_from_settings_and_off_keeps_the_model(qtbot, make_controller):
    controller, recorded = make_controller(free_model_after_minutes=0)
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    assert controller.worker.engine is not None
    assert controller.worker._idle_seconds == 0
    idle = controller.worker._idle_timer
    assert idle is None or not idle.isActive()  # nothing will let the model go: no waiting to see it stay
    new = controller.settings.__class__(**{**vars(controller.settings), "free_model_after_minutes": 5})
    controller.apply_settings(new)
    qtbot.waitUntil(lambda: controller.worker._idle_seconds == 300, timeout=5000)
    assert controller.worker.engine is not None


def test_the_image_token_budget_comes_from_settings(qtbot, make_controller, tiny_engine):
    specs = []

    def load(spec, on_progress):
        specs.append(spec)
        return tiny_engine

    controller, _ = make_controller(load=load, image_tokens=128)
    qtbot.waitUntil(lambda: len(specs) == 1, timeout=5000)
    wait_idle(qtbot, controller)
    assert specs[0].image_tokens == 128


def test_the_engines_idle_work_runs_on_the_model_thread_after_the_start_and_waits_for_requests(
    qtbot, make_controller, tiny_engine, monkeypatch
):
    """After "Ready." the model thread runs the engine's idle work (packing int8 layers where that pays:
    `Engine.prepare_more`) a step at a time until none is left, and again after a request."""
    threads: list[threading.Thread] = []

    class Steps:
        left = 6

        def step(self) -> bool:  # as `int8.Packing`: once done, it stays done
            threads.append(threading.current_thread())
            self.left = max(0, self.left - 1)
            return self.left > 0

    steps = Steps()
    monkeypatch.setattr(tiny_engine, "idle_work", steps, raising=False)
    controller, recorded = make_controller(load=lambda spec, on_progress: tiny_engine)
    qtbot.waitUntil(lambda: "Ready." in recorded.texts(), timeout=20000)
    controller.describe(picture((40, 160, 90)))
    wait_idle(qtbot, controller)
    qtbot.waitUntil(lambda: steps.left == 0, timeout=5000)
    assert len(threads) >= 6 and len(set(threads)) == 1
    assert threads[0] is not threading.main_thread()  # the model's thread, not the Qt thread
    assert controller.last_description.strip()
