"""The running app in Spanish, end to end under Xvfb: under LANGUAGE=es its first spoken state is Spanish,
the Settings' language wins over the desktop's, and a blank screen is called blank in Spanish."""

from __future__ import annotations

import pytest
from e2e_harness import RunningApp
from test_tray import tray  # noqa: F401 (the system tray, so that no window of the app covers the screen)

pytestmark = pytest.mark.e2e


def _said_first(expected: str):
    def wait(app: RunningApp) -> None:
        first = app.wait_utterance(0, timeout=40, what=f"the spoken {expected!r}")
        assert first.text == expected, app.log.read_text()

    return wait


def test_a_spanish_desktop_hears_spanish_from_the_first_word_and_a_blank_screen_named(
    start_app,
    desktop,
    tray,  # noqa: F811 (the fixture imported above)
    monkeypatch,
):
    # The desktop's language, in the environment the app starts with (LANGUAGE first, as gettext reads it).
    monkeypatch.setitem(desktop.env, "LANGUAGE", "es")
    app = start_app(wait_ready=_said_first("Listo."))
    tray.icon(app)
    before = app.last_number()
    app.key("ctrl+alt+d")  # nothing on the screen but the desktop's black and the tray's thin panel
    said = app.wait_utterance(before, timeout=25, what="the blank screen named")
    assert said.text == "La pantalla está en blanco: todo de color negro."


def test_the_settings_language_wins_over_the_desktops(start_app, desktop, monkeypatch):
    monkeypatch.setitem(desktop.env, "LANGUAGE", "en")
    start_app(settings='rate = 300\ninterface_language = "es"\n', wait_ready=_said_first("Listo."))
