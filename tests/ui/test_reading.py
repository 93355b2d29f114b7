""" "Read the text" and "Describe the focused window" in the running controller, on a virtual screen with a
real window manager (Xvfb + openbox), two windows open and one focused; and a locked session."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from ui_flow import wait_idle

from assistant.capture.locked import LOCKED_MESSAGE

XVFB_SIZE = (1280, 800)
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not (shutil.which("openbox") and shutil.which("xdotool")),
    reason="needs openbox and xdotool (apt-get install openbox xdotool)",
)


@pytest.fixture
def no_bus(monkeypatch) -> None:
    """No D-Bus at all: not locked, as on a desktop without a screen saver service."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/session_bus_socket")
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/system_bus_socket")


def focus(title: str) -> None:
    from assistant.capture import focused_window

    subprocess.run(
        ["xdotool", "search", "--sync", "--name", title, "windowactivate", "--sync"], check=True, timeout=10
    )
    assert focused_window().title == title


def said(recorded) -> str:
    return " ".join(recorded.texts()[1:])  # after "Ready."


def test_read_the_text_says_the_title_then_the_focused_windows_words(
    qtbot, openbox_desktop, no_bus, ready
) -> None:
    controller, recorded = ready
    focus("Invoice 2041 - Mail")
    controller.handle("read-text")
    qtbot.waitUntil(lambda: "payment received" in said(recorded).lower(), timeout=30000)
    wait_idle(qtbot, controller)
    texts = recorded.texts()[1:]
    assert texts[0] == "Window: Invoice 2041 - Mail."
    assert "revenue" not in said(recorded).lower()  # the other window is not read
    assert "Payment received thank you" in controller.text.last_lines
    # It read all of it: "Read all the text" has nothing left to say.
    controller.handle("read-all-text")
    qtbot.waitUntil(lambda: recorded.texts()[-1] == "There is no more text.", timeout=10000)


def test_describe_the_focused_window_says_title_then_gist_then_text(
    qtbot, openbox_desktop, no_bus, ready, tiny_engine
) -> None:
    controller, recorded = ready
    focus("Quarterly report - Writer")
    controller.handle("describe-window")
    qtbot.waitUntil(lambda: "Text on it:" in said(recorded), timeout=60000)
    wait_idle(qtbot, controller)
    texts = recorded.texts()[1:]
    assert texts[0] == "Window: Quarterly report - Writer."
    text_at = next(i for i, text in enumerate(texts) if text.startswith("Text on it:"))
    assert text_at >= 2  # the gist comes between the title and the text
    assert "revenue grew in every region" in " ".join(texts[text_at:]).lower()
    assert controller.last_description == tiny_engine.describe(controller.last_image)


def test_a_locked_screen_is_said_and_nothing_is_captured(
    qtbot, openbox_desktop, locked_screen, ready
) -> None:
    controller, recorded = ready
    controller.handle("read-text")
    qtbot.waitUntil(lambda: LOCKED_MESSAGE in recorded.texts(), timeout=20000)
    assert controller.last_image is None and controller.text.last_lines == []


def test_ocr_that_cannot_start_is_said_in_one_sentence(
    qtbot, openbox_desktop, no_bus, ready, monkeypatch
) -> None:
    from assistant.ocr import OcrError, reader

    def broken(image):
        raise OcrError(
            "Text in pictures cannot be read because RapidOCR did not start. Reinstall the assistant."
        )

    monkeypatch.setattr(reader.TextReader, "read", lambda self, image: broken(image))
    controller, recorded = ready
    focus("Invoice 2041 - Mail")
    controller.handle("read-text")
    qtbot.waitUntil(lambda: any("RapidOCR did not start" in text for text in recorded.texts()), timeout=20000)
    assert "error" in recorded.cues()


def test_read_the_text_starts_a_conversation_about_the_window_with_its_text(
    qtbot, openbox_desktop, no_bus, ready, prompts
) -> None:
    from assistant.bench.samples import error_message

    controller, _ = ready
    controller.describe(error_message().image)
    wait_idle(qtbot, controller)
    dialog = controller.ensure_dialog()
    dialog.question.setText("What is it?")
    dialog.submit()
    qtbot.waitUntil(lambda: len(dialog.turns) == 1, timeout=30000)
    focus("Invoice 2041 - Mail")
    controller.handle("read-text")
    qtbot.waitUntil(lambda: "Payment received thank you" in controller.image_text.lines, timeout=30000)
    wait_idle(qtbot, controller)
    assert dialog.image is controller.last_image and dialog.turns == []
    assert "Payment received thank you" in dialog.text_on_image.toPlainText().splitlines()
    dialog.question.setText("Was it paid?")
    dialog.submit()
    qtbot.waitUntil(lambda: len(dialog.turns) == 1, timeout=30000)
    wait_idle(qtbot, controller)
    assert prompts[-1].startswith("Text on the image: ")
    assert "Payment received thank you." in prompts[-1]
    assert "Error - Editor" not in prompts[-1] and "What is it?" not in prompts[-1]  # nothing of before
