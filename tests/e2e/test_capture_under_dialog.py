"""The running app under openbox: a capture key pressed while its own conversation dialog has the focus
takes the window under the dialog (the window manager gives that window the focus back once the dialog
is hidden), not the dialog, and the dialog comes back, focused, after the picture. Before, it said
"Window: Ask about the image — Assistant." and read the dialog."""

from __future__ import annotations

import pytest
from e2e_harness import wait_for

pytestmark = pytest.mark.e2e

DIALOG = "Ask about the image"


def test_read_the_text_with_the_dialog_focused_reads_the_window_under_it(openbox_desktop, start_app):
    app = start_app()
    app.run(
        "xdotool", "search", "--sync", "--name", "Invoice 2041 - Mail", "windowactivate", "--sync", check=True
    )
    before = app.last_number()
    app.trigger("ask")
    dialog = app.wait_window(DIALOG)
    said = app.wait_utterance(before, what="how to get a picture")  # the dialog has none yet
    assert app.run("xdotool", "getactivewindow").stdout.strip() == dialog
    app.trigger("read-text")
    title = app.wait_utterance(said.number, timeout=30, what="the window's title")
    assert title.text == "Window: Invoice 2041 - Mail."
    text = app.wait_utterance(title.number, timeout=30, what="the window's text")
    assert "Payment received thank you" in text.text
    assert app.wait_window(DIALOG) == dialog  # back after the picture, with the focus

    def focused() -> bool:
        return app.run("xdotool", "getactivewindow").stdout.strip() == dialog

    wait_for(focused, 10, "the dialog focused again")


def test_a_capture_key_pressed_in_another_window_leaves_it_the_focus(openbox_desktop, start_app):
    """The dialog open behind the window the user works in: the key reads that window, and the dialog
    comes back without taking the focus from it (it came back focused, pulling the user out of their
    window)."""
    app = start_app()
    mail = app.run("xdotool", "search", "--sync", "--name", "Invoice 2041 - Mail", check=True).stdout.split()[
        0
    ]
    before = app.last_number()
    app.trigger("ask")
    dialog = app.wait_window(DIALOG)
    said = app.wait_utterance(before, what="how to get a picture")
    app.run("xdotool", "windowactivate", "--sync", mail, check=True)
    assert app.run("xdotool", "getactivewindow").stdout.strip() == mail
    app.trigger("read-text")
    title = app.wait_utterance(said.number, timeout=30, what="the window's title")
    assert title.text == "Window: Invoice 2041 - Mail."
    app.wait_utterance(title.number, timeout=30, what="the window's text")
    assert app.wait_window(DIALOG) == dialog  # back after the picture
    assert app.run("xdotool", "getactivewindow").stdout.strip() == mail
