"""Shared by the controller tests: what the app said, read back from its --speech-to folder."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

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
    """One colour: blank, so the actions name it; `Controller.describe` (the model's step) takes it."""
    return Image.new("RGB", (96, 64), colour)


def text_picture(colour, size=(96, 64), text="Hello", at=None) -> Image.Image:
    """A picture of one colour with one short line of black text on it (centred unless `at`): not blank."""
    image = Image.new("RGB", size, colour)
    width, height = size
    ImageDraw.Draw(image).text(
        at or (width // 2 - 20, height // 2 - 8), text, fill="black", font=ImageFont.load_default(16)
    )
    return image


def wait_idle(qtbot, controller: Controller) -> None:
    """Wait until nothing is being captured, described or read, and all is said."""
    qtbot.waitUntil(
        lambda: controller.current is None and controller.session.capture_job is None, timeout=20000
    )
    assert controller.speaker.wait_idle(20)
