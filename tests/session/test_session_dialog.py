"""A picture of the screen asked for while the app's own dialog is on it: the dialog is hidden first and
the picture taken once it has left the screen, as "New capture" does, then the dialog comes back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from session_fakes import App, make_session, take, text_picture

from assistant.session import Captured, Session
from assistant.session.core import NEW_CAPTURE_DELAY_S


def window() -> Captured:
    return Captured(text_picture("Mail"), title="Window: Mail.", what="window")


def shown_or_hidden(app: App) -> list[str]:
    return [call for call in app.dialog if call in ("shown", "hidden")]


KEYS: dict[str, Callable[[Session], object]] = {
    "describe screen": lambda session: session.describe_screen(),
    "describe window": lambda session: session.describe_picture("Describing the window…", window, True),
    "read the text": lambda session: session.read_text(window),
}


@pytest.mark.parametrize("key", KEYS)
def test_a_screen_key_hides_the_open_dialog_and_takes_the_picture_once_it_has_left(key: str) -> None:
    session, app, clock = make_session()
    app.dialog_open = True
    KEYS[key](session)
    assert app.dialog == ["hidden"] and app.jobs == []
    clock.advance(NEW_CAPTURE_DELAY_S - 0.01)
    assert app.jobs == [] and app.cues == []
    clock.advance(0.01)
    assert len(app.jobs) == 1 and app.dialog == ["hidden"]
    take(session, app)
    assert shown_or_hidden(app) == ["hidden", "shown"]  # back once the picture is taken
    assert app.cues == ["working"] and len(app.statuses) == 1  # each state change once


@pytest.mark.parametrize("key", KEYS)
def test_without_the_dialog_on_the_screen_the_picture_is_taken_at_once(key: str) -> None:
    session, app, clock = make_session()
    KEYS[key](session)
    assert len(app.jobs) == 1 and app.dialog == []
    take(session, app)
    clock.advance(10)
    assert shown_or_hidden(app) == [] and len(app.jobs) == 1


def test_the_clipboard_and_a_file_are_described_with_the_dialog_left_open() -> None:
    session, app, _clock = make_session()
    app.dialog_open = True
    session.describe_picture("Describing the clipboard image…", lambda: Captured(text_picture()))
    assert len(app.jobs) == 1 and app.dialog == []


def test_a_locked_or_failed_capture_brings_the_dialog_back() -> None:
    session, app, clock = make_session()
    app.dialog_open = True
    session.read_text(window)
    clock.advance(NEW_CAPTURE_DELAY_S)
    session.on_refused(app.jobs[-1].id, "The screen is locked.")
    session.describe_screen()
    clock.advance(NEW_CAPTURE_DELAY_S)
    session.on_capture_failed(app.jobs[-1].id, "The screen could not be captured.")
    assert app.dialog == ["hidden", "shown", "hidden", "shown"]
    assert app.said == ["The screen is locked.", "The screen could not be captured."]


def test_stop_while_waiting_brings_the_dialog_back_and_takes_no_picture() -> None:
    session, app, clock = make_session()
    app.dialog_open = True
    session.describe_screen()
    session.stop()
    clock.advance(10)
    assert app.dialog == ["hidden", "shown"] and app.jobs == []


def test_a_second_key_while_waiting_replaces_the_first_picture() -> None:
    session, app, clock = make_session()
    app.dialog_open = True
    session.describe_screen()
    clock.advance(0.1)
    session.read_text(window)  # the dialog is hidden now: taken at once
    clock.advance(10)
    assert len(app.jobs) == 1 and app.dialog == ["hidden"]
    take(session, app)
    assert session.capture_kind == "read-text" and shown_or_hidden(app) == ["hidden", "shown"]


def open_region() -> tuple[Session, App]:
    session, app, clock = make_session()
    app.dialog_open = True
    assert session.describe_region(app.screen_grab())
    assert app.dialog == ["hidden"] and app.jobs == []
    assert not session.describe_region(app.screen_grab())  # pressed again while waiting: nothing more
    clock.advance(NEW_CAPTURE_DELAY_S)
    assert len(app.jobs) == 1
    take(session, app)
    assert len(app.regions) == 1 and app.dialog == ["hidden"]  # stays away while the region is chosen
    return session, app


def test_the_region_is_chosen_on_a_screenshot_without_the_dialog_which_comes_back_after() -> None:
    session, app = open_region()
    session.region_chosen(text_picture("Region"))
    take(session, app)
    assert app.dialog == ["hidden", "shown"] and len(app.requests) == 1


def test_a_cancelled_region_brings_the_dialog_back_and_says_cancelled_once() -> None:
    session, app = open_region()
    session.region_cancelled()
    assert app.dialog == ["hidden", "shown"] and app.said == ["Cancelled."]
