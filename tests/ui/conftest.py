"""Widget tests run on Qt's offscreen platform: no display needed."""

from __future__ import annotations

import os

import pytest
from fixtures.engines import recorded_prompts
from ui_flow import FAST, Recorded

from assistant.config import Settings
from assistant.speech.speaker import create_speaker
from assistant.ui.controller import Controller
from assistant.ui.earcons import Earcons

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def unnamed_focusable():
    """A function listing the keyboard-reachable controls of a window that have no accessible name."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

    def unnamed_focusable(window: QWidget) -> list[str]:
        """Describe each control a keyboard user can reach that has no accessible name or text."""
        missing = []
        for widget in window.findChildren(QWidget):
            if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or not widget.isVisibleTo(window):
                continue
            name = widget.accessibleName()
            if not name and isinstance(widget, QAbstractButton):
                name = widget.text().replace("&", "")
            if not name and isinstance(widget, QLabel):
                name = widget.text()
            if not name.strip():
                missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
        return missing

    return unnamed_focusable


@pytest.fixture
def make_controller(qtbot, tmp_path, tiny_engine):
    made = []

    def make(
        load=lambda spec, on_progress: tiny_engine, audio_source=None, **settings
    ) -> tuple[Controller, Recorded]:
        folder = tmp_path / "speech"
        earcons = Earcons(True, log_to=folder)
        controller = Controller(
            Settings(rate=FAST, **settings),
            None,
            earcons,
            load,
            settings_path=tmp_path / "settings.toml",
            audio_source=audio_source,
        )
        controller.attach_speaker(
            create_speaker(speech_to=folder, rate=FAST, on_event=controller.speech_event)
        )
        made.append(controller)
        controller.start()
        return controller, Recorded(folder)

    yield make
    for controller in made:
        assert controller.shutdown(timeout=10)


@pytest.fixture
def prompts(tiny_engine, monkeypatch) -> list[str]:
    """Every prompt the engine builds, in order."""
    return recorded_prompts(tiny_engine, monkeypatch)


@pytest.fixture
def ready(qtbot, make_controller):
    controller, recorded = make_controller()
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    assert controller.status.startswith("Ready.")
    return controller, recorded
