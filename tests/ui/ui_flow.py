"""Shared by the controller tests: what the app said, read back from its --speech-to folder."""

from __future__ import annotations

from PIL import Image

from assistant.ui.controller import Controller

FAST = 450  # words per minute: recorded speech "plays" in real time, so keep it short


class Recorded:
    """What the app said, read back from the --speech-to folder."""

    def __init__(self, folder):
        self.folder = folder

    def texts(self) -> list[str]:
        return [p.read_text(encoding="utf-8").strip() for p in sorted(self.folder.glob("[0-9]*.txt"))]

    def cues(self) -> list[str]:
        log = self.folder / "cues.log"
        return [line.split()[1] for line in log.read_text().splitlines()] if log.exists() else []


def picture(colour) -> Image.Image:
    return Image.new("RGB", (96, 64), colour)


def wait_idle(qtbot, controller: Controller) -> None:
    qtbot.waitUntil(lambda: controller.current is None, timeout=20000)
    assert controller.speaker.wait_idle(20)
