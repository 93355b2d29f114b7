"""The first run's screen-capture set-up (against the real xdg-desktop-portal, its desktop side mocked)
saves its own answer and not `assistant run`'s options for that run (--model, --server, ...)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from assistant.config import Settings, load_settings, save_settings
from assistant.ui.app import RunOptions, controller_for_run
from assistant.ui.earcons import Earcons

ON_FILE = Settings(model="Salesforce/blip2-opt-2.7b", server="http://127.0.0.1:11434/v1", rate=200)
RUN = RunOptions(model="smolvlm2-256m", device="cpu", speak_with="both", server="http://127.0.0.1:9/v1")


def never_loaded(spec, on_progress):
    raise AssertionError("this test loads no model")


def test_the_capture_set_up_saves_its_answer_and_not_the_run_s_options(
    qtbot, portal_desktop, wayland, tmp_path: Path
) -> None:
    from PIL import Image

    path = tmp_path / "settings.toml"
    save_settings(ON_FILE, path)
    controller = controller_for_run(load_settings(path)[0], RUN, Earcons(False), never_loaded, path)
    try:
        picture = portal_desktop.pictures / "shot.png"
        Image.new("RGB", (8, 8), (1, 2, 3)).save(picture)
        portal_desktop.answer(response=0, uri=picture.as_uri())
        assert controller.desktop.offer_capture_setup()
        qtbot.waitUntil(lambda: controller.desktop.prompt is not None, timeout=20_000)
        kept = load_settings(path)[0]
        assert kept == Settings(**{**vars(ON_FILE), "capture_offered": True})  # the offer, shown once
        prompt = controller.desktop.prompt
        assert prompt is not None
        qtbot.waitExposed(prompt)
        prompt.activateWindow()
        prompt.set_up.setFocus()
        QTest.keyClick(prompt.set_up, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: controller.settings.capture_set_up, timeout=20_000)
        kept = load_settings(path)[0]
        assert kept == Settings(**{**vars(ON_FILE), "capture_offered": True, "capture_set_up": True})
        settings = controller.settings  # the run's choices stay in effect
        assert (settings.model, settings.device, settings.speak_with, settings.server) == (
            "smolvlm2-256m",
            "cpu",
            "both",
            "http://127.0.0.1:9/v1",
        )
        assert settings.capture_set_up and settings.capture_offered
    finally:
        assert controller.shutdown(timeout=10)
